// OperationGraph across a restart: Restore puts back what the store kept,
// and an operation registered again by its owner (previous_id from an
// earlier epoch) gets what happened to it while it was away: its own
// cancellation record, a selector cancel that would have matched it, and its
// children that came back before it.
#include <algorithm>
#include <shared_mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "daemon/core/cause_text.h"
#include "daemon/core/operation_graph.h"
#include "hother/cancelable/log.h"

namespace hother::cancelable::daemon {
namespace {

// The epoch and number of an id like "0003a1f2-42"; nullopt for anything else.
std::optional<std::pair<uint32_t, uint64_t>> ParseId(absl::string_view id) {
  if (id.size() < 10 || id[8] != '-') return std::nullopt;
  uint32_t epoch = 0;
  uint64_t number = 0;
  if (!absl::SimpleHexAtoi(id.substr(0, 8), &epoch) || !absl::SimpleAtoi(id.substr(9), &number)) {
    return std::nullopt;
  }
  return std::make_pair(epoch, number);
}

}  // namespace

bool OperationGraph::FromEarlierEpoch(const std::string& id) const {
  std::optional<std::pair<uint32_t, uint64_t>> parsed = ParseId(id);
  return parsed.has_value() && parsed->first != epoch_;
}

void OperationGraph::Restore(StoredState state) {
  Change change(this);
  Outbox& out = change.out();
  // Tokens, then their links and all-of edges (inputs first by name: any
  // order builds the same sets).
  for (StoredToken& stored : state.tokens) {
    auto token = std::make_unique<TokenRecord>();
    token->view.name = stored.name;
    token->view.labels = std::move(stored.labels);
    token->view.created_time = stored.created_time;
    token->view.deadline = stored.deadline;
    token->view.all_of = std::move(stored.all_of);
    token->view.cancel = std::move(stored.cancel);
    token->view.creator = std::move(stored.creator);
    if (token->view.deadline.has_value() && token->view.cancel == nullptr) {
      token->deadline_timer = TokenDeadlineTimer(token->view.name, *token->view.deadline);
    }
    tokens_.emplace(stored.name, std::move(token));
  }
  for (auto& [name, token] : tokens_) {
    for (const std::string& input : token->view.all_of) {
      TokenRecord* in = FindTokenLocked(input);
      if (in == nullptr) continue;
      in->all_of_outputs.insert(name);
      if (in->view.cancel == nullptr) token->all_of_pending.insert(input);
    }
  }
  for (const auto& [source, target] : state.links) {
    TokenRecord* from = FindTokenLocked(source);
    TokenRecord* to = FindTokenLocked(target);
    if (from == nullptr || to == nullptr) continue;
    from->targets.insert(target);
    to->sources.insert(source);
  }
  // The history, oldest first, with the children it still knows.
  by_id_.reserve(by_id_.size() + state.history.size());
  for (auto& [order, op] : state.history) {
    auto rec = std::make_unique<Record>();
    rec->seq = next_seq_++;
    rec->op = std::move(op);
    Record& r = *rec;
    by_id_[r.op.id()] = rec.get();
    finished_.push_back(r.seq);
    by_seq_.emplace(r.seq, std::move(rec));
    if (Record* parent = r.op.parent_id().empty() ? nullptr : FindLocked(r.op.parent_id())) {
      parent->children.insert(r.op.id());
    }
  }
  PruneFinishedLocked();
  for (auto& record : state.pending_cancels) {
    std::string id = record->origin_id;
    missed_cancels_[id] = std::move(record);
  }
  window_end_ = clock_.Now() + options_.reregistration_window;
  for (StoredSelectorCancel& stored : state.selector_cancels) {
    absl::StatusOr<Selector> selector = Selector::Parse(stored.selector);
    if (!selector.ok()) {
      Log(LogLevel::kWarning, "a stored selector cancel no longer parses; it is not applied",
          {{"selector", stored.selector}, {"error", std::string(selector.status().message())}});
      continue;
    }
    OperationFilter filter{*std::move(selector), stored.selector, stored.name_glob,
                           stored.statuses,      stored.owner,    stored.principal};
    selector_cancels_.push_back(InEffect{std::move(stored), std::move(filter)});
  }
  (void)out;
}

std::shared_ptr<const CancellationDetails> OperationGraph::MissedCancelLocked(const Record& rec) {
  if (auto it = missed_cancels_.find(rec.op.id()); it != missed_cancels_.end()) {
    std::shared_ptr<const CancellationDetails> record = std::move(it->second);
    missed_cancels_.erase(it);
    return record;
  }
  if (clock_.Now() >= window_end_) {
    selector_cancels_.clear();
    return nullptr;
  }
  std::optional<std::pair<uint32_t, uint64_t>> id = ParseId(rec.op.id());
  if (!id.has_value()) return nullptr;
  for (const InEffect& c : selector_cancels_) {
    // Only a cancel made after the operation was registered could reach it.
    const bool before = std::make_pair(id->first, id->second) <
                        std::make_pair(c.stored.epoch, c.stored.next_number);
    if (before && c.filter.Matches(rec.op)) {
      return MakeRecord(CancelReason::kManual, c.stored.message, c.stored.time, rec.op.id(),
                        c.stored.actor, nullptr);
    }
  }
  return nullptr;
}

void OperationGraph::WaitForParentLocked(const Record& child) {
  Waiting& waiting = waiting_for_parent_[child.op.parent_id()];
  waiting.children.push_back(child.op.id());
  if (waiting.timer.active()) return;
  waiting.timer = scheduler_.After(options_.reregistration_window,
                                   [this, gate = gate_, parent_id = child.op.parent_id()] {
                                     std::shared_lock<std::shared_mutex> hold(gate->mu);
                                     if (gate->open) OnParentNeverCame(parent_id);
                                   });
}

void OperationGraph::AttachWaitingChildrenLocked(Record& parent, Outbox& out) {
  auto it = waiting_for_parent_.find(parent.op.id());
  if (it == waiting_for_parent_.end()) return;
  Waiting waiting = std::move(it->second);
  waiting_for_parent_.erase(it);
  out.timers.push_back(std::move(waiting.timer));
  for (const std::string& id : waiting.children) {
    if (FindLocked(id) != nullptr) parent.children.insert(id);
  }
  // A cancelled parent (live, or finished in the history) cancels them now.
  if (parent.op.cancel != nullptr) {
    const bool lost =
        parent.op.status == OpStatus::kLost || parent.op.cancel->reason == CancelReason::kOwnerLost;
    CascadeLocked(parent, lost ? CancelReason::kOwnerLost : CancelReason::kParent,
                  parent.op.cancel->actor, out);
  }
}

void OperationGraph::OnParentNeverCame(const std::string& parent_id) {
  Change change(this);
  Outbox& out = change.out();
  auto it = waiting_for_parent_.find(parent_id);
  if (it == waiting_for_parent_.end()) return;
  Waiting waiting = std::move(it->second);
  waiting_for_parent_.erase(it);
  out.timers.push_back(std::move(waiting.timer));
  for (const std::string& id : waiting.children) {
    Record* child = FindLocked(id);
    if (child == nullptr || IsFinished(child->op.status) || child->op.cancel != nullptr) continue;
    MarkCancelledLocked(*child,
                        MakeRecord(CancelReason::kOwnerLost,
                                   ParentNeverCameText(parent_id, options_.reregistration_window),
                                   clock_.Now(), id, "daemon", nullptr),
                        out);
    if (!child->children.empty()) {
      CascadeLocked(*child, CancelReason::kOwnerLost, "daemon", out);
    }
  }
}

}  // namespace hother::cancelable::daemon
