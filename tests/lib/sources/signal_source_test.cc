// Tests of sources/signal_source.h and signal_watcher.h, with real signals.
#include "hother/cancelable/sources/signal_source.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "gtest/gtest.h"
#include "hother/cancelable/signal_watcher.h"
#include "tests/lib/sources/source_test_util.h"

namespace hother::cancelable {
namespace {

std::atomic<int> g_previous_handler_calls{0};
extern "C" void CountingHandler(int) { ++g_previous_handler_calls; }

TEST(SignalSource, ARealSignalFiresWithItsName) {
  FakeEnv e;
  FireRecorder rec;
  auto watch = SignalSource({SIGUSR1})->Start(e.env, rec.fn());
  ASSERT_TRUE(watch.ok());
  ASSERT_EQ(kill(getpid(), SIGUSR1), 0);
  auto fired = rec.WaitFor(1);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].reason, CancelReason::kSignal);
  EXPECT_EQ(fired[0].message, "Received signal SIGUSR1 (10)");
}

TEST(SignalSource, SeveralWatchersOfOneSignalAllFire) {
  FakeEnv e;
  FireRecorder a, b;
  auto wa = SignalSource({SIGUSR2})->Start(e.env, a.fn());
  auto wb = SignalSource({SIGUSR2, SIGUSR1})->Start(e.env, b.fn());
  ASSERT_TRUE(wa.ok() && wb.ok());
  raise(SIGUSR2);
  EXPECT_EQ(a.WaitFor(1).size(), 1u);
  EXPECT_EQ(b.WaitFor(1).size(), 1u);
}

TEST(SignalSource, PreviousHandlingIsRestoredWhenNobodyWatches) {
  struct sigaction counting = {}, saved = {};
  counting.sa_handler = CountingHandler;
  sigemptyset(&counting.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR2, &counting, &saved), 0);
  {
    FakeEnv e;
    FireRecorder rec;
    auto watch = SignalSource({SIGUSR2})->Start(e.env, rec.fn());
    ASSERT_TRUE(watch.ok());
    raise(SIGUSR2);
    rec.WaitFor(1);
    EXPECT_EQ(g_previous_handler_calls.load(), 0);
  }
  raise(SIGUSR2);  // handled by our counting handler again, synchronously
  EXPECT_EQ(g_previous_handler_calls.load(), 1);
  sigaction(SIGUSR2, &saved, nullptr);
}

TEST(SignalSource, NonSignalInputIsRejected) {
  EXPECT_TRUE(absl::IsInvalidArgument(SignalSource({0})->Validate()));
  EXPECT_TRUE(absl::IsInvalidArgument(SignalSource({SIGKILL})->Validate()));
  EXPECT_TRUE(absl::IsInvalidArgument(SignalSource({})->Validate()));
  EXPECT_TRUE(absl::IsInvalidArgument(SignalSource({100000})->Validate()));
  EXPECT_TRUE(absl::IsInvalidArgument(SignalSource({SIGUSR1, 32})->Validate()));  // glibc's
  FakeEnv e;
  FireRecorder rec;
  auto watch = SignalSource({-3})->Start(e.env, rec.fn());
  EXPECT_EQ(watch.status().message(), "Not a signal that can be watched: -3");
}

TEST(SignalWatcher, NamesSignals) {
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(SignalName(SIGUSR1), "SIGUSR1");
}

}  // namespace
}  // namespace hother::cancelable
