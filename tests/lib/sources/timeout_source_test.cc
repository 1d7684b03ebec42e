// Tests of sources/timeout_source.h.
#include "hother/cancelable/sources/timeout_source.h"

#include "gtest/gtest.h"
#include "tests/lib/sources/source_test_util.h"

namespace hother::cancelable {
namespace {

TEST(TimeoutSource, FiresWithReasonTimeoutAfterItsDuration) {
  FakeEnv e;
  FireRecorder rec;
  auto watch = TimeoutSource(absl::Seconds(5))->Start(e.env, rec.fn());
  ASSERT_TRUE(watch.ok());
  e.clock.Advance(absl::Seconds(5));
  auto fired = rec.WaitFor(1);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].reason, CancelReason::kTimeout);
  EXPECT_EQ(fired[0].message, "Operation timed out after 5s");
}

TEST(TimeoutSource, NonPositiveTimeoutIsRefused) {
  EXPECT_EQ(TimeoutSource(absl::ZeroDuration())->Validate().message(),
            "Timeout must be positive, got 0s");
  FakeEnv e;
  FireRecorder rec;
  auto watch = TimeoutSource(absl::Seconds(-1))->Start(e.env, rec.fn());
  EXPECT_TRUE(absl::IsInvalidArgument(watch.status()));
  EXPECT_EQ(watch.status().message(), "Timeout must be positive, got -1s");
}

TEST(TimeoutSource, StoppedBeforeItsTimeNeverFires) {
  FakeEnv e;
  FireRecorder rec;
  {
    auto watch = TimeoutSource(absl::Seconds(1))->Start(e.env, rec.fn());
    ASSERT_TRUE(watch.ok());
  }
  EXPECT_EQ(e.scheduler.PendingForTest(), 0u);
  e.clock.Advance(absl::Seconds(2));
  EXPECT_TRUE(rec.fired().empty());
}

TEST(DeadlineSource, FiresAtItsClockTime) {
  FakeEnv e;
  FireRecorder rec;
  auto watch = DeadlineSource(e.clock.Now() + absl::Minutes(1))->Start(e.env, rec.fn());
  ASSERT_TRUE(watch.ok());
  e.clock.Advance(absl::Minutes(1));
  auto fired = rec.WaitFor(1);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].reason, CancelReason::kTimeout);
  EXPECT_NE(fired[0].message.find("deadline"), std::string::npos);
}

}  // namespace
}  // namespace hother::cancelable
