#include "hother/cancelable/retry.h"

#include <algorithm>
#include <cmath>

#include "hother/cancelable/internal/random.h"

namespace hother::cancelable {

absl::Duration BackoffDelay(const RetryOptions& options, int attempt) {
  const int n = std::max(attempt, 1);
  absl::Duration delay = options.initial_delay;
  switch (options.backoff) {
    case Backoff::kConstant:
      break;
    case Backoff::kLinear:
      delay = options.initial_delay * n;
      break;
    case Backoff::kExponential:
      delay = options.initial_delay * std::pow(options.multiplier, n - 1);
      break;
  }
  return std::min(delay, options.max_delay);
}

absl::Duration JitteredBackoffDelay(const RetryOptions& options, int attempt) {
  absl::Duration delay = BackoffDelay(options, attempt);
  if (options.jitter <= 0) return delay;
  double jitter = std::min(options.jitter, 1.0);
  double factor =
      std::uniform_real_distribution<double>(1.0 - jitter, 1.0 + jitter)(internal::ThreadRandom());
  return std::min(delay * factor, options.max_delay);
}

}  // namespace hother::cancelable
