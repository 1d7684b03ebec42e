// The cancellation errors, for callers who use exceptions, and their default
// messages.
//
// `CancellationToken::ThrowIfCancelled()` throws the subclass that matches the
// reason; `Cancelable::Run` catches any CancelledError thrown by its body and
// records it as the operation's cancellation. Every error converts to the
// `absl::Status` the rest of the library speaks (`ToStatus()`).
//
//   try { token.ThrowIfCancelled(); }
//   catch (const TimeoutError& e) { ... }        // reason timeout
//   catch (const CancelledError& e) { e.reason(); e.details()->ChainToString(); }
//
// Thread-safety: immutable after construction.
#ifndef HOTHER_CANCELABLE_ERRORS_H_
#define HOTHER_CANCELABLE_ERRORS_H_

#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hother/cancelable/cancel_reason.h"

namespace hother::cancelable {

// Default messages, used when a cancel gives none.
std::string TimeoutMessage(absl::Duration timeout);    // "Operation timed out after 5s"
std::string ManualMessage();                           // "Operation cancelled manually"
std::string SignalMessage(int signo);                  // "Operation cancelled by signal 15"
std::string ConditionMessage(absl::string_view name);  // "Operation cancelled: NAME condition met"
// "Operation cancelled: parent 1f2e3d4c was cancelled (timeout)"
std::string ParentMessage(absl::string_view parent_id, CancelReason reason);

// The payload key under which statuses from this library carry the reason.
inline constexpr absl::string_view kReasonPayloadKey = "hother.cancelable/reason";

// DEADLINE_EXCEEDED when the chain starts with a timeout, CANCELLED otherwise,
// with `details.message` and the reason payload.
absl::Status CancellationStatus(const CancellationDetails& details);

// The reason a cancellation status carries: its payload when present, else
// timeout for DEADLINE_EXCEEDED and manual for CANCELLED; nullopt for any
// other status.
std::optional<CancelReason> ReasonOfStatus(const absl::Status& status);

class CancelledError : public std::runtime_error {
 public:
  explicit CancelledError(std::shared_ptr<const CancellationDetails> details);
  CancelledError(CancelReason reason, std::string message);

  CancelReason reason() const { return details_->reason; }
  const std::shared_ptr<const CancellationDetails>& details() const { return details_; }
  absl::Status ToStatus() const { return CancellationStatus(*details_); }

 private:
  std::shared_ptr<const CancellationDetails> details_;
};

class TimeoutError : public CancelledError {
 public:
  using CancelledError::CancelledError;
  explicit TimeoutError(absl::Duration timeout)
      : CancelledError(CancelReason::kTimeout, TimeoutMessage(timeout)) {}
};
class ManualCancelError : public CancelledError {
 public:
  using CancelledError::CancelledError;
  ManualCancelError() : CancelledError(CancelReason::kManual, ManualMessage()) {}
};
class SignalCancelError : public CancelledError {
 public:
  using CancelledError::CancelledError;
  explicit SignalCancelError(int signo)
      : CancelledError(CancelReason::kSignal, SignalMessage(signo)) {}
};
class ConditionCancelError : public CancelledError {
 public:
  using CancelledError::CancelledError;
  explicit ConditionCancelError(absl::string_view name)
      : CancelledError(CancelReason::kCondition, ConditionMessage(name)) {}
};
class ParentCancelError : public CancelledError {
 public:
  using CancelledError::CancelledError;
  ParentCancelError(absl::string_view parent_id, CancelReason parent_reason)
      : CancelledError(CancelReason::kParent, ParentMessage(parent_id, parent_reason)) {}
};

// Throws the subclass matching `details->reason`.
[[noreturn]] void ThrowCancelledError(std::shared_ptr<const CancellationDetails> details);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_ERRORS_H_
