// Helpers for testing code that uses the library.
//
//   FakeClock clock;                       // (clock.h)
//   Scheduler scheduler(clock);
//   auto op = Cancelable::WithTimeout(absl::Seconds(5), {.scheduler = &scheduler});
//   OperationRecorder recorder(op);
//   ASSERT_OK(op.Enter());
//   clock.Advance(absl::Seconds(5));
//   EXPECT_OK(ExpectCancelledWithin(op.token(), absl::Seconds(0), absl::Seconds(1)));
//   op.Exit(op.Check());
//   // recorder.events(): {"start", "cancel:timeout"}
//
// Thread-safety: OperationRecorder is thread-safe.
#ifndef HOTHER_CANCELABLE_TESTING_H_
#define HOTHER_CANCELABLE_TESTING_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/scheduler.h"
#include "hother/cancelable/token.h"

namespace hother::cancelable::testing {

// Records a scope's events as strings: "start", "progress:<message>",
// "complete", "cancel:<reason>", "error:<error>".
class OperationRecorder {
 public:
  explicit OperationRecorder(Cancelable& op);

  std::vector<std::string> events() const;
  // Blocks until an event equal to `event` was recorded, or `timeout` passes.
  bool WaitForEvent(const std::string& event, absl::Duration timeout) const;

 private:
  void Record(std::string event);

  mutable internal::Mutex mu_;
  mutable internal::CondVar recorded_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

// Waits for `token` to be cancelled and checks when: OK if it was cancelled
// between `min` and `max` after `start` (by its recorded time); otherwise
// DEADLINE_EXCEEDED (not cancelled by start + max, waiting at most that long
// plus a second of grace) or OUT_OF_RANGE (too early or too late), with the
// measured time in the message.
absl::Status ExpectCancelledWithin(const CancellationToken& token, absl::Duration min,
                                   absl::Duration max, absl::Time start = absl::Now());

// A scenario step: cancels `token` after `delay` on `scheduler`'s clock.
[[nodiscard]] Scheduler::Timer CancelAfter(Scheduler& scheduler, const CancellationToken& token,
                                           absl::Duration delay,
                                           CancelReason reason = CancelReason::kManual,
                                           std::string message = "");

}  // namespace hother::cancelable::testing

#endif  // HOTHER_CANCELABLE_TESTING_H_
