#include "hother/cancelable/errors.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "lib/src/token_state.h"
#include "lib/src/uuid.h"

namespace hother::cancelable {

std::string TimeoutMessage(absl::Duration timeout) {
  return absl::StrCat("Operation timed out after ", absl::ToDoubleSeconds(timeout), "s");
}

std::string ManualMessage() { return "Operation cancelled manually"; }

std::string SignalMessage(int signo) {
  return absl::StrCat("Operation cancelled by signal ", signo);
}

std::string ConditionMessage(absl::string_view name) {
  return absl::StrCat("Operation cancelled: ", name, " condition met");
}

std::string ParentMessage(absl::string_view parent_id, CancelReason reason) {
  return absl::StrCat("Operation cancelled: parent ", internal::ShortId(parent_id),
                      " was cancelled (", ToString(reason), ")");
}

absl::Status CancellationStatus(const CancellationDetails& details) {
  absl::Status status = details.Root().reason == CancelReason::kTimeout
                            ? absl::DeadlineExceededError(details.message)
                            : absl::CancelledError(details.message);
  status.SetPayload(kReasonPayloadKey, absl::Cord(ToString(details.reason)));
  return status;
}

std::optional<CancelReason> ReasonOfStatus(const absl::Status& status) {
  if (absl::optional<absl::Cord> payload = status.GetPayload(kReasonPayloadKey)) {
    if (auto reason = ParseCancelReason(std::string(*payload))) return reason;
  }
  if (absl::IsDeadlineExceeded(status)) return CancelReason::kTimeout;
  if (absl::IsCancelled(status)) return CancelReason::kManual;
  return std::nullopt;
}

CancelledError::CancelledError(std::shared_ptr<const CancellationDetails> details)
    : std::runtime_error(details->message), details_(std::move(details)) {}

CancelledError::CancelledError(CancelReason reason, std::string message)
    : CancelledError(internal::MakeDetails(reason, std::move(message), "", nullptr)) {}

void ThrowCancelledError(std::shared_ptr<const CancellationDetails> details) {
  switch (details->reason) {
    case CancelReason::kTimeout:
      throw TimeoutError(std::move(details));
    case CancelReason::kManual:
      throw ManualCancelError(std::move(details));
    case CancelReason::kSignal:
      throw SignalCancelError(std::move(details));
    case CancelReason::kCondition:
      throw ConditionCancelError(std::move(details));
    case CancelReason::kParent:
      throw ParentCancelError(std::move(details));
    default:
      throw CancelledError(std::move(details));
  }
}

}  // namespace hother::cancelable
