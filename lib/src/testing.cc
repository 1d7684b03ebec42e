#include "hother/cancelable/testing.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace hother::cancelable::testing {

OperationRecorder::OperationRecorder(Cancelable& op) {
  op.OnStart([this](const OperationContext&) { Record("start"); })
      .OnProgress([this](const std::string&, const std::string& message, const Metadata&) {
        Record(absl::StrCat("progress:", message));
      })
      .OnComplete([this](const OperationContext&) { Record("complete"); })
      .OnCancel([this](const OperationContext& c) {
        Record(absl::StrCat("cancel:", c.cancel_reason ? ToString(*c.cancel_reason) : "none"));
      })
      .OnError([this](const OperationContext& c, const absl::Status&) {
        Record(absl::StrCat("error:", c.error));
      });
}

void OperationRecorder::Record(std::string event) {
  internal::MutexLock lock(&mu_);
  events_.push_back(std::move(event));
  recorded_.SignalAll();
}

std::vector<std::string> OperationRecorder::events() const {
  internal::MutexLock lock(&mu_);
  return events_;
}

bool OperationRecorder::WaitForEvent(const std::string& event, absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  internal::MutexLock lock(&mu_);
  while (std::find(events_.begin(), events_.end(), event) == events_.end()) {
    if (recorded_.WaitWithDeadline(&mu_, deadline)) {
      return std::find(events_.begin(), events_.end(), event) != events_.end();
    }
  }
  return true;
}

absl::Status ExpectCancelledWithin(const CancellationToken& token, absl::Duration min,
                                   absl::Duration max, absl::Time start) {
  absl::Duration wait = std::max(start + max - absl::Now(), absl::ZeroDuration());
  if (!token.WaitFor(wait + absl::Seconds(1))) {
    return absl::DeadlineExceededError(
        absl::StrCat("not cancelled within ", absl::FormatDuration(max)));
  }
  absl::Duration took = token.details()->time - start;
  if (took < min || took > max) {
    return absl::OutOfRangeError(absl::StrCat("cancelled after ", absl::FormatDuration(took),
                                              ", expected between ", absl::FormatDuration(min),
                                              " and ", absl::FormatDuration(max)));
  }
  return absl::OkStatus();
}

Scheduler::Timer CancelAfter(Scheduler& scheduler, const CancellationToken& token,
                             absl::Duration delay, CancelReason reason, std::string message) {
  return scheduler.After(
      delay, [token, reason, message = std::move(message)] { token.Cancel(reason, message); });
}

}  // namespace hother::cancelable::testing
