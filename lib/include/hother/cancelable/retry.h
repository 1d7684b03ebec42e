// Retry with backoff, stopping at once when the scope is cancelled.
//
//   RetryOptions retry{.max_attempts = 5, .initial_delay = absl::Milliseconds(100)};
//   absl::StatusOr<Reply> reply = Retry(op, retry, [&]() -> absl::StatusOr<Reply> {
//     return stub.Call(request);
//   });
//
// Before each attempt the scope is checked; between attempts it sleeps the
// backoff delay interruptibly. Each failed attempt is reported as progress
// ("Attempt 2/5 failed: <error>; retrying in 0.2s"). A status from this
// library's cancellation (it carries the reason payload), or any error once
// the scope is cancelled, is returned at once, never retried.
//
// Thread-safety: as the callable.
#ifndef HOTHER_CANCELABLE_RETRY_H_
#define HOTHER_CANCELABLE_RETRY_H_

#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/wait.h"

namespace hother::cancelable {

enum class Backoff { kConstant, kLinear, kExponential };

struct RetryOptions {
  int max_attempts = 3;
  Backoff backoff = Backoff::kExponential;
  absl::Duration initial_delay = absl::Milliseconds(100);
  absl::Duration max_delay = absl::Seconds(30);
  double multiplier = 2.0;  // exponential growth per attempt
  double jitter = 0.0;      // 0..1: each delay is scaled by 1 +/- up to this
  // Which errors to retry; default: all but cancellations.
  std::function<bool(const absl::Status&)> retryable;
};

// The delay after failed attempt `attempt` (1-based), before jitter, capped at
// max_delay: initial; initial * attempt; initial * multiplier^(attempt-1).
absl::Duration BackoffDelay(const RetryOptions& options, int attempt);

// BackoffDelay with the jitter applied, using a process-wide random source.
absl::Duration JitteredBackoffDelay(const RetryOptions& options, int attempt);

template <typename F>
auto Retry(const Cancelable& op, const RetryOptions& options, F fn)
    -> decltype(internal::CallAsResult(fn)) {
  using Result = decltype(internal::CallAsResult(fn));
  const int attempts = options.max_attempts < 1 ? 1 : options.max_attempts;
  for (int attempt = 1;; ++attempt) {
    if (absl::Status cancelled = op.Check(); !cancelled.ok()) return Result(cancelled);
    Result result = internal::CallAsResult(fn);
    const absl::Status& status = internal::StatusOf(result);
    // A cancellation of this library ends the loop; a DEADLINE_EXCEEDED of
    // the call itself (an RPC's own deadline) is an error like any other.
    if (status.ok() || status.GetPayload(kReasonPayloadKey).has_value()) return result;
    if (absl::Status cancelled = op.Check(); !cancelled.ok()) return Result(cancelled);
    if (attempt >= attempts || (options.retryable && !options.retryable(status))) {
      return result;
    }
    absl::Duration delay = JitteredBackoffDelay(options, attempt);
    op.ReportProgress(
        absl::StrCat("Attempt ", attempt, "/", attempts, " failed: ", status.ToString(),
                     "; retrying in ", absl::ToDoubleSeconds(delay), "s"),
        {{"attempt", absl::StrCat(attempt)}, {"error", status.ToString()}});
    if (absl::Status slept = SleepFor(op.token(), delay); !slept.ok()) return Result(slept);
  }
}

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_RETRY_H_
