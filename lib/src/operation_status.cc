#include "hother/cancelable/operation_status.h"

#include <array>
#include <utility>

#include "hother/cancelable/internal/enum_names.h"

namespace hother::cancelable {
namespace {

constexpr std::array<std::pair<OperationStatus, absl::string_view>, 7> kNames = {{
    {OperationStatus::kPending, "pending"},
    {OperationStatus::kRunning, "running"},
    {OperationStatus::kCompleted, "completed"},
    {OperationStatus::kCancelled, "cancelled"},
    {OperationStatus::kFailed, "failed"},
    {OperationStatus::kTimeout, "timeout"},
    {OperationStatus::kShielded, "shielded"},
}};

}  // namespace

absl::string_view ToString(OperationStatus status) { return internal::NameOf(kNames, status); }

std::optional<OperationStatus> ParseOperationStatus(absl::string_view text) {
  return internal::ValueOf<OperationStatus>(kNames, text);
}

bool IsTerminal(OperationStatus status) {
  return status == OperationStatus::kCompleted || status == OperationStatus::kCancelled ||
         status == OperationStatus::kFailed || status == OperationStatus::kTimeout;
}

bool IsCancelledStatus(OperationStatus status) {
  return status == OperationStatus::kCancelled || status == OperationStatus::kTimeout;
}

}  // namespace hother::cancelable
