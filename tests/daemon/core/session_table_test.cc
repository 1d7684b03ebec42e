// Tests of daemon/core/session_table.h on a fake clock.
#include "daemon/core/session_table.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable::daemon {
namespace {

class FakeSink : public SessionSink {
 public:
  void DeliverCancels(std::vector<CancelDelivery> items) override {
    std::lock_guard<std::mutex> lock(mu_);
    delivered_ += items.size();
  }
  void End(absl::Status why, bool) override {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = why;
  }
  absl::Status ended() {
    std::lock_guard<std::mutex> lock(mu_);
    return ended_;
  }
  size_t delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }

 private:
  std::mutex mu_;
  absl::Status ended_;
  size_t delivered_ = 0;
};

TEST(SessionTable, OpensUpToTheLimitWithFreshIds) {
  FakeClock clock;
  Scheduler scheduler(clock);
  SessionTable table(scheduler, absl::Seconds(10), /*max_sessions=*/2);
  auto a = table.Open(Owner{}, std::make_shared<FakeSink>());
  auto b = table.Open(Owner{}, std::make_shared<FakeSink>());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->session_id(), (*b)->session_id());
  absl::Status full = table.Open(Owner{}, std::make_shared<FakeSink>()).status();
  EXPECT_TRUE(absl::IsResourceExhausted(full));
  EXPECT_EQ(full.message(), "the daemon holds its maximum of 2 sessions (--max-sessions)");
  a->reset();  // closes it
  EXPECT_TRUE(table.Open(Owner{}, std::make_shared<FakeSink>()).ok());
}

TEST(SessionTable, ASilentSessionIsEndedWhenItsLeaseExpiresAndATouchedOneIsNot) {
  FakeClock clock;
  Scheduler scheduler(clock);
  SessionTable table(scheduler, absl::Seconds(10), 10);
  auto silent_sink = std::make_shared<FakeSink>();
  auto chatty_sink = std::make_shared<FakeSink>();
  auto silent = table.Open(Owner{}, silent_sink);
  auto chatty = table.Open(Owner{}, chatty_sink);
  ASSERT_TRUE(Eventually([&] {
    clock.Advance(absl::Seconds(1));
    (*chatty)->Touch();
    return !silent_sink->ended().ok();
  }));
  EXPECT_TRUE(absl::IsDeadlineExceeded(silent_sink->ended()));
  EXPECT_TRUE(chatty_sink->ended().ok());
}

TEST(SessionTable, RoutesCancelsToTheOwnerAndDropsThemForClosedSessions) {
  Scheduler scheduler;
  SessionTable table(scheduler, absl::Seconds(10), 10);
  auto sink = std::make_shared<FakeSink>();
  auto owner = table.Open(Owner{}, sink);
  const uint64_t id = (*owner)->session_id();
  table.DeliverCancels(id, {CancelDelivery{"x", nullptr}});
  EXPECT_EQ(sink->delivered(), 1u);
  owner->reset();  // closes it
  table.DeliverCancels(id, {CancelDelivery{"y", nullptr}});
  EXPECT_EQ(sink->delivered(), 1u);
}

TEST(SessionTable, ABrokenSessionIsResumedOnlyWithItsSecretAndOnlyOnce) {
  Scheduler scheduler;
  SessionTable table(scheduler, absl::Seconds(10), 10);
  auto old_sink = std::make_shared<FakeSink>();
  auto old = table.Open(Owner{0, "svc", 7, "h", "uid:1000", 1000, "alice"}, old_sink);
  ASSERT_TRUE(old.ok());
  const uint64_t old_id = (*old)->session_id();
  const std::string secret = (*old)->secret();
  EXPECT_EQ(secret.size(), 32u);
  auto other = table.Open(Owner{}, std::make_shared<FakeSink>());
  EXPECT_NE((*other)->secret(), secret);
  table.Detach(*std::move(old));  // its stream broke
  EXPECT_TRUE(absl::IsPermissionDenied(table.TakeOver(old_id, "wrong", 9, "uid:1000").status()));
  // The right secret from another user: refused, and the session is kept.
  const absl::Status stolen = table.TakeOver(old_id, secret, 9, "uid:1001").status();
  EXPECT_TRUE(absl::IsPermissionDenied(stolen)) << stolen;
  EXPECT_THAT(std::string(stolen.message()), ::testing::HasSubstr("belongs to uid:1000"));
  absl::StatusOr<Owner> resumed = table.TakeOver(old_id, secret, 9, "uid:1000");
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->session_id, old_id);
  EXPECT_EQ(resumed->process_name, "svc");
  EXPECT_TRUE(absl::IsNotFound(table.TakeOver(old_id, secret, 10, "uid:1000").status()));
}

TEST(SessionTable, TakingOverASessionWhoseStreamIsStillOpenEndsThatStream) {
  Scheduler scheduler;
  SessionTable table(scheduler, absl::Seconds(10), 10);
  auto old_sink = std::make_shared<FakeSink>();
  auto old = table.Open(Owner{}, old_sink);
  ASSERT_TRUE(table.TakeOver((*old)->session_id(), (*old)->secret(), 5, "").ok());
  EXPECT_TRUE(absl::IsAborted(old_sink->ended()));
  EXPECT_EQ(table.size(), 0u);
}

TEST(SessionTable, TheDaemonsOwnStallIsNotCountedAgainstLeases) {
  FakeClock clock;
  Scheduler scheduler(clock);
  SessionTable table(scheduler, absl::Seconds(10), 10);
  auto sink = std::make_shared<FakeSink>();
  auto session = table.Open(Owner{}, sink);
  // Time jumps by twice the lease with no lease check in between: the daemon
  // was stopped, not its client.
  clock.Advance(absl::Seconds(20));
  // The late check (on the scheduler's thread) finds the stall.
  ASSERT_TRUE(Eventually([&] { return table.stalled() > absl::ZeroDuration(); }));
  EXPECT_GE(table.stalled(), absl::Seconds(15));
  EXPECT_TRUE(sink->ended().ok()) << sink->ended();
  // Silent for real afterwards: it expires as usual.
  ASSERT_TRUE(Eventually([&] {
    clock.Advance(absl::Seconds(1));
    return !sink->ended().ok();
  }));
  EXPECT_TRUE(absl::IsDeadlineExceeded(sink->ended()));
}

TEST(SessionTable, ADetachedSessionWhoseOwnerExitedEndsAtOnce) {
  Scheduler scheduler;
  SessionTable table(scheduler, absl::Hours(1), 10);
  std::atomic<uint64_t> expired{0};
  table.OnDetachedExpired([&](const Owner& owner) { expired = owner.session_id; });
  auto session = table.Open(Owner{}, std::make_shared<FakeSink>());
  const uint64_t id = (*session)->session_id();
  table.Detach(*std::move(session));
  table.OwnerExited(id);
  EXPECT_EQ(expired.load(), id);
  // An attached one is only marked: its stream's end decides.
  auto attached = table.Open(Owner{}, std::make_shared<FakeSink>());
  table.OwnerExited((*attached)->session_id());
  EXPECT_TRUE(table.owner_exited((*attached)->session_id()));
}

TEST(OwnerWatch, TellsWhenAWatchedProcessExitsAndRefusesAnUnknownOne) {
  OwnerWatch watch;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  std::atomic<bool> exited{false};
  auto registration = watch.Watch(child, [&] { exited = true; });
  ASSERT_NE(registration, nullptr);
  EXPECT_FALSE(exited.load());
  kill(child, SIGKILL);
  ASSERT_TRUE(Eventually([&] { return exited.load(); }));
  waitpid(child, nullptr, 0);
  EXPECT_EQ(watch.Watch(child, [] {}), nullptr);  // reaped: no such process
}

}  // namespace
}  // namespace hother::cancelable::daemon
