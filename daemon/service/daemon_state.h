// DaemonState: what every RPC handler of canceld shares: the clock, the
// scheduler (deadlines, leases), the event log, the session table, the
// operation graph, the callers' identities and the daemon's options.
//
// Thread-safety: the members are thread-safe; `draining` is atomic.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_DAEMON_STATE_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_DAEMON_STATE_H_

#include <atomic>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "daemon/core/condition_evaluator.h"
#include "daemon/core/event_log.h"
#include "daemon/core/operation_graph.h"
#include "daemon/core/policy.h"
#include "daemon/core/session_table.h"
#include "daemon/service/identity.h"
#include "daemon/store/store.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {

struct DaemonLimits {
  absl::Duration heartbeat_interval = absl::Seconds(2);
  absl::Duration lease_timeout = absl::Seconds(10);
  size_t max_operations = 1'000'000;
  size_t max_sessions = 10'000;
  size_t history = 10'000;  // finished operations kept (--history)
  // Events queued for one slow watcher; above the event log's retention, so
  // a replay of the whole retained window always fits.
  size_t watch_queue_limit = 100'000;
  // What the events one watcher has yet to send may hold (snapshots of
  // operations, their metadata included) (--watch-queue-bytes).
  size_t watch_queue_bytes = 64 << 20;
  size_t max_tokens = 100'000;  // named tokens (--max-tokens)
  size_t max_watchers = 1'000;  // concurrent Watch streams (--max-watchers)
  // A Session stream that has not sent its Hello by then is ended
  // (--handshake-timeout); at most max_handshakes_per_peer such streams per
  // client connection, and they count against max_sessions.
  absl::Duration handshake_timeout = absl::Seconds(10);
  size_t max_handshakes_per_peer = 100;
  // Replies and cancels waiting to be written to one session
  // (--session-queue-bytes): past it the session is ended RESOURCE_EXHAUSTED.
  // Past kReadPauseBytes the daemon stops reading the session's requests
  // until the client has read its replies.
  size_t session_queue_bytes = 256 << 20;
};

// UNAVAILABLE "canceld is shutting down": the one answer while draining.
inline absl::Status ShuttingDown() { return absl::UnavailableError("canceld is shutting down"); }

struct DaemonState {
  // `store` keeps what must survive a restart; its loaded state is restored
  // into the graph (before serving).
  DaemonState(Clock& clock, const DaemonLimits& limits, Store& store)
      : clock(clock),
        limits(limits),
        store(store),
        loaded(store.TakeLoaded()),
        scheduler(clock),
        sessions(scheduler, limits.lease_timeout, limits.max_sessions,
                 limits.max_handshakes_per_peer),
        graph(clock, scheduler, events, sessions,
              GraphOptions{.max_operations = limits.max_operations,
                           .finished_retention = limits.history,
                           .max_tokens = limits.max_tokens,
                           .epoch = loaded.epoch,
                           .reregistration_window = limits.lease_timeout},
              store),
        conditions(scheduler, [this](const std::vector<std::string>& ids,
                                     const std::string& condition, const std::string& message) {
          graph.CancelOperations(ids, CancelReason::kCondition, message,
                                 absl::StrCat("condition ", condition));
        }) {
    events.ContinueFrom(loaded.epoch - 1, loaded.event_sequence, loaded.clean_shutdown);
    graph.Restore(std::move(loaded));
    store.SetEventSequenceSource([this] { return events.current_sequence(); });
    sessions.OnDetachedExpired([this](const Owner& owner) {
      graph.SessionEnded(owner,
                         absl::StrCat("ended its stream with a protocol error and did not "
                                      "come back within its lease (",
                                      absl::FormatDuration(this->limits.lease_timeout), ")"));
    });
  }

  ~DaemonState() { sessions.Stop(); }  // before the graph its callbacks use goes

  Clock& clock;
  const DaemonLimits limits;
  Store& store;
  StoredState loaded;  // moved into the graph once built
  Scheduler scheduler;
  EventLog events;
  SessionTable sessions;
  OperationGraph graph;
  ConditionEvaluator conditions;  // after the graph: destroyed first
  Identity identity;              // who each call comes from
  Policy policy;                  // what they may do
  std::atomic<bool> draining{false};
  // OK while serving; ShuttingDown() once draining.
  absl::Status Serving() const { return draining.load() ? ShuttingDown() : absl::OkStatus(); }
  const absl::Time start_time = clock.Now();
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_DAEMON_STATE_H_
