// Tests of daemon/core/session_table.h on a fake clock.
#include "daemon/core/session_table.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

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

}  // namespace
}  // namespace hother::cancelable::daemon
