// WriteQueue: the outgoing side of a server stream on gRPC's callback API.
//
// gRPC allows one write in flight per stream and exactly one Finish. Messages
// pushed from any thread are queued and written in order; Finish waits for
// the write in flight (dropping the rest of the queue) and is called once,
// whoever asks first.
//
//   class WatchReactor : public grpc::ServerWriteReactor<pb::WatchEvent> {
//     WriteQueue<WatchReactor, pb::WatchEvent> writes_{this};
//     void OnWriteDone(bool ok) override { writes_.WriteDone(ok); }
//   };
//
// Thread-safety: thread-safe; StartWrite and Finish are called without the
// queue's lock held.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_WRITE_QUEUE_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_WRITE_QUEUE_H_

#include <deque>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "daemon/service/convert.h"
#include "grpcpp/support/status.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable::daemon {

template <typename Reactor, typename Message>
class WriteQueue {
 public:
  explicit WriteQueue(Reactor* reactor) : reactor_(reactor) {}

  // Queues `message`; false (and dropped) once finishing.
  bool Push(Message message) {
    const Message* to_write = nullptr;
    {
      internal::MutexLock lock(&mu_);
      if (finish_.has_value()) return false;
      queue_.push_back(std::move(message));
      if (!in_flight_) {
        in_flight_ = true;
        to_write = &queue_.front();  // stable: deque push_back keeps references
      }
    }
    if (to_write != nullptr) reactor_->StartWrite(to_write);
    return true;
  }

  size_t size() const {
    internal::MutexLock lock(&mu_);
    return queue_.size();
  }

  // From the reactor's OnWriteDone.
  void WriteDone(bool ok) {
    const Message* next = nullptr;
    std::optional<grpc::Status> finish;
    {
      internal::MutexLock lock(&mu_);
      queue_.pop_front();
      in_flight_ = false;
      if (!ok) {  // the stream is broken: nothing more can be written
        queue_.clear();
        if (!finish_.has_value()) finish_ = ToGrpc(absl::UnavailableError("write failed"));
      }
      if (finish_.has_value() && drain_ && !queue_.empty()) {
        in_flight_ = true;  // drain what was queued before the finish
        next = &queue_.front();
      } else if (finish_.has_value()) {
        queue_.clear();
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
        if (!drain) queue_.erase(queue_.begin() + 1, queue_.end());
        return;  // WriteDone finishes
      }
      queue_.clear();
      finished_ = true;
    }
    reactor_->Finish(status);
  }

 private:
  Reactor* const reactor_;
  mutable internal::Mutex mu_;
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> finish_ ABSL_GUARDED_BY(mu_);
  bool drain_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_WRITE_QUEUE_H_
