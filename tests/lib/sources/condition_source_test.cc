// Tests of sources/condition_source.h.
#include "hother/cancelable/sources/condition_source.h"

#include <atomic>
#include <stdexcept>

#include "gtest/gtest.h"
#include "tests/lib/sources/source_test_util.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

TEST(ConditionSource, PollsAtOnceAndFiresWhenMetWithTheCheckCount) {
  FakeEnv e;
  FireRecorder rec;
  std::atomic<int> calls{0};
  auto watch = ConditionSource([&] { return ++calls >= 3; }, absl::Seconds(1), "queue_full")
                   ->Start(e.env, rec.fn());
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(Eventually([&] { return calls.load() >= 1; }));  // at once
  ASSERT_TRUE(Eventually([&] {
    if (calls.load() < 3) e.clock.Advance(absl::Seconds(1));
    return !rec.fired().empty();
  }));
  auto fired = rec.fired();
  EXPECT_EQ(fired[0].reason, CancelReason::kCondition);
  EXPECT_EQ(fired[0].message, "Condition 'queue_full' met after 3 checks");
}

TEST(ConditionSource, APredicateThatThrowsCountsAsNotMetAndPollingContinues) {
  FakeEnv e;
  FireRecorder rec;
  std::atomic<int> calls{0};
  auto watch = ConditionSource(
                   [&]() -> bool {
                     if (++calls < 3) throw std::runtime_error("flaky");
                     return true;
                   },
                   absl::Seconds(1), "flaky")
                   ->Start(e.env, rec.fn());
  ASSERT_TRUE(Eventually([&] {
    e.clock.Advance(absl::Seconds(1));
    return !rec.fired().empty();
  }));
  EXPECT_EQ(rec.fired()[0].message, "Condition 'flaky' met after 3 checks");
}

TEST(ConditionSource, IntervalMustBePositive) {
  auto source = ConditionSource([] { return false; }, absl::ZeroDuration(), "x");
  EXPECT_TRUE(absl::IsInvalidArgument(source->Validate()));
  EXPECT_EQ(source->Validate().message(), "Check interval must be positive, got 0s");
}

TEST(ConditionSource, StoppingStopsPolling) {
  FakeEnv e;
  FireRecorder rec;
  std::atomic<int> calls{0};
  {
    auto watch = ConditionSource([&] { return ++calls > 1000; }, absl::Seconds(1), "c")
                     ->Start(e.env, rec.fn());
    ASSERT_TRUE(Eventually([&] { return calls.load() >= 1; }));
  }
  int seen = calls.load();
  e.clock.Advance(absl::Seconds(10));
  EXPECT_EQ(e.scheduler.PendingForTest(), 0u);
  EXPECT_EQ(calls.load(), seen);
}

}  // namespace
}  // namespace hother::cancelable
