// Tests of testing.h.
#include "hother/cancelable/testing.h"

#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"

namespace hother::cancelable::testing {
namespace {

TEST(ExpectCancelledWithin, OkInsideTheBounds) {
  FakeClock clock;
  Scheduler scheduler(clock);
  CancellationToken token;
  absl::Time start = absl::Now();
  auto timer = CancelAfter(scheduler, token, absl::Seconds(1));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(ExpectCancelledWithin(token, absl::ZeroDuration(), absl::Seconds(30), start).ok());
}

TEST(ExpectCancelledWithin, TooEarlyIsOutOfRange) {
  CancellationToken token;
  absl::Time start = absl::Now();
  token.Cancel();
  absl::Status s = ExpectCancelledWithin(token, absl::Hours(1), absl::Hours(2), start);
  EXPECT_TRUE(absl::IsOutOfRange(s));
}

TEST(ExpectCancelledWithin, NeverCancelledIsDeadlineExceeded) {
  CancellationToken token;
  absl::Status s = ExpectCancelledWithin(token, absl::ZeroDuration(), absl::ZeroDuration(),
                                         absl::Now() - absl::Seconds(2));
  EXPECT_TRUE(absl::IsDeadlineExceeded(s));
}

TEST(OperationRecorder, WaitsForAnEvent) {
  Cancelable op;
  OperationRecorder recorder(op);
  std::thread t([&] { (void)op.Run([] {}); });
  EXPECT_TRUE(recorder.WaitForEvent("complete", absl::Seconds(10)));
  t.join();
  EXPECT_FALSE(recorder.WaitForEvent("never", absl::Milliseconds(1)));
}

}  // namespace
}  // namespace hother::cancelable::testing
