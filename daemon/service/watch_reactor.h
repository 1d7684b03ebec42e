// WatchReactor: one Watch stream. Subscribes to the event log (replaying
// from the requested sequence), filters, and writes events in order. A
// watcher that falls more than `watch_queue_limit` events behind is ended
// with RESOURCE_EXHAUSTED and the last sequence it was sent, so it can resume.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_WATCH_REACTOR_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_WATCH_REACTOR_H_

#include <memory>

#include "absl/container/flat_hash_set.h"
#include "daemon/core/event_log.h"
#include "daemon/service/daemon_state.h"
#include "daemon/service/write_queue.h"
#include "grpcpp/support/server_callback.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/v1/cancelable.pb.h"

namespace hother::cancelable::daemon {

namespace pb = ::hother::cancelable::v1;

class WatchReactor;

// The live watchers, so that shutdown can end them.
class WatcherSet {
 public:
  void Add(WatchReactor* watcher);
  void Remove(WatchReactor* watcher);
  // Ends every watcher with `status`.
  void EndAll(const grpc::Status& status);

 private:
  internal::Mutex mu_;
  absl::flat_hash_set<WatchReactor*> watchers_ ABSL_GUARDED_BY(mu_);
};

class WatchReactor : public grpc::ServerWriteReactor<pb::WatchEvent> {
 public:
  WatchReactor(DaemonState& state, WatcherSet& watchers, const pb::WatchRequest& request);

  void OnWriteDone(bool ok) override { writes_.WriteDone(ok); }
  void OnCancel() override;
  void OnDone() override;
  void End(const grpc::Status& status) { writes_.Finish(status); }

 private:
  void OnEvent(const OperationFilter& filter, const Event& event);

  DaemonState& state_;
  WatcherSet& watchers_;
  WriteQueue<WatchReactor, pb::WatchEvent> writes_{this};
  std::unique_ptr<EventLog::Subscription> subscription_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_WATCH_REACTOR_H_
