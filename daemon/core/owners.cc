// OperationGraph and its owners' sessions: a session whose stream broke
// (detached, its lease still running), one resumed by a new stream of the
// same client, an operation taken over by the same process, one registered
// again under an id that has ended, and a session's end (its operations
// LOST, their descendants elsewhere cancelled owner_lost).
#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/cause_text.h"
#include "daemon/core/operation_graph.h"

namespace hother::cancelable::daemon {
namespace {}  // namespace

void OperationGraph::SessionDetached(uint64_t session_id) {
  internal::MutexLock lock(&mu_);
  if (!live_by_session_.contains(session_id)) return;  // nothing to keep
  detached_sessions_.try_emplace(session_id, clock_.Now());
}

void OperationGraph::ResumeSession(uint64_t old_session, const Owner& owner) {
  internal::MutexLock lock(&mu_);
  detached_sessions_.erase(old_session);
  owners_.erase(old_session);
  auto it = live_by_session_.find(old_session);
  if (it == live_by_session_.end()) return;
  const std::vector<uint64_t> seqs(it->second.begin(), it->second.end());
  for (uint64_t seq : seqs) AdoptLocked(*by_seq_.at(seq), owner);
}

absl::Status OperationGraph::CheckPreviousLocked(const std::string& previous_id) const {
  if (previous_id.empty() || !absl::StartsWith(previous_id, instance_prefix_)) {
    return absl::OkStatus();
  }
  const Record* rec = FindLocked(previous_id);
  if (rec == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("previous_id: operation ", previous_id,
                     " has ended and is no longer known (it was lost while its owner was away)"));
  }
  if (rec->op.status == OpStatus::kLost) {
    return absl::FailedPreconditionError(absl::StrCat(
        "previous_id: operation ", previous_id,
        " was lost: ", rec->op.cancel != nullptr ? rec->op.cancel->message : "its owner was gone"));
  }
  if (IsFinished(rec->op.status)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "previous_id: operation ", previous_id, " has finished (", ToString(rec->op.status), ")"));
  }
  return absl::OkStatus();
}

OperationGraph::Record* OperationGraph::AdoptableLocked(const Owner& owner,
                                                        const std::string& previous_id) {
  if (previous_id.empty()) return nullptr;
  Record* rec = FindLocked(previous_id);
  if (rec == nullptr || IsFinished(rec->op.status)) return nullptr;
  const Owner& was = rec->op.owner();
  if (was.session_id == owner.session_id) return rec;  // registered again in a resumed session
  if (!detached_sessions_.contains(was.session_id) || was.pid != owner.pid ||
      was.process_name != owner.process_name || was.host != owner.host) {
    return nullptr;
  }
  return rec;
}

RegisterResult OperationGraph::AdoptLocked(Record& rec, const Owner& owner) {
  const uint64_t old_session = rec.op.owner().session_id;
  auto identity = std::make_shared<OperationIdentity>(*rec.op.identity);
  identity->owner = SharedOwnerLocked(owner);
  rec.op.identity = std::move(identity);
  if (auto it = live_by_session_.find(old_session); it != live_by_session_.end()) {
    it->second.erase(rec.seq);
    if (it->second.empty()) live_by_session_.erase(it);
  }
  live_by_session_[owner.session_id].insert(rec.seq);
  return RegisterResult{.id = rec.op.id(), .cancelled = rec.op.cancel};
}

void OperationGraph::SessionEnded(const Owner& owner, absl::string_view why) {
  Change change(this);
  Outbox& out = change.out();
  detached_sessions_.erase(owner.session_id);
  owners_.erase(owner.session_id);
  auto it = live_by_session_.find(owner.session_id);
  if (it == live_by_session_.end()) return;
  std::vector<Record*> lost;
  for (uint64_t seq : it->second) lost.push_back(by_seq_.at(seq).get());
  std::sort(lost.begin(), lost.end(), [](Record* a, Record* b) { return a->seq < b->seq; });
  for (Record* rec : lost) {
    if (rec->op.cancel == nullptr) {
      rec->op.cancel = MakeRecord(
          CancelReason::kOwnerLost,
          absl::StrCat("Owner of operation ", rec->op.id(), " (", OwnerText(owner), ") ", why),
          clock_.Now(), rec->op.id(), "daemon", nullptr);
      rec->op.cancel_requested_time = rec->op.cancel->time;
    }
    EndLocked(*rec, OpStatus::kLost, out);
  }
  // The dead owner hears nothing; descendants elsewhere learn why.
  for (Record* rec : lost) CascadeLocked(*rec, CancelReason::kOwnerLost, "daemon", out);
  PruneFinishedLocked();
  if (auto self = out.deliveries.find(owner.session_id); self != out.deliveries.end()) {
    out.deliveries.erase(self);
    out.order.erase(std::remove(out.order.begin(), out.order.end(), owner.session_id),
                    out.order.end());
  }
}

}  // namespace hother::cancelable::daemon
