// OperationGraph: every operation on the host, the parent -> child edges
// between them (across sessions), their deadlines, and the cascade of
// cancellation with its cause chain. No gRPC here.
//
//   OperationGraph graph(clock, scheduler, events, listener, {});
//   auto parent = graph.Register(owner_a, {.name = "deploy"});
//   auto child = graph.Register(owner_b, {.name = "step", .parent_id = parent->id});
//   graph.Cancel(parent->id, "bad deploy", "cancelctl", /*cascade=*/true);
//   // listener gets: session A: {parent, manual}; session B: {child, parent <- manual}
//
// Semantics (ARCHITECTURE.md): the first cancel wins; cancellation reaches
// every live descendant with reason parent (owner_lost when the owner
// vanished) and a cause chain to the root; a cancelled operation stays
// CANCELLING until its owner finishes it; registering under a cancelled
// parent starts cancelled; a session's end leaves its live operations LOST.
// Finished operations stay visible (Get/List) until `finished_retention` newer
// ones have finished.
//
// Thread-safety: thread-safe. The listener is called without the graph's
// lock, in the order the cancels happened.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_GRAPH_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_GRAPH_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "daemon/core/event_log.h"
#include "daemon/core/operation.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {

struct RegisterSpec {
  std::string name;
  Labels labels;
  Labels metadata;
  std::string parent_id;
  std::optional<absl::Duration> timeout;
  std::string previous_id;  // after a reconnect
};

struct RegisterResult {
  std::string id;
  std::shared_ptr<const CancellationDetails> cancelled;  // set: starts cancelled
};

struct CancelResult {
  bool first = false;
  int reached = 0;
  Operation operation;
};

struct CancelAllResult {
  std::vector<Operation> matched;
  int cancelled = 0;
};

struct CancelDelivery {
  std::string operation_id;
  std::shared_ptr<const CancellationDetails> details;
};

// Receives the cancellations each session must hear about.
class CancelListener {
 public:
  virtual ~CancelListener() = default;
  virtual void DeliverCancels(uint64_t session_id, std::vector<CancelDelivery> items) = 0;
};

struct GraphOptions {
  size_t max_operations = 1'000'000;  // live ones; RESOURCE_EXHAUSTED beyond
  size_t finished_retention = 10'000;
};

class OperationGraph {
 public:
  OperationGraph(Clock& clock, Scheduler& scheduler, EventLog& events, CancelListener& listener,
                 GraphOptions options);
  ~OperationGraph();
  OperationGraph(const OperationGraph&) = delete;
  OperationGraph& operator=(const OperationGraph&) = delete;

  // NOT_FOUND "parent_id: ..." for an unknown parent; RESOURCE_EXHAUSTED at
  // the limit. Starts cancelled under a cancelled or lost parent.
  [[nodiscard]] absl::StatusOr<RegisterResult> Register(const Owner& owner, RegisterSpec spec);

  // NOT_FOUND for an unknown id; PERMISSION_DENIED when another session owns
  // it; FAILED_PRECONDITION once finished (progress only).
  [[nodiscard]] absl::Status ReportProgress(uint64_t session_id, const std::string& id,
                                            std::string message, Labels metadata);
  // `state` is completed, cancelled, failed or timeout (INVALID_ARGUMENT
  // otherwise). Finishing twice is OK and changes nothing.
  [[nodiscard]] absl::Status Finish(uint64_t session_id, const std::string& id, OpState state,
                                    std::string error);

  // NOT_FOUND for an unknown id. Already cancelled or finished: first=false.
  [[nodiscard]] absl::StatusOr<CancelResult> Cancel(const std::string& id, std::string message,
                                                    std::string actor, bool cascade);
  // Cancels every live match (cascading); dry_run changes nothing.
  CancelAllResult CancelAll(const OperationFilter& filter, std::string message,
                            std::string actor, bool dry_run);

  [[nodiscard]] absl::StatusOr<Operation> Get(const std::string& id) const;

  struct Page {
    std::vector<Operation> operations;
    std::string next_page_token;
  };
  // Oldest first. INVALID_ARGUMENT for a malformed page token.
  [[nodiscard]] absl::StatusOr<Page> List(const OperationFilter& filter, size_t page_size,
                                          const std::string& page_token) const;

  // The session's live operations become LOST; their live descendants (in
  // other sessions too) are cancelled with reason owner_lost.
  void SessionEnded(const Owner& owner, absl::string_view why);

  size_t live_count() const;
  const std::string& instance_prefix() const { return instance_prefix_; }

 private:
  struct Record {
    uint64_t seq = 0;
    Operation op;
    absl::flat_hash_set<std::string> children;  // live children
    Scheduler::Timer deadline_timer;
  };
  // What must happen after the lock is released.
  struct Outbox {
    absl::flat_hash_map<uint64_t, std::vector<CancelDelivery>> deliveries;
    std::vector<uint64_t> order;  // sessions in first-delivery order
    std::vector<Scheduler::Timer> timers;  // destroyed outside the lock
  };

  Record* FindLocked(const std::string& id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // NOT_FOUND, or PERMISSION_DENIED when another session owns it.
  absl::StatusOr<Record*> OwnedLocked(uint64_t session_id, const std::string& id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Operation SnapshotLocked(const Record& rec) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EmitLocked(EventType type, const Record& rec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewIdLocked(const std::string& previous_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks `rec` cancelled with `details` and queues the owner's delivery.
  void MarkCancelledLocked(Record& rec, std::shared_ptr<const CancellationDetails> details,
                           Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Cancels every live, uncancelled descendant of `root`.
  int CascadeLocked(const Record& root, CancelReason reason, const std::string& actor,
                    Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int CancelLocked(Record& rec, CancelReason reason, std::string message, std::string actor,
                   bool cascade, Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(Record& rec, OpState state, Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnDeadline(const std::string& id);
  void Flush(Outbox& out);

  Clock& clock_;
  Scheduler& scheduler_;
  EventLog& events_;
  CancelListener& listener_;
  const GraphOptions options_;
  const std::string instance_prefix_;

  mutable internal::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  absl::btree_map<uint64_t, std::unique_ptr<Record>> by_seq_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Record*> by_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<std::string>> live_by_session_
      ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> finished_ ABSL_GUARDED_BY(mu_);  // seqs, oldest first
  size_t live_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_GRAPH_H_
