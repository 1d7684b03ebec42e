// Tests of wait.h.
#include "hother/cancelable/wait.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"
#include "hother/cancelable/cancelable.h"

namespace hother::cancelable {
namespace {

TEST(SleepFor, SleepsTheFullDurationWhileActive) {
  CancellationToken token;
  absl::Time start = absl::Now();
  EXPECT_TRUE(SleepFor(token, absl::Milliseconds(20)).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(20));
}

TEST(SleepFor, WakesAtOnceOnCancellation) {
  CancellationToken token;
  std::thread t([&] { token.Cancel(CancelReason::kManual, "wake up"); });
  absl::Status s = SleepFor(token, absl::Hours(1));  // would hang the test if not woken
  t.join();
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(s.message(), "wake up");
}

TEST(SleepFor, UsesTheCurrentOperationsToken) {
  Cancelable op;
  absl::Status s = op.Run([](Cancelable& self) {
    self.Cancel();
    return SleepInCurrentOperation(absl::Hours(1));
  });
  EXPECT_TRUE(absl::IsCancelled(s));
}

TEST(WaitUntil, ReturnsTrueWhenThePredicateHolds) {
  CancellationToken token;
  std::mutex mu;
  std::condition_variable_any cv;
  bool ready = false;
  std::thread t([&] {
    std::lock_guard<std::mutex> lock(mu);
    ready = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(WaitUntil(cv, lock, token, [&] { return ready; }));
  lock.unlock();
  t.join();
}

TEST(WaitUntil, ReturnsFalseWhenCancelledFirst) {
  CancellationToken token;
  std::mutex mu;
  std::condition_variable_any cv;
  std::thread t([&] { token.Cancel(); });
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_FALSE(WaitUntil(cv, lock, token, [] { return false; }));
  EXPECT_TRUE(lock.owns_lock());
  lock.unlock();
  t.join();
}

TEST(WaitUntilFor, AnInfiniteTimeoutWaitsForTheCancellation) {
  CancellationToken token;
  std::mutex mu;
  std::condition_variable_any cv;
  std::thread t([&] {
    absl::SleepFor(absl::Milliseconds(30));
    token.Cancel();
  });
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_FALSE(WaitUntilFor(cv, lock, token, absl::InfiniteDuration(), [] { return false; }));
  EXPECT_TRUE(token.IsCancelled());  // it waited, rather than returning at once
  lock.unlock();
  t.join();
}

TEST(WaitUntilFor, GivesUpAfterTheTimeout) {
  CancellationToken token;
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_FALSE(WaitUntilFor(cv, lock, token, absl::Milliseconds(5), [] { return false; }));
  EXPECT_FALSE(token.IsCancelled());
}

}  // namespace
}  // namespace hother::cancelable
