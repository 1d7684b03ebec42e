// Tests of decorator.h.
#include "hother/cancelable/decorator.h"

#include <atomic>
#include <string>

#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/registry.h"
#include "hother/cancelable/scheduler.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

TEST(Cancellable, EachCallRunsInAFreshScopeHandedToTheCallable) {
  std::vector<std::string> ids;
  auto fn = Cancellable({.name = "work"}, [&](Cancelable& op, int x) {
    ids.push_back(op.id());
    EXPECT_EQ(op.name(), "work");
    return x + 1;
  });
  EXPECT_EQ(*fn(1), 2);
  EXPECT_EQ(*fn(2), 3);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
}

TEST(Cancellable, ACallableWithoutAScopeParameterWorksToo) {
  auto fn = Cancellable({}, [](int x) { return x * 3; });
  EXPECT_EQ(*fn(2), 6);
  auto named = Cancellable({}, [] { return CurrentOperation()->name(); });
  EXPECT_EQ(*named(), "wrapped");
}

TEST(Cancellable, ACombinationKeepsEverySource) {
  // Defect 5 of the reference: the combining decorator dropped its sources.
  FakeClock clock;
  Scheduler scheduler(clock);
  CancellationToken token;
  std::atomic<int> checks{0};
  ScopeSpec spec;
  spec.timeout = absl::Seconds(10);
  spec.token = token;
  spec.condition = [&] { return ++checks > 1000000; };
  spec.options.scheduler = &scheduler;
  auto fn = Cancellable(spec, [&](Cancelable& op) -> absl::Status {
    EXPECT_TRUE(Eventually([&] { return checks.load() >= 1; }));  // condition live
    EXPECT_EQ(scheduler.PendingForTest(), 2u);                    // timeout + poll
    token.Cancel(CancelReason::kManual, "token live");
    return op.Check();
  });
  absl::Status s = fn();
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(s.message(), "token live");
}

TEST(Cancellable, TheTimeoutOfASpecFires) {
  FakeClock clock;
  Scheduler scheduler(clock);
  ScopeSpec spec;
  spec.timeout = absl::Seconds(1);
  spec.options.scheduler = &scheduler;
  auto fn = Cancellable(spec, [&](Cancelable& op) {
    clock.Advance(absl::Seconds(1));
    op.token().Wait();
    return op.Check();
  });
  EXPECT_TRUE(absl::IsDeadlineExceeded(fn()));
}

TEST(Cancellable, EachCallGetsAFreshIdEvenWhenTheSpecNamesOne) {
  OperationRegistry registry;
  ScopeSpec spec;
  spec.options.id = "fixed";
  spec.options.register_globally = true;
  spec.options.registry = &registry;
  auto fn = Cancellable(spec, [](Cancelable& op) { return op.id(); });
  absl::StatusOr<std::string> first = fn();
  absl::StatusOr<std::string> second = fn();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
}

TEST(Cancellable, ASpecParentReachesEveryCall) {
  Cancelable parent;
  ScopeSpec spec;
  spec.parent = parent;
  parent.Cancel(CancelReason::kManual, "stop all calls");
  auto fn = Cancellable(spec, [](Cancelable& op) { return op.Check(); });
  EXPECT_TRUE(absl::IsCancelled(fn()));
}

TEST(RunWithTimeout, ReturnsTheResultOrATimeoutError) {
  EXPECT_EQ(*RunWithTimeout(absl::Seconds(10), [] { return 5; }), 5);
  FakeClock clock;
  Scheduler scheduler(clock);
  CancelableOptions o;
  o.scheduler = &scheduler;
  absl::StatusOr<int> late = RunWithTimeout(
      absl::Seconds(1),
      [&](Cancelable& op) -> absl::StatusOr<int> {
        clock.Advance(absl::Seconds(2));
        op.token().Wait();
        if (absl::Status s = op.Check(); !s.ok()) return s;
        return 1;
      },
      o);
  EXPECT_TRUE(absl::IsDeadlineExceeded(late.status()));
  EXPECT_EQ(late.status().message(), "Operation timed out after 1s");
}

}  // namespace
}  // namespace hother::cancelable
