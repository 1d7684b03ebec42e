// WriteQueue: the outgoing side of a server stream on gRPC's callback API.
//
// gRPC allows one write in flight per stream and exactly one Finish. Messages
// pushed from any thread are serialized, queued and written in order; Finish
// waits for the write in flight (dropping the rest of the queue) and is
// called once, whoever asks first. The queue counts its bytes: past
// `limit_bytes` a Push aborts the stream RESOURCE_EXHAUSTED (a client that
// does not read cannot make the daemon hold more than that for it). Abort is
// the end for a client that may not be reading: it finishes, and if the
// write in flight is still not taken after kAbortGrace, cancels the call (a
// write never taken would hold the Finish back for ever).
//
//   class WatchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
//     WriteQueue<WatchReactor> writes_{this, context, 16 << 20, "--watch-queue-bytes"};
//     void OnWriteDone(bool ok) override { writes_.WriteDone(ok); }
//   };
//
// Thread-safety: thread-safe; StartWrite and Finish are called without the
// queue's lock held.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_WRITE_QUEUE_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_WRITE_QUEUE_H_

#include <cstddef>
#include <deque>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daemon/service/convert.h"
#include "daemon/service/raw_message.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {

inline constexpr absl::Duration kAbortGrace = absl::Seconds(1);

// What one queued message costs besides its bytes (the buffer, its slice,
// the queue's entry), counted with them: a million two-byte heartbeat replies
// weigh what they take.
inline constexpr size_t kQueuedMessageOverhead = 128;

template <typename Reactor>
class WriteQueue {
 public:
  // `context`: the call Abort cancels, on `scheduler`'s clock (both may be
  // null: Abort only finishes). `limit_name` names the bound in the
  // RESOURCE_EXHAUSTED message (a flag).
  WriteQueue(Reactor* reactor, grpc::CallbackServerContext* context, Scheduler* scheduler,
             size_t limit_bytes = std::numeric_limits<size_t>::max(), std::string limit_name = "")
      : reactor_(reactor),
        context_(context),
        scheduler_(scheduler),
        limit_bytes_(limit_bytes),
        limit_name_(std::move(limit_name)) {}

  // Queues `message`; false (and dropped) once finishing, or when it would
  // take the queue past its limit (the stream then finishes).
  bool Push(const google::protobuf::MessageLite& message) { return Push(Encode(message)); }
  bool Push(grpc::ByteBuffer bytes) {
    const grpc::ByteBuffer* to_write = nullptr;
    std::optional<grpc::Status> over;
    {
      internal::MutexLock lock(&mu_);
      if (finish_.has_value()) return false;
      const size_t weight = bytes.Length() + kQueuedMessageOverhead;
      if (bytes_ + weight > limit_bytes_) {
        over = ToGrpc(absl::ResourceExhaustedError(
            absl::StrCat("more than ", limit_bytes_, " bytes wait for the client to read them (",
                         limit_name_, "); it is not reading")));
      } else {
        bytes_ += weight;
        queue_.push_back(std::move(bytes));
        if (!in_flight_) {
          in_flight_ = true;
          to_write = &queue_.front();  // stable: deque push_back keeps references
        }
      }
    }
    if (over.has_value()) {
      Abort(*over);
      return false;
    }
    if (to_write != nullptr) reactor_->StartWrite(to_write);
    return true;
  }

  size_t size() const {
    internal::MutexLock lock(&mu_);
    return queue_.size();
  }
  // Bytes queued (with kQueuedMessageOverhead each), the one in flight included.
  size_t bytes() const {
    internal::MutexLock lock(&mu_);
    return bytes_;
  }
  bool finishing() const {
    internal::MutexLock lock(&mu_);
    return finish_.has_value();
  }
  // The status the stream finishes (or finished) with; nullopt before.
  std::optional<grpc::Status> finish_status() const {
    internal::MutexLock lock(&mu_);
    return finish_;
  }

  // From the reactor's OnWriteDone.
  void WriteDone(bool ok) {
    const grpc::ByteBuffer* next = nullptr;
    std::optional<grpc::Status> finish;
    {
      internal::MutexLock lock(&mu_);
      PopLocked();
      in_flight_ = false;
      if (!ok) {  // the stream is broken: nothing more can be written
        ClearLocked();
        if (!finish_.has_value()) finish_ = ToGrpc(absl::UnavailableError("write failed"));
      }
      if (finish_.has_value() && drain_ && !queue_.empty()) {
        in_flight_ = true;  // drain what was queued before the finish
        next = &queue_.front();
      } else if (finish_.has_value()) {
        ClearLocked();
        if (!finished_) {
          finished_ = true;
          finish = finish_;
        }
      } else if (!queue_.empty()) {
        in_flight_ = true;
        next = &queue_.front();
      }
    }
    if (next != nullptr) reactor_->StartWrite(next);
    if (finish.has_value()) reactor_->Finish(*finish);
  }

  // Finishes the stream with `status` once the write in flight is done;
  // with `drain`, after everything already queued is written.
  void Finish(grpc::Status status, bool drain = false) {
    {
      internal::MutexLock lock(&mu_);
      if (finish_.has_value()) return;
      finish_ = status;
      drain_ = drain;
      if (in_flight_) {
        if (!drain) {
          while (queue_.size() > 1) {
            bytes_ -= queue_.back().Length() + kQueuedMessageOverhead;
            queue_.pop_back();
          }
        }
        return;  // WriteDone finishes
      }
      ClearLocked();
      finished_ = true;
    }
    reactor_->Finish(status);
  }

  // Finishes with `status`, dropping what is queued; a write in flight that
  // the client has still not taken after kAbortGrace is abandoned (the call
  // is cancelled, and the client, if it ever reads, sees CANCELLED).
  void Abort(grpc::Status status) {
    Finish(std::move(status));
    if (context_ == nullptr || scheduler_ == nullptr) return;
    internal::MutexLock lock(&mu_);
    if (finished_ || abort_timer_.active()) return;
    abort_timer_ = scheduler_->After(kAbortGrace, [this] {
      {
        internal::MutexLock lock(&mu_);
        if (finished_) return;
      }
      // Unlocked: cancelling may run OnCancel, which finishes through us.
      // The context outlives this: OnDone's ~WriteQueue waits for us.
      context_->TryCancel();
    });
  }

  ~WriteQueue() {
    Scheduler::Timer timer;
    {
      internal::MutexLock lock(&mu_);
      timer = std::move(abort_timer_);
    }
  }  // `timer` waits for a running abort, outside the lock

 private:
  void PopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    bytes_ -= queue_.front().Length() + kQueuedMessageOverhead;
    queue_.pop_front();
  }
  void ClearLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    queue_.clear();
    bytes_ = 0;
  }

  Reactor* const reactor_;
  grpc::CallbackServerContext* const context_;
  Scheduler* const scheduler_;
  const size_t limit_bytes_;
  const std::string limit_name_;
  mutable internal::Mutex mu_;
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool drain_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  Scheduler::Timer abort_timer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_WRITE_QUEUE_H_
