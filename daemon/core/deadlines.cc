// OperationGraph's deadlines, of operations and of named tokens: the timers
// that fire them (one scheduler for all), what a fired one does, and moving
// or removing them. A deadline already passed when it is set fires at once.
#include <shared_mutex>
#include <string>

#include "daemon/core/cause_text.h"
#include "daemon/core/operation_graph.h"
#include "hother/cancelable/errors.h"

namespace hother::cancelable::daemon {

Scheduler::Timer OperationGraph::OperationDeadlineTimer(const std::string& id, absl::Time when) {
  return scheduler_.At(when, [this, gate = gate_, id, when] {
    std::shared_lock<std::shared_mutex> hold(gate->mu);
    if (gate->open) OnDeadline(id, when);
  });
}

Scheduler::Timer OperationGraph::TokenDeadlineTimer(const std::string& name, absl::Time when) {
  return scheduler_.At(when, [this, gate = gate_, name, when] {
    std::shared_lock<std::shared_mutex> hold(gate->mu);
    if (gate->open) OnTokenDeadline(name, when);
  });
}

std::string OperationGraph::DeadlineMessage(const Record& rec) {
  return TimeoutMessage(rec.stated_timeout > absl::ZeroDuration()
                            ? rec.stated_timeout
                            : *rec.op.deadline - rec.op.created_time());
}

void OperationGraph::OnDeadline(const std::string& id, absl::Time when) {
  Change change(this);
  Outbox& out = change.out();
  Record* rec = FindLocked(id);
  // A deadline moved while this timer was firing is not this one.
  if (rec == nullptr || rec->op.deadline != when) return;
  CancelLocked(*rec, CancelReason::kTimeout, DeadlineMessage(*rec), "deadline",
               /*cascade=*/true, out);
}

void OperationGraph::OnTokenDeadline(const std::string& name, absl::Time when) {
  Change change(this);
  Outbox& out = change.out();
  TokenRecord* token = FindTokenLocked(name);
  if (token == nullptr || token->view.cancel != nullptr || token->view.deadline != when) return;
  CancelTokenLocked(*token,
                    MakeRecord(CancelReason::kTimeout, TokenDeadlineText(name), clock_.Now(), name,
                               "deadline", nullptr),
                    out);
}

absl::Status OperationGraph::SetOperationDeadline(const std::string& id,
                                                  std::optional<absl::Time> deadline) {
  Change change(this);
  Outbox& out = change.out();
  Record* rec = FindLocked(id);
  if (rec == nullptr) return NoOperation(id);
  if (IsFinished(rec->op.status) || rec->op.cancel != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("operation '", id, "' is already ", ToString(rec->op.status)));
  }
  out.timers.push_back(std::move(rec->deadline_timer));
  rec->op.deadline = deadline;
  rec->stated_timeout = absl::ZeroDuration();
  if (deadline.has_value() && *deadline <= clock_.Now()) {
    CancelLocked(*rec, CancelReason::kTimeout, PassedDeadlineText(*deadline), "deadline",
                 /*cascade=*/true, out);
  } else if (deadline.has_value()) {
    rec->deadline_timer = OperationDeadlineTimer(id, *deadline);
  }
  return absl::OkStatus();
}

absl::Status OperationGraph::SetTokenDeadline(const std::string& name,
                                              std::optional<absl::Time> deadline) {
  Change change(this);
  Outbox& out = change.out();
  TokenRecord* token = FindTokenLocked(name);
  if (token == nullptr) return NoToken(name);
  if (token->view.cancel != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("token '", name, "' is already cancelled"));
  }
  out.timers.push_back(std::move(token->deadline_timer));
  token->view.deadline = deadline;
  JournalTokenLocked(*token);
  if (deadline.has_value() && *deadline <= clock_.Now()) {
    CancelTokenLocked(*token,
                      MakeRecord(CancelReason::kTimeout, PassedDeadlineText(*deadline),
                                 clock_.Now(), name, "deadline", nullptr),
                      out);
  } else if (deadline.has_value()) {
    token->deadline_timer = TokenDeadlineTimer(name, *deadline);
  }
  return absl::OkStatus();
}

}  // namespace hother::cancelable::daemon
