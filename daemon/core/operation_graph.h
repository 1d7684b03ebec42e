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
// Durable state (daemon/store/): every change that must survive a restart is
// appended to the journal, under the lock, in order: named tokens and links,
// cancellation records, finished operations, selector cancels. Restore()
// puts a store's state back before serving. After a restart, an owner
// registering an operation again (previous_id from an earlier epoch) keeps
// its id and gets the operation's cancel if it was cancelled meanwhile (its
// own record, a selector cancel that matched it, a cancelled parent or
// token); a child whose parent has not registered again yet waits for it for
// `reregistration_window`.
//
// Thread-safety: thread-safe. The listener is called without the graph's
// lock, in the order the cancels happened.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_GRAPH_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_GRAPH_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "daemon/core/event_log.h"
#include "daemon/core/graph_types.h"
#include "daemon/core/operation.h"
#include "daemon/store/journal.h"
#include "daemon/store/rows.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {

class OperationGraph {
 public:
  OperationGraph(Clock& clock, Scheduler& scheduler, EventLog& events, CancelListener& listener,
                 GraphOptions options, Journal& journal = Journal::Discard());
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
  // `status` is completed, cancelled, failed or timeout (INVALID_ARGUMENT
  // otherwise). Finishing twice is OK and changes nothing.
  [[nodiscard]] absl::Status Finish(uint64_t session_id, const std::string& id, OpStatus status,
                                    std::string error);

  // NOT_FOUND for an unknown id. Already cancelled or finished: first=false.
  [[nodiscard]] absl::StatusOr<CancelResult> Cancel(const std::string& id, std::string message,
                                                    std::string actor, bool cascade);
  // Cancels every live match (cascading); dry_run changes nothing. Snapshots
  // of the oldest `list_at_most` matches are returned: a million of them
  // would not fit a reply.
  CancelAllResult CancelAll(const OperationFilter& filter, std::string message, std::string actor,
                            bool dry_run, size_t list_at_most);

  [[nodiscard]] absl::StatusOr<Operation> Get(const std::string& id) const;
  // Its owner (fixed at registration): what authorization needs, without a
  // snapshot of the whole operation.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const Owner>> OwnerOf(const std::string& id) const;

  struct Page {
    std::vector<Operation> operations;
    std::string next_page_token;
    // resume_tokens[i] lists on from operations[i] (for a reply cut short).
    std::vector<std::string> resume_tokens;
  };
  // Oldest first. INVALID_ARGUMENT for a malformed page token.
  [[nodiscard]] absl::StatusOr<Page> List(const OperationFilter& filter, size_t page_size,
                                          const std::string& page_token) const;

  // The session's live operations become LOST; their live descendants (in
  // other sessions too) are cancelled with reason owner_lost.
  void SessionEnded(const Owner& owner, absl::string_view why);
  // The session's stream ended (broken, or for a protocol error) and its
  // lease still runs: its operations show the owner disconnected since now;
  // until SessionEnded, the same process (pid, process name and host)
  // registering again with an operation's id as previous_id takes that
  // operation over (same id, children and cancel record) instead of a new one.
  void SessionDetached(uint64_t session_id);
  // Session `old_session` resumed as `owner`'s (SessionTable::TakeOver): its
  // live operations are the new session's, same ids, nothing lost.
  void ResumeSession(uint64_t old_session, const Owner& owner);

  // --- Named tokens (named_tokens.cc). Edges: token -> token (links and
  // all-of inputs) and token -> operation (attachment); with parent -> child
  // they form one acyclic graph, and one cascade walks it. ---

  // ALREADY_EXISTS for a taken name; NOT_FOUND for an unknown all_of input.
  [[nodiscard]] absl::StatusOr<TokenView> CreateToken(TokenSpec spec);
  [[nodiscard]] absl::StatusOr<TokenView> GetToken(const std::string& name) const;
  // By name, from `page_token` (a name; empty: the first) on, at most
  // `page_size` of them.
  TokenPage ListTokens(const Selector& selector, size_t page_size,
                       const std::string& page_token) const;
  // Removes the token, its links and its all-of inputs and outputs. Live
  // attached operations: FAILED_PRECONDITION naming how many, unless
  // `force`, which detaches them. Returns how many were attached.
  [[nodiscard]] absl::StatusOr<size_t> DeleteToken(const std::string& name, bool force);
  size_t token_count() const;
  [[nodiscard]] absl::StatusOr<TokenCancelResult> CancelToken(const std::string& name,
                                                              std::string message,
                                                              std::string actor);
  // Cancel `target` when `source` is cancelled. FAILED_PRECONDITION naming
  // the cycle when `source` is reachable from `target`.
  [[nodiscard]] absl::StatusOr<TokenView> LinkTokens(const std::string& source,
                                                     const std::string& target);

  // Sets (a time) or removes (nullopt) a deadline. NOT_FOUND; or
  // FAILED_PRECONDITION once cancelled or finished.
  [[nodiscard]] absl::Status SetOperationDeadline(const std::string& id,
                                                  std::optional<absl::Time> deadline);
  [[nodiscard]] absl::Status SetTokenDeadline(const std::string& name,
                                              std::optional<absl::Time> deadline);

  // Keeps `resource` until operation `id` ends, then destroys it (outside
  // the lock); destroys it at once when `id` has already ended or is unknown.
  void Hold(const std::string& id, std::unique_ptr<OperationResource> resource);

  // Cancels every live operation subscribed to `signo` (reason signal,
  // "Received signal SIGUSR1 (10)", cascading). Returns how many.
  int CancelSignalSubscribers(int signo);
  // Cancels the live, not yet cancelled ones of `ids` (cascading). Returns
  // how many.
  int CancelOperations(const std::vector<std::string>& ids, CancelReason reason,
                       const std::string& message, const std::string& actor);

  size_t live_count() const;

  // Puts back what a store kept (before serving; the graph must be empty):
  // tokens with their links, records and deadlines (a deadline passed
  // meanwhile fires at once), the history, the records of operations live at
  // the end of the previous run, and its selector cancels.
  void Restore(StoredState state);
  // This run's epoch: the first part of every id it gives.
  uint32_t epoch() const { return epoch_; }

 private:
  struct Record {
    uint64_t seq = 0;
    Operation op;
    // Children still known: live, and finished ones until they are pruned.
    absl::flat_hash_set<std::string> children;
    std::vector<std::string> tokens;  // attached named tokens
    std::vector<int> signals;         // subscribed daemon signals
    Scheduler::Timer deadline_timer;
    // What the operation holds until it ends (Hold); null when nothing, as
    // for most operations.
    std::unique_ptr<std::vector<std::unique_ptr<OperationResource>>> held;
    // The timeout the deadline was set with (for the text of its cancel);
    // zero when it was moved or set as a time.
    absl::Duration stated_timeout = absl::ZeroDuration();
  };
  struct TokenRecord {
    TokenView view;  // sources/targets/all_of/operation_ids kept in the sets
    absl::flat_hash_set<std::string> sources;
    absl::flat_hash_set<std::string> targets;
    absl::flat_hash_set<std::string> all_of_pending;  // inputs not yet cancelled
    absl::flat_hash_set<std::string> all_of_outputs;  // all-of tokens fed by this
    absl::flat_hash_set<std::string> operations;
    Scheduler::Timer deadline_timer;
  };
  // What must happen after the lock is released.
  struct Outbox {
    absl::flat_hash_map<uint64_t, std::vector<CancelDelivery>> deliveries;
    std::vector<uint64_t> order;                               // sessions in first-delivery order
    std::vector<Scheduler::Timer> timers;                      // destroyed outside the lock
    std::vector<std::unique_ptr<OperationResource>> released;  // ditto
  };
  // One change of the graph, the shape of every mutation:
  //
  //   Change change(this);               // holds mu_ from here
  //   ... CancelLocked(..., change.out()) ...
  //   return result;                     // ~Change: unlock, then Flush
  //
  // Its destructor releases the lock and then delivers what the change
  // queued (cancels to sessions, timers to destroy), so that listeners and
  // timer destructors never run under the graph's lock.
  class ABSL_SCOPED_LOCKABLE Change {
   public:
    explicit Change(OperationGraph* graph) ABSL_EXCLUSIVE_LOCK_FUNCTION(graph->mu_)
        : graph_(graph) {
      graph_->mu_.Lock();
    }
    ~Change() ABSL_UNLOCK_FUNCTION() {
      graph_->mu_.Unlock();
      graph_->Flush(out_);
    }
    Change(const Change&) = delete;
    Change& operator=(const Change&) = delete;
    Outbox& out() { return out_; }

   private:
    OperationGraph* const graph_;
    Outbox out_;
  };

  // A new record (with its id in the store).
  std::shared_ptr<const CancellationDetails> MakeRecord(
      CancelReason reason, std::string message, absl::Time time, std::string origin_id,
      std::string actor, std::shared_ptr<const CancellationDetails> cause);
  // The store's view of `token` (TokenPut).
  void JournalTokenLocked(const TokenRecord& token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Re-registration after a restart: the cancel that happened to operation
  // `rec` while it was away (its record, a matching selector cancel), if any.
  std::shared_ptr<const CancellationDetails> MissedCancelLocked(const Record& rec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether `id` was given by an earlier run (and so is registered again).
  bool FromEarlierEpoch(const std::string& id) const;
  // `child`, registered again before its parent, waits for it (for the
  // re-registration window).
  void WaitForParentLocked(const Record& child) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Children registered again before their parent `parent_id`: attached now
  // that it is here (cancelled with it if it is).
  void AttachWaitingChildrenLocked(Record& parent, Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The parent never came back within the window: its waiting children are
  // cancelled owner_lost.
  void OnParentNeverCame(const std::string& parent_id);
  Record* FindLocked(const std::string& id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The session's shared owner record (made, or replaced if it changed).
  std::shared_ptr<const Owner> SharedOwnerLocked(const Owner& owner)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // NOT_FOUND, or PERMISSION_DENIED when another session owns it.
  absl::StatusOr<Record*> OwnedLocked(uint64_t session_id, const std::string& id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Operation SnapshotLocked(const Record& rec) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // FAILED_PRECONDITION when `previous_id` is one of this run's ids whose
  // operation has ended (lost, finished, or pruned since): its owner is told
  // rather than given a new id it would not know of.
  absl::Status CheckPreviousLocked(const std::string& previous_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends the event; returns the snapshot it carries.
  std::shared_ptr<const Operation> EmitLocked(EventType type, const Record& rec)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewIdLocked(const std::string& previous_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks `rec` cancelled with `details` and queues the owner's delivery.
  void MarkCancelledLocked(Record& rec, std::shared_ptr<const CancellationDetails> details,
                           Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Cancels every live, uncancelled descendant of `root`.
  int CascadeLocked(const Record& root, CancelReason reason, const std::string& actor, Outbox& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Delivers again the records of `root` (and, with `cascade`, its live
  // descendants) that are still cancelling; returns how many.
  int ResendLocked(const Record& root, bool cascade, Outbox& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The live operation `previous_id` when a detached session of the same
  // process owns it, else null.
  Record* AdoptableLocked(const Owner& owner, const std::string& previous_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  RegisterResult AdoptLocked(Record& rec, const Owner& owner) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Attaches a new operation to its parent, tokens and signals, and cancels
  // it at once when one of them is cancelled (or, registered `again` after a
  // restart, when it was cancelled while away).
  void AttachLocked(Record& r, Record* parent, const std::vector<TokenRecord*>& tokens,
                    std::vector<int> signals, bool again, Outbox& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int CancelLocked(Record& rec, CancelReason reason, std::string message, std::string actor,
                   bool cascade, Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndLocked(Record& rec, OpStatus status, Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The timer that fires `id`'s (or token `name`'s) deadline `when`; a fired
  // timer whose deadline has moved meanwhile does nothing.
  Scheduler::Timer OperationDeadlineTimer(const std::string& id, absl::Time when);
  Scheduler::Timer TokenDeadlineTimer(const std::string& name, absl::Time when);
  void OnDeadline(const std::string& id, absl::Time when);
  // The text of a deadline's cancel: "Operation timed out after 5s".
  static std::string DeadlineMessage(const Record& rec);
  void OnTokenDeadline(const std::string& name, absl::Time when);
  void PruneFinishedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  TokenRecord* FindTokenLocked(const std::string& name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every named token, or NOT_FOUND naming the first missing one as
  // `field[i]`.
  absl::StatusOr<std::vector<TokenRecord*>> FindTokensLocked(const std::vector<std::string>& names,
                                                             absl::string_view field) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  TokenView TokenViewLocked(const TokenRecord& token) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks `token` cancelled (its deadline, if still to come, goes).
  void MarkTokenCancelledLocked(TokenRecord& token,
                                std::shared_ptr<const CancellationDetails> details, Outbox& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks `token` cancelled and walks everything below it. Returns
  // {tokens, operations} reached.
  std::pair<int, int> CancelTokenLocked(TokenRecord& token,
                                        std::shared_ptr<const CancellationDetails> details,
                                        Outbox& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The token path from `from` to `to` along cancel edges, empty if none.
  std::vector<std::string> TokenPathLocked(const std::string& from, const std::string& to) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Flush(Outbox& out);

  Clock& clock_;
  Scheduler& scheduler_;
  EventLog& events_;
  CancelListener& listener_;
  const GraphOptions options_;
  Journal& journal_;
  uint32_t epoch_;
  std::string instance_prefix_;  // the epoch, as the first part of ids
  // Deadline callbacks run holding this gate shared; the destructor closes
  // it exclusively, so it waits for one that is running (a fired deadline's
  // handle has already left its record, so destroying the records' timers
  // alone would not wait for it) and none runs on a destroyed graph.
  struct Gate {
    std::shared_mutex mu;
    bool open = true;
  };
  const std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();

  mutable internal::Mutex mu_;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  absl::btree_map<uint64_t, std::unique_ptr<Record>> by_seq_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Record*> by_id_ ABSL_GUARDED_BY(mu_);
  // Live operations of each session, by seq (8 bytes each, not an id copy).
  // One owner record per session, shared by its operations' identities.
  absl::flat_hash_map<uint64_t, std::shared_ptr<const Owner>> owners_ ABSL_GUARDED_BY(mu_);
  // SessionDetached: since when.
  absl::flat_hash_map<uint64_t, absl::Time> detached_sessions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<uint64_t>> live_by_session_
      ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> finished_ ABSL_GUARDED_BY(mu_);  // seqs, oldest first
  size_t live_ ABSL_GUARDED_BY(mu_) = 0;
  absl::btree_map<std::string, std::unique_ptr<TokenRecord>> tokens_ ABSL_GUARDED_BY(mu_);
  // Re-registration after a restart (Restore): records of operations that
  // were live then, by id; selector cancels in effect until window_end_;
  // children waiting for their parent, by the parent's id.
  absl::flat_hash_map<std::string, std::shared_ptr<const CancellationDetails>> missed_cancels_
      ABSL_GUARDED_BY(mu_);
  struct InEffect {
    StoredSelectorCancel stored;
    OperationFilter filter;
  };
  std::vector<InEffect> selector_cancels_ ABSL_GUARDED_BY(mu_);
  absl::Time window_end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  struct Waiting {
    std::vector<std::string> children;
    Scheduler::Timer timer;
  };
  absl::flat_hash_map<std::string, Waiting> waiting_for_parent_ ABSL_GUARDED_BY(mu_);
  // Live subscribers of each daemon signal.
  absl::flat_hash_map<int, absl::flat_hash_set<std::string>> signal_subscribers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_GRAPH_H_
