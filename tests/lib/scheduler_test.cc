// Tests of scheduler.h and clock.h.
#include "hother/cancelable/scheduler.h"

#include <atomic>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(105));
  clock.SetTime(absl::FromUnixSeconds(7));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(7));
}

TEST(Scheduler, TimerFiresWhenTheFakeClockReachesItsTime) {
  FakeClock clock;
  Scheduler scheduler(clock);
  Notification fired;
  Scheduler::Timer timer = scheduler.After(absl::Seconds(10), [&] { fired.Notify(); });
  clock.Advance(absl::Seconds(9));
  EXPECT_FALSE(fired.WaitForNotificationWithTimeout(absl::Milliseconds(20)));
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST(Scheduler, PastTimeFiresAtOnce) {
  Scheduler scheduler;
  Notification fired;
  auto timer = scheduler.At(absl::InfinitePast(), [&] { fired.Notify(); });
  EXPECT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST(Scheduler, TimersFireInTimeOrder) {
  FakeClock clock;
  Scheduler scheduler(clock);
  std::vector<int> order;
  Notification done;
  auto t3 = scheduler.After(absl::Seconds(3), [&] {
    order.push_back(3);
    done.Notify();
  });
  auto t1 = scheduler.After(absl::Seconds(1), [&] { order.push_back(1); });
  auto t2 = scheduler.After(absl::Seconds(2), [&] { order.push_back(2); });
  clock.Advance(absl::Seconds(3));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Scheduler, DestroyingTheHandleCancelsTheTimer) {
  FakeClock clock;
  Scheduler scheduler(clock);
  std::atomic<bool> fired{false};
  {
    auto timer = scheduler.After(absl::Seconds(1), [&] { fired = true; });
    EXPECT_EQ(scheduler.PendingForTest(), 1u);
  }
  EXPECT_EQ(scheduler.PendingForTest(), 0u);
  Notification later;
  auto marker = scheduler.After(absl::Seconds(2), [&] { later.Notify(); });
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE(later.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(fired.load());
}

TEST(Scheduler, DestroyingTheHandleWaitsForARunningFunction) {
  Scheduler scheduler;
  Notification started, release;
  std::atomic<bool> finished{false};
  auto timer = std::make_unique<Scheduler::Timer>(scheduler.At(absl::InfinitePast(), [&] {
    started.Notify();
    release.WaitForNotification();
    finished = true;
  }));
  started.WaitForNotification();
  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(20));
    release.Notify();
  });
  timer.reset();
  EXPECT_TRUE(finished.load());
  releaser.join();
}

TEST(Scheduler, AFunctionMayDestroyItsOwnHandle) {
  Scheduler scheduler;
  Notification assigned, done;
  std::unique_ptr<Scheduler::Timer> self = std::make_unique<Scheduler::Timer>();
  *self = scheduler.Every(absl::Milliseconds(1), [&] {
    assigned.WaitForNotification();  // the handle is in place
    self.reset();
    done.Notify();
    return true;
  });
  assigned.Notify();
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(self, nullptr);
}

TEST(Scheduler, CancellingATimerWhoseFunctionOwnsAnotherTimerDoesNotDeadlock) {
  Scheduler scheduler;
  auto inner = std::make_shared<Scheduler::Timer>(scheduler.After(absl::Hours(1), [] {}));
  Scheduler::Timer outer = scheduler.After(absl::Hours(1), [inner] {});
  inner.reset();
  outer.Reset();  // destroys the function, whose capture cancels the inner timer
  EXPECT_EQ(scheduler.PendingForTest(), 0u);
}

TEST(Scheduler, EveryRunsAtOnceThenEachIntervalUntilItReturnsFalse) {
  FakeClock clock;
  Scheduler scheduler(clock);
  std::atomic<int> runs{0};
  auto poll = scheduler.Every(absl::Seconds(1), [&] { return ++runs < 3; });
  ASSERT_TRUE(Eventually([&] { return runs.load() == 1; }));  // at once
  // Nothing more until the clock moves.
  EXPECT_EQ(scheduler.PendingForTest(), 1u);
  ASSERT_TRUE(Eventually([&] {
    if (runs.load() < 3) clock.Advance(absl::Seconds(1));
    return runs.load() == 3;
  }));
  // Returning false dropped it: nothing is pending however far time moves.
  ASSERT_TRUE(Eventually([&] { return scheduler.PendingForTest() == 0; }));
  clock.Advance(absl::Seconds(100));
  EXPECT_EQ(runs.load(), 3);
}

TEST(Scheduler, ASlowPollDoesNotDelayATimer) {
  Scheduler scheduler;
  Notification poll_started, release_poll, timer_fired;
  auto poll = scheduler.Every(absl::Seconds(100), [&] {
    poll_started.Notify();
    release_poll.WaitForNotification();
    return false;
  });
  poll_started.WaitForNotification();
  auto timer = scheduler.At(absl::InfinitePast(), [&] { timer_fired.Notify(); });
  EXPECT_TRUE(timer_fired.WaitForNotificationWithTimeout(absl::Seconds(10)));
  release_poll.Notify();
}

TEST(Scheduler, AThrowingFunctionDoesNotStopTheScheduler) {
  Scheduler scheduler;
  Notification fired;
  auto bad = scheduler.At(absl::InfinitePast(), [] { throw std::runtime_error("x"); });
  auto good = scheduler.At(absl::InfinitePast(), [&] { fired.Notify(); });
  EXPECT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST(Scheduler, ManyThreadsSchedulingAndCancellingAtOnce) {
  Scheduler scheduler;
  std::vector<std::thread> threads;
  std::atomic<int> fired{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto timer = scheduler.After(absl::Microseconds(i % 50), [&] { ++fired; });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(scheduler.PendingForTest(), 0u);
  EXPECT_LE(fired.load(), 2000);
}

}  // namespace
}  // namespace hother::cancelable
