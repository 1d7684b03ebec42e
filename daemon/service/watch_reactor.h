// WatchReactor: one Watch stream. Subscribes to the event log (replaying
// from the requested sequence), filters, and writes events in order. A
// watcher that falls more than `watch_queue_limit` events or
// `watch_queue_bytes` behind is ended with RESOURCE_EXHAUSTED and the
// sequence to resume before.
// Events wait as shared snapshots; at most kWatchWriteBytes of them are
// converted to messages ahead of what the client has read, so a watcher
// that does not read costs the daemon little. At most max_watchers at once.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_WATCH_REACTOR_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_WATCH_REACTOR_H_

#include <deque>
#include <memory>
#include <thread>
#include <vector>

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

// The live watchers, so that shutdown can end them, and the one thread that
// turns their events into messages.
//
// TRICKY: events reach a watcher under the operation graph's lock (the graph
// appends them to the event log as it changes). A watcher only filters and
// queues them there and calls Wake; the fan-out thread converts to proto and
// writes, outside every lock of the graph, so a slow or numerous set of
// watchers never lengthens a cancel by their conversions and writes.
class WatcherSet {
 public:
  explicit WatcherSet(size_t max_watchers);
  ~WatcherSet();  // stops the fan-out thread
  WatcherSet(const WatcherSet&) = delete;
  WatcherSet& operator=(const WatcherSet&) = delete;

  // A watcher's place in the set. Destroying it removes the watcher; after
  // the destructor returns, the fan-out thread no longer touches it.
  class Membership {
   public:
    ~Membership() { set_->Remove(watcher_); }
    Membership(const Membership&) = delete;
    Membership& operator=(const Membership&) = delete;

   private:
    friend class WatcherSet;
    Membership(WatcherSet* set, WatchReactor* watcher) : set_(set), watcher_(watcher) {}
    WatcherSet* const set_;
    WatchReactor* const watcher_;
  };
  // Null when max_watchers have joined.
  [[nodiscard]] std::unique_ptr<Membership> Join(WatchReactor* watcher);
  size_t max_watchers() const { return max_watchers_; }
  // Ends every watcher with `status`.
  void EndAll(const grpc::Status& status);
  // `watcher` has queued events: the fan-out thread drains them. Cheap; may
  // be called under the graph's lock.
  void Wake(WatchReactor* watcher);

 private:
  void FanOutLoop();
  void Remove(WatchReactor* watcher);

  const size_t max_watchers_;
  internal::Mutex mu_;
  internal::CondVar changed_;  // ready_, busy_, stop_
  absl::flat_hash_set<WatchReactor*> watchers_ ABSL_GUARDED_BY(mu_);
  std::deque<WatchReactor*> ready_ ABSL_GUARDED_BY(mu_);  // each at most once
  absl::flat_hash_set<WatchReactor*> scheduled_ ABSL_GUARDED_BY(mu_);
  WatchReactor* busy_ ABSL_GUARDED_BY(mu_) = nullptr;  // being drained, outside the lock
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Messages converted ahead of what a watcher's client has read.
inline constexpr size_t kWatchWriteBytes = 1 << 20;
// A waiting event's own cost, besides its operation's weight.
inline constexpr size_t kEventWeight = 256;

class WatchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // `raw_request`: a WatchRequest's bytes (INVALID_ARGUMENT when they do not parse).
  WatchReactor(DaemonState& state, WatcherSet& watchers, grpc::CallbackServerContext* context,
               const grpc::ByteBuffer& raw_request);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;
  void End(const grpc::Status& status) { writes_.Finish(status); }
  // On the fan-out thread: converts and writes the queued events (and ends
  // a watcher that fell behind, after what was queued before it did).
  void Drain();

 private:
  // Under the log's (and the graph's) lock: filters `event` and queues it,
  // within watch_queue_limit (events queued here and in writes_ together).
  void OnEvent(const Event& event);
  // Subscribes per the request; an error ends the stream.
  absl::Status Start(const grpc::ByteBuffer& raw_request);
  // After a RESYNC: queues the state of every live operation that matches,
  // right after the RESYNC (before the events that came meanwhile).
  void QueueState();

  DaemonState& state_;
  WatcherSet& watchers_;
  WriteQueue<WatchReactor> writes_;
  OperationFilter filter_;  // set before the subscription, then only read
  internal::Mutex pending_mu_;
  std::deque<Event> pending_ ABSL_GUARDED_BY(pending_mu_);  // queued, not yet drained
  size_t pending_bytes_ ABSL_GUARDED_BY(pending_mu_) = 0;   // their weights
  // The first event that found the queue full (0: none): the watcher ends.
  uint64_t fell_behind_at_ ABSL_GUARDED_BY(pending_mu_) = 0;
  // Drain left events waiting for the client to read: OnWriteDone wakes it.
  bool waiting_for_reads_ ABSL_GUARDED_BY(pending_mu_) = false;
  // A RESYNC's state is being gathered: nothing is drained until it is queued.
  bool holding_ ABSL_GUARDED_BY(pending_mu_) = false;
  std::unique_ptr<WatcherSet::Membership> membership_;
  std::unique_ptr<EventLog::Subscription> subscription_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_WATCH_REACTOR_H_
