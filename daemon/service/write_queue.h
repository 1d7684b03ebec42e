// WriteQueue: the outgoing side of a server stream on gRPC's callback API.
//
// gRPC allows one write in flight per stream and exactly one Finish. Messages
// pushed from any thread are serialized, queued and written in order; Finish
// waits for the write in flight (dropping the rest of the queue) and is
// called once, whoever asks first. The queue counts its bytes: past
// `limit_bytes` a Push finishes the stream RESOURCE_EXHAUSTED (a client that
// does not read cannot make the daemon hold more than that for it).
//
//   class WatchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
//     WriteQueue<WatchReactor> writes_{this, 16 << 20, "--watch-queue-bytes"};
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
#include "daemon/service/convert.h"
#include "daemon/service/raw_message.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable::daemon {

template <typename Reactor>
class WriteQueue {
 public:
  // `limit_name` names the bound in the RESOURCE_EXHAUSTED message (a flag).
  explicit WriteQueue(Reactor* reactor, size_t limit_bytes = std::numeric_limits<size_t>::max(),
                      std::string limit_name = "")
      : reactor_(reactor), limit_bytes_(limit_bytes), limit_name_(std::move(limit_name)) {}

  // Queues `message`; false (and dropped) once finishing, or when it would
  // take the queue past its limit (the stream then finishes).
  bool Push(const google::protobuf::MessageLite& message) { return Push(Encode(message)); }
  bool Push(grpc::ByteBuffer bytes) {
    const grpc::ByteBuffer* to_write = nullptr;
    std::optional<grpc::Status> over;
    {
      internal::MutexLock lock(&mu_);
      if (finish_.has_value()) return false;
      if (bytes_ + bytes.Length() > limit_bytes_) {
        over = ToGrpc(absl::ResourceExhaustedError(
            absl::StrCat("more than ", limit_bytes_, " bytes wait for the client to read them (",
                         limit_name_, "); it is not reading")));
      } else {
        bytes_ += bytes.Length();
        queue_.push_back(std::move(bytes));
        if (!in_flight_) {
          in_flight_ = true;
          to_write = &queue_.front();  // stable: deque push_back keeps references
        }
      }
    }
    if (over.has_value()) {
      Finish(*over);
      return false;
    }
    if (to_write != nullptr) reactor_->StartWrite(to_write);
    return true;
  }

  size_t size() const {
    internal::MutexLock lock(&mu_);
    return queue_.size();
  }
  // Bytes queued, the one in flight included.
  size_t bytes() const {
    internal::MutexLock lock(&mu_);
    return bytes_;
  }
  bool finishing() const {
    internal::MutexLock lock(&mu_);
    return finish_.has_value();
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
            bytes_ -= queue_.back().Length();
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

 private:
  void PopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    bytes_ -= queue_.front().Length();
    queue_.pop_front();
  }
  void ClearLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    queue_.clear();
    bytes_ = 0;
  }

  Reactor* const reactor_;
  const size_t limit_bytes_;
  const std::string limit_name_;
  mutable internal::Mutex mu_;
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool drain_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_WRITE_QUEUE_H_
