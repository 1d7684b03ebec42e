#include "daemon/core/operation_graph.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/core/cause_text.h"
#include "daemon/core/labels.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/internal/random.h"
#include "hother/cancelable/internal/status_macros.h"
#include "hother/cancelable/signal_watcher.h"

namespace hother::cancelable::daemon {
namespace {

std::string InstancePrefix(uint32_t epoch) { return absl::StrFormat("%08x", epoch); }

// What an identity's strings and maps take, roughly (OperationIdentity::weight).
size_t Weight(const OperationIdentity& identity) {
  size_t weight = sizeof(OperationIdentity) + identity.id.size() + identity.name.size() +
                  identity.parent_id.size();
  for (const Labels* map : {&identity.labels, &identity.metadata}) {
    for (const auto& [key, value] : *map) weight += key.size() + value.size() + 64;
  }
  return weight;
}

}  // namespace

std::shared_ptr<const CancellationDetails> OperationGraph::MakeRecord(
    CancelReason reason, std::string message, absl::Time time, std::string origin_id,
    std::string actor, std::shared_ptr<const CancellationDetails> cause) {
  auto details = std::make_shared<CancellationDetails>();
  details->record_id = journal_.NewRecordId();
  details->reason = reason;
  details->message = std::move(message);
  details->time = time;
  details->origin_id = std::move(origin_id);
  details->actor = std::move(actor);
  details->SetCause(std::move(cause));
  return details;
}

OperationGraph::OperationGraph(Clock& clock, Scheduler& scheduler, EventLog& events,
                               CancelListener& listener, GraphOptions options, Journal& journal)
    : clock_(clock),
      scheduler_(scheduler),
      events_(events),
      listener_(listener),
      options_(options),
      journal_(journal),
      epoch_(options.epoch != 0 ? options.epoch
                                : static_cast<uint32_t>(internal::ThreadRandom()())),
      instance_prefix_(InstancePrefix(epoch_)) {}

OperationGraph::~OperationGraph() {
  {
    std::unique_lock<std::shared_mutex> close(gate_->mu);
    gate_->open = false;
  }
  // Timers first, outside the lock: a firing deadline takes the lock.
  std::vector<Scheduler::Timer> timers;
  {
    internal::MutexLock lock(&mu_);
    for (auto& [seq, rec] : by_seq_) timers.push_back(std::move(rec->deadline_timer));
    for (auto& [name, token] : tokens_) timers.push_back(std::move(token->deadline_timer));
  }
}

OperationGraph::Record* OperationGraph::FindLocked(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

Operation OperationGraph::SnapshotLocked(const Record& rec) const {
  Operation op = rec.op;
  if (!IsFinished(op.status)) {
    if (auto it = detached_sessions_.find(op.owner().session_id); it != detached_sessions_.end()) {
      op.owner_disconnected_since = it->second;
    }
  }
  op.child_ids.assign(rec.children.begin(), rec.children.end());
  std::sort(op.child_ids.begin(), op.child_ids.end());
  return op;
}

std::shared_ptr<const Owner> OperationGraph::SharedOwnerLocked(const Owner& owner) {
  std::shared_ptr<const Owner>& shared = owners_[owner.session_id];
  if (shared == nullptr || shared->process_name != owner.process_name || shared->pid != owner.pid ||
      shared->host != owner.host) {
    shared = std::make_shared<const Owner>(owner);
  }
  return shared;
}

std::shared_ptr<const Operation> OperationGraph::EmitLocked(EventType type, const Record& rec) {
  auto snapshot = std::make_shared<const Operation>(SnapshotLocked(rec));
  events_.Append(type, snapshot, clock_.Now());
  return snapshot;
}

std::string OperationGraph::NewIdLocked(const std::string& previous_id) {
  // An id from an earlier daemon is kept when free; ours are never reused.
  if (!previous_id.empty() && !absl::StartsWith(previous_id, instance_prefix_) &&
      !by_id_.contains(previous_id)) {
    return previous_id;
  }
  return absl::StrCat(instance_prefix_, "-", next_seq_);
}

void OperationGraph::AttachLocked(Record& r, Record* parent,
                                  const std::vector<TokenRecord*>& tokens, std::vector<int> signals,
                                  bool again, Outbox& out) {
  // What happened to it while it was away, before anything else.
  if (again) {
    if (std::shared_ptr<const CancellationDetails> missed = MissedCancelLocked(r)) {
      MarkCancelledLocked(r, std::move(missed), out);
    }
  }
  // Cancel-before-start: a cancelled (or lost) parent gives a cancelled child.
  if (parent != nullptr) parent->children.insert(r.op.id());
  if (parent != nullptr && parent->op.cancel != nullptr && r.op.cancel == nullptr) {
    bool lost = parent->op.status == OpStatus::kLost ||
                parent->op.cancel->reason == CancelReason::kOwnerLost;
    MarkCancelledLocked(r,
                        MakeRecord(lost ? CancelReason::kOwnerLost : CancelReason::kParent,
                                   ParentCancelledText(parent->op.id(), lost), clock_.Now(),
                                   r.op.id(), parent->op.cancel->actor, parent->op.cancel),
                        out);
  }
  r.signals = std::move(signals);
  for (int signo : r.signals) signal_subscribers_[signo].insert(r.op.id());
  for (TokenRecord* token : tokens) {
    token->operations.insert(r.op.id());
    r.tokens.push_back(token->view.name);
    if (token->view.cancel != nullptr && r.op.cancel == nullptr) {
      MarkCancelledLocked(
          r,
          MakeRecord(CancelReason::kParent, TokenCancelledText(token->view.name), clock_.Now(),
                     r.op.id(), token->view.cancel->actor, token->view.cancel),
          out);
    }
  }
}

absl::StatusOr<RegisterResult> OperationGraph::Register(const Owner& owner, RegisterSpec spec) {
  Change change(this);
  Outbox& out = change.out();
  RegisterResult result;
  // The same process, back after the daemon ended its stream for a protocol
  // error: it takes its operation over, id, children and cancel included.
  if (Record* adopted = AdoptableLocked(owner, spec.previous_id)) {
    return AdoptLocked(*adopted, owner);
  }
  CANCELABLE_RETURN_IF_ERROR(CheckPreviousLocked(spec.previous_id));
  if (live_ >= options_.max_operations) {
    return absl::ResourceExhaustedError(absl::StrCat("the daemon holds its maximum of ",
                                                     options_.max_operations,
                                                     " live operations (--max-operations)"));
  }
  // Registered again after a restart: its parent may not be back yet.
  const bool again = FromEarlierEpoch(spec.previous_id) && !by_id_.contains(spec.previous_id);
  Record* parent = nullptr;
  if (!spec.parent_id.empty()) {
    parent = FindLocked(spec.parent_id);
    if (parent == nullptr && !again) {
      return NoOperation(spec.parent_id, "parent_id");
    }
  }
  CANCELABLE_ASSIGN_OR_RETURN(std::vector<TokenRecord*> tokens,
                              FindTokensLocked(spec.tokens, "tokens"));
  auto rec = std::make_unique<Record>();
  rec->seq = next_seq_;
  Operation& op = rec->op;
  OperationIdentity identity{.id = NewIdLocked(spec.previous_id),
                             .name = std::move(spec.name),
                             .labels = std::move(spec.labels),
                             .metadata = std::move(spec.metadata),
                             .owner = SharedOwnerLocked(owner),
                             .parent_id = std::move(spec.parent_id),
                             .created_time = clock_.Now()};
  identity.weight = Weight(identity);
  op.identity = std::make_shared<const OperationIdentity>(std::move(identity));
  ++next_seq_;
  if (spec.timeout.has_value()) {
    op.deadline = op.created_time() + *spec.timeout;
    rec->stated_timeout = spec.stated_timeout.value_or(*spec.timeout);
    rec->deadline_timer = OperationDeadlineTimer(op.id(), *op.deadline);
  }
  Record& r = *rec;
  by_id_[op.id()] = rec.get();
  live_by_session_[owner.session_id].insert(rec->seq);
  by_seq_.emplace(rec->seq, std::move(rec));
  ++live_;
  EmitLocked(EventType::kRegistered, r);
  if (again && parent == nullptr && !r.op.parent_id().empty()) WaitForParentLocked(r);
  AttachLocked(r, parent, tokens, std::move(spec.signals), again, out);
  if (r.op.cancel != nullptr) {
    out.deliveries.clear();  // the caller learns it from the result
    out.order.clear();
    result.cancelled = r.op.cancel;
  }
  if (!waiting_for_parent_.empty()) AttachWaitingChildrenLocked(r, out);
  result.id = r.op.id();
  return result;
}

absl::StatusOr<OperationGraph::Record*> OperationGraph::OwnedLocked(uint64_t session_id,
                                                                    const std::string& id) const {
  Record* rec = FindLocked(id);
  if (rec == nullptr) return NoOperation(id);
  if (rec->op.owner().session_id != session_id) {
    return absl::PermissionDeniedError(
        absl::StrCat("operation '", id, "' is owned by ", OwnerText(rec->op.owner())));
  }
  return rec;
}

absl::Status OperationGraph::ReportProgress(uint64_t session_id, const std::string& id,
                                            std::string message, Labels metadata) {
  internal::MutexLock lock(&mu_);
  CANCELABLE_ASSIGN_OR_RETURN(Record * rec, OwnedLocked(session_id, id));
  if (IsFinished(rec->op.status)) {
    return absl::FailedPreconditionError(absl::StrCat("operation '", id, "' has finished"));
  }
  rec->op.last_progress = std::make_shared<const ProgressReport>(
      ProgressReport{std::move(message), std::move(metadata), clock_.Now()});
  EmitLocked(EventType::kProgress, *rec);
  return absl::OkStatus();
}

absl::Status OperationGraph::Finish(uint64_t session_id, const std::string& id, OpStatus status,
                                    std::string error) {
  if (!IsFinished(status) || status == OpStatus::kLost) {
    return absl::InvalidArgumentError(
        absl::StrCat("status: ", ToString(status),
                     " is not a final status (completed, cancelled, failed, timeout)"));
  }
  Change change(this);
  Outbox& out = change.out();
  CANCELABLE_ASSIGN_OR_RETURN(Record * rec, OwnedLocked(session_id, id));
  if (IsFinished(rec->op.status)) return absl::OkStatus();
  if (status == OpStatus::kTimeout && rec->op.cancel == nullptr && rec->op.deadline.has_value()) {
    // The owner's copy of the deadline fired first (it started counting
    // before the registration reached us): record what ours would have,
    // and tell descendants elsewhere now rather than when ours fires.
    CancelLocked(*rec, CancelReason::kTimeout, DeadlineMessage(*rec), "deadline",
                 /*cascade=*/true, out);
  }
  rec->op.error = std::move(error);
  EndLocked(*rec, status, out);
  PruneFinishedLocked();
  return absl::OkStatus();
}

void OperationGraph::EndLocked(Record& rec, OpStatus status, Outbox& out) {
  rec.op.status = status;
  rec.op.finished_time = clock_.Now();
  out.timers.push_back(std::move(rec.deadline_timer));
  if (rec.held != nullptr) {
    for (auto& resource : *rec.held) out.released.push_back(std::move(resource));
    rec.held.reset();
  }
  for (const std::string& name : rec.tokens) {
    if (TokenRecord* token = FindTokenLocked(name)) token->operations.erase(rec.op.id());
  }
  for (int signo : rec.signals) {
    auto subscribers = signal_subscribers_.find(signo);
    if (subscribers == signal_subscribers_.end()) continue;
    subscribers->second.erase(rec.op.id());
    if (subscribers->second.empty()) signal_subscribers_.erase(subscribers);
  }
  auto session = live_by_session_.find(rec.op.owner().session_id);
  if (session != live_by_session_.end()) {
    session->second.erase(rec.seq);
    if (session->second.empty()) live_by_session_.erase(session);
  }
  --live_;
  journal_.Append(journal::OperationFinished{
      EmitLocked(status == OpStatus::kLost ? EventType::kLost : EventType::kFinished, rec),
      HistoryOrder(epoch_, rec.seq)});
  finished_.push_back(rec.seq);
}

void OperationGraph::PruneFinishedLocked() {
  // Only once a whole change is done: records ended by it may still be used.
  while (finished_.size() > options_.finished_retention) {
    auto it = by_seq_.find(finished_.front());
    finished_.pop_front();
    if (it == by_seq_.end()) continue;
    const Operation& op = it->second->op;
    if (Record* parent = op.parent_id().empty() ? nullptr : FindLocked(op.parent_id())) {
      parent->children.erase(op.id());  // kept until now: `get` of the parent lists it
    }
    by_id_.erase(op.id());
    by_seq_.erase(it);
  }
}

void OperationGraph::MarkCancelledLocked(Record& rec,
                                         std::shared_ptr<const CancellationDetails> details,
                                         Outbox& out) {
  rec.op.cancel = std::move(details);
  rec.op.cancel_requested_time = rec.op.cancel->time;
  if (rec.op.deadline.has_value() && *rec.op.deadline > rec.op.cancel->time) {
    rec.op.deadline.reset();  // it will not fire: a cancelled operation shows none
  }
  if (rec.op.status == OpStatus::kRunning) rec.op.status = OpStatus::kCancelling;
  out.timers.push_back(std::move(rec.deadline_timer));
  EmitLocked(EventType::kCancelRequested, rec);
  journal_.Append(journal::OperationCancelled{rec.op.cancel});
  const uint64_t session = rec.op.owner().session_id;
  auto [it, inserted] = out.deliveries.try_emplace(session);
  if (inserted) out.order.push_back(session);
  it->second.push_back(CancelDelivery{rec.op.id(), rec.op.cancel});
}

int OperationGraph::CascadeLocked(const Record& root, CancelReason reason, const std::string& actor,
                                  Outbox& out) {
  // Breadth-first, iteratively: trees of any depth.
  int reached = 0;
  std::deque<const Record*> queue = {&root};
  while (!queue.empty()) {
    const Record* parent = queue.front();
    queue.pop_front();
    // Finished children stay in the set (for `get`); only live ones are walked.
    std::vector<Record*> children;
    for (const std::string& child_id : parent->children) {
      Record* child = FindLocked(child_id);
      if (child != nullptr && !IsFinished(child->op.status)) children.push_back(child);
    }
    std::sort(children.begin(), children.end(),
              [](const Record* a, const Record* b) { return a->op.id() < b->op.id(); });
    for (Record* child : children) {
      if (child->op.cancel == nullptr) {
        MarkCancelledLocked(
            *child,
            MakeRecord(reason,
                       ParentCancelledText(parent->op.id(), reason == CancelReason::kOwnerLost),
                       clock_.Now(), child->op.id(), actor, parent->op.cancel),
            out);
        ++reached;
      }
      queue.push_back(child);
    }
  }
  return reached;
}

int OperationGraph::CancelLocked(Record& rec, CancelReason reason, std::string message,
                                 std::string actor, bool cascade, Outbox& out) {
  if (IsFinished(rec.op.status) || rec.op.cancel != nullptr) return 0;
  if (message.empty()) message = ManualMessage();
  MarkCancelledLocked(
      rec, MakeRecord(reason, std::move(message), clock_.Now(), rec.op.id(), actor, nullptr), out);
  int reached = 1;
  if (cascade && !rec.children.empty()) {
    reached += CascadeLocked(rec, CancelReason::kParent, actor, out);
  }
  return reached;
}

int OperationGraph::ResendLocked(const Record& root, bool cascade, Outbox& out) {
  // Breadth-first, as the cascade went: every operation of the subtree still
  // cancelling has not told the daemon it heard; its record goes again.
  int resent = 0;
  std::deque<const Record*> queue = {&root};
  while (!queue.empty()) {
    const Record* rec = queue.front();
    queue.pop_front();
    if (rec->op.status == OpStatus::kCancelling && rec->op.cancel != nullptr) {
      const uint64_t session = rec->op.owner().session_id;
      auto [it, inserted] = out.deliveries.try_emplace(session);
      if (inserted) out.order.push_back(session);
      it->second.push_back(CancelDelivery{rec->op.id(), rec->op.cancel});
      ++resent;
    }
    if (!cascade) break;
    for (const std::string& child_id : rec->children) {
      const Record* child = FindLocked(child_id);
      if (child != nullptr && !IsFinished(child->op.status)) queue.push_back(child);
    }
  }
  return resent;
}

absl::StatusOr<CancelResult> OperationGraph::Cancel(const std::string& id, std::string message,
                                                    std::string actor, bool cascade) {
  Change change(this);
  Outbox& out = change.out();
  CancelResult result;
  Record* rec = FindLocked(id);
  if (rec == nullptr) return NoOperation(id);
  result.reached =
      CancelLocked(*rec, CancelReason::kManual, std::move(message), std::move(actor), cascade, out);
  result.first = result.reached > 0;
  if (!result.first) result.resent = ResendLocked(*rec, cascade, out);
  result.operation = SnapshotLocked(*rec);
  return result;
}

CancelAllResult OperationGraph::CancelAll(const OperationFilter& filter, std::string message,
                                          std::string actor, bool dry_run, size_t list_at_most) {
  Change change(this);
  Outbox& out = change.out();
  CancelAllResult result;
  std::vector<Record*> matched;
  for (auto& [seq, rec] : by_seq_) {
    if (!IsFinished(rec->op.status) && rec->op.cancel == nullptr && filter.Matches(rec->op)) {
      matched.push_back(rec.get());
    }
  }
  result.matched = static_cast<int64_t>(matched.size());
  if (!dry_run) {
    // Kept: operations live before it that register again after a restart
    // are matched as these were.
    StoredSelectorCancel stored{
        filter.selector_text, filter.name_glob, filter.statuses, filter.owner,    message, actor,
        clock_.Now(),         epoch_,           next_seq_,       filter.principal};
    if (clock_.Now() < window_end_) selector_cancels_.push_back(InEffect{stored, filter});
    journal_.Append(journal::SelectorCancelled{std::move(stored)});
  }
  for (Record* rec : matched) {
    if (!dry_run) {
      result.cancelled += CancelLocked(*rec, CancelReason::kManual, message, actor,
                                       /*cascade=*/true, out) > 0;
    }
    if (result.listed.size() < list_at_most) result.listed.push_back(SnapshotLocked(*rec));
  }
  return result;
}

absl::StatusOr<Operation> OperationGraph::Get(const std::string& id) const {
  internal::MutexLock lock(&mu_);
  Record* rec = FindLocked(id);
  if (rec == nullptr) return NoOperation(id);
  return SnapshotLocked(*rec);
}

absl::StatusOr<std::shared_ptr<const Owner>> OperationGraph::OwnerOf(const std::string& id) const {
  internal::MutexLock lock(&mu_);
  Record* rec = FindLocked(id);
  if (rec == nullptr) return NoOperation(id);
  return rec->op.identity->owner;
}

absl::StatusOr<OperationGraph::Page> OperationGraph::List(const OperationFilter& filter,
                                                          size_t page_size,
                                                          const std::string& page_token) const {
  uint64_t start = 0;
  if (!page_token.empty() && !absl::SimpleAtoi(page_token, &start)) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_token: ", Quote(page_token), " is not valid"));
  }
  Page page;
  internal::MutexLock lock(&mu_);
  for (auto it = by_seq_.lower_bound(start); it != by_seq_.end(); ++it) {
    if (!filter.Matches(it->second->op)) continue;
    if (page.operations.size() == page_size) {
      page.next_page_token = absl::StrCat(it->first);
      break;
    }
    page.operations.push_back(SnapshotLocked(*it->second));
    page.resume_tokens.push_back(absl::StrCat(it->first));
  }
  return page;
}

int OperationGraph::CancelSignalSubscribers(int signo) {
  std::vector<std::string> ids;
  {
    internal::MutexLock lock(&mu_);
    auto it = signal_subscribers_.find(signo);
    if (it == signal_subscribers_.end()) return 0;
    ids.assign(it->second.begin(), it->second.end());
  }
  const std::string name = SignalName(signo);
  return CancelOperations(ids, CancelReason::kSignal,
                          absl::StrCat("Received signal ", name, " (", signo, ")"),
                          absl::StrCat("signal ", name));
}

int OperationGraph::CancelOperations(const std::vector<std::string>& ids, CancelReason reason,
                                     const std::string& message, const std::string& actor) {
  Change change(this);
  Outbox& out = change.out();
  int cancelled = 0;
  std::vector<Record*> records;
  for (const std::string& id : ids) {
    if (Record* rec = FindLocked(id)) records.push_back(rec);
  }
  std::sort(records.begin(), records.end(), [](Record* a, Record* b) { return a->seq < b->seq; });
  for (Record* rec : records) {
    cancelled += CancelLocked(*rec, reason, message, actor, /*cascade=*/true, out) > 0;
  }
  return cancelled;
}

void OperationGraph::Hold(const std::string& id, std::unique_ptr<OperationResource> resource) {
  Change change(this);
  Record* rec = FindLocked(id);
  if (rec == nullptr || IsFinished(rec->op.status)) {
    change.out().released.push_back(std::move(resource));
    return;
  }
  if (rec->held == nullptr) {
    rec->held = std::make_unique<std::vector<std::unique_ptr<OperationResource>>>();
  }
  rec->held->push_back(std::move(resource));
}

size_t OperationGraph::live_count() const {
  internal::MutexLock lock(&mu_);
  return live_;
}

void OperationGraph::Flush(Outbox& out) {
  out.timers.clear();
  out.released.clear();
  for (uint64_t session : out.order) {
    listener_.DeliverCancels(session, std::move(out.deliveries[session]));
  }
}

}  // namespace hother::cancelable::daemon
