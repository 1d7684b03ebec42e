// Tests of sources/composite_source.h.
#include "hother/cancelable/sources/composite_source.h"

#include <atomic>

#include "gtest/gtest.h"
#include "hother/cancelable/sources/condition_source.h"
#include "hother/cancelable/sources/timeout_source.h"
#include "tests/lib/sources/source_test_util.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

TEST(AnyOfSource, FirstChildWinsAndItsReasonIsAdopted) {
  FakeEnv e;
  FireRecorder rec;
  auto watch = AnyOfSource({TimeoutSource(absl::Seconds(10)), TimeoutSource(absl::Seconds(2))})
                   ->Start(e.env, rec.fn());
  ASSERT_TRUE(watch.ok());
  e.clock.Advance(absl::Seconds(2));
  auto fired = rec.WaitFor(1);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].reason, CancelReason::kTimeout);
  EXPECT_EQ(fired[0].message,
            "Composite source triggered by timeout: Operation timed out after 2s");
}

TEST(AnyOfSource, TimeoutInsideAnyOfFires) {
  // Defect 3 of the reference: timeouts inside composites never fired.
  FakeEnv e;
  FireRecorder rec;
  auto watch = AnyOfSource({ConditionSource([] { return false; }, absl::Hours(1), "never"),
                            TimeoutSource(absl::Seconds(1))})
                   ->Start(e.env, rec.fn());
  e.clock.Advance(absl::Seconds(1));
  EXPECT_EQ(rec.WaitFor(1).size(), 1u);
}

TEST(AllOfSource, FiresOnceEveryChildHasFired) {
  FakeEnv e;
  FireRecorder rec;
  auto watch = AllOfSource({TimeoutSource(absl::Seconds(1)), TimeoutSource(absl::Seconds(3))})
                   ->Start(e.env, rec.fn());
  ASSERT_TRUE(watch.ok());
  e.clock.Advance(absl::Seconds(1));
  // The first child alone is not enough: the second is still pending.
  ASSERT_TRUE(Eventually([&] { return e.scheduler.PendingForTest() == 1; }));
  EXPECT_TRUE(rec.fired().empty());
  e.clock.Advance(absl::Seconds(2));
  auto fired = rec.WaitFor(1);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].reason, CancelReason::kCondition);
  EXPECT_EQ(fired[0].message, "All 2 sources have triggered");
}

TEST(CompositeSource, AnEmptyListIsRefused) {
  EXPECT_EQ(AnyOfSource({})->Validate().message(), "At least one source is required");
  EXPECT_EQ(AllOfSource({})->Validate().message(), "At least one source is required");
}

TEST(CompositeSource, AnInvalidChildIsRefused) {
  EXPECT_TRUE(
      absl::IsInvalidArgument(AnyOfSource({TimeoutSource(absl::ZeroDuration())})->Validate()));
}

TEST(CompositeSource, StoppingLeavesNothingBehind) {
  // Defect 4 of the reference: stopping an any-of left a cancelled scope
  // behind. Here stopping releases every child's timer and nothing fires.
  FakeEnv e;
  FireRecorder rec;
  {
    auto watch =
        AnyOfSource(
            {TimeoutSource(absl::Seconds(1)),
             AllOfSource({TimeoutSource(absl::Seconds(1)), TimeoutSource(absl::Seconds(2))})})
            ->Start(e.env, rec.fn());
    ASSERT_TRUE(watch.ok());
    EXPECT_EQ(e.scheduler.PendingForTest(), 3u);
  }
  EXPECT_EQ(e.scheduler.PendingForTest(), 0u);
  e.clock.Advance(absl::Seconds(5));
  EXPECT_TRUE(rec.fired().empty());
}

}  // namespace
}  // namespace hother::cancelable
