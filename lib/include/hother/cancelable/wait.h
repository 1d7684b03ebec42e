// Interruptible waits: sleep and condition-variable waits that wake at once
// when a token is cancelled.
//
//   absl::Status s = SleepFor(op.token(), absl::Seconds(30));  // CANCELLED early
//
//   std::unique_lock lock(mu);
//   if (!WaitUntil(cv, lock, op.token(), [&] { return !queue.empty(); }))
//     return op.Check();                     // woken by the cancellation
//
// Thread-safety: as the token and the condition variable they use.
#ifndef HOTHER_CANCELABLE_WAIT_H_
#define HOTHER_CANCELABLE_WAIT_H_

#include <chrono>
#include <condition_variable>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hother/cancelable/token.h"

namespace hother::cancelable {

// Sleeps for `duration` unless `token` is cancelled first. OK after a full
// sleep; the token's Check() status when woken by the cancellation.
absl::Status SleepFor(const CancellationToken& token, absl::Duration duration);

// The same with the current operation's token (a plain sleep outside any).
// (Not an overload of SleepFor: absl::SleepFor would make calls ambiguous.)
absl::Status SleepInCurrentOperation(absl::Duration duration);

// Waits on `cv` until `pred()` holds (true) or `token` is cancelled (false,
// unless pred() holds too). `lock` is held on entry and on return.
template <typename Lock, typename Predicate>
bool WaitUntil(std::condition_variable_any& cv, Lock& lock, const CancellationToken& token,
               Predicate pred) {
  return cv.wait(lock, token.stop_token(), std::move(pred));
}

// As above, giving up after `timeout` (false unless pred() holds).
template <typename Lock, typename Predicate>
bool WaitUntilFor(std::condition_variable_any& cv, Lock& lock, const CancellationToken& token,
                  absl::Duration timeout, Predicate pred) {
  // Beyond a year, wait without a deadline: steady_clock::now() + a huge
  // duration would overflow into the past.
  if (timeout > absl::Hours(24 * 365)) return WaitUntil(cv, lock, token, std::move(pred));
  return cv.wait_for(lock, token.stop_token(), absl::ToChronoNanoseconds(timeout), std::move(pred));
}

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_WAIT_H_
