// The lifecycle states of an operation.
//
//   pending -> running -> completed | cancelled | failed | timeout
//                 ^  \-> shielded (while a Shield() is held) -/
//
// Printed and serialised as the exact lower-case strings "pending", "running",
// "completed", "cancelled", "failed", "timeout", "shielded".
#ifndef HOTHER_CANCELABLE_OPERATION_STATUS_H_
#define HOTHER_CANCELABLE_OPERATION_STATUS_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace hother::cancelable {

enum class OperationStatus {
  kPending,
  kRunning,
  kCompleted,
  kCancelled,
  kFailed,
  kTimeout,
  kShielded,
};

absl::string_view ToString(OperationStatus status);
std::optional<OperationStatus> ParseOperationStatus(absl::string_view text);

// Completed, cancelled, failed or timeout: the operation has ended.
bool IsTerminal(OperationStatus status);

// Cancelled or timeout.
bool IsCancelledStatus(OperationStatus status);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_OPERATION_STATUS_H_
