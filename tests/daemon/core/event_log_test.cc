// The event log: numbered events, a retained window, replay and live
// subscription.
#include "daemon/core/event_log.h"

#include <memory>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hother::cancelable::daemon {
namespace {

TEST(EventLog, ResumingOutsideTheRetainedWindowIsOutOfRange) {
  EventLog log(/*retain=*/2);
  auto op = std::make_shared<const Operation>();
  for (int i = 0; i < 5; ++i) log.Append(EventType::kProgress, op, absl::Now());
  EXPECT_TRUE(absl::IsOutOfRange(log.Subscribe(
                                        1, [](uint64_t) {}, [](const Event&) {})
                                     .status()));
  EXPECT_TRUE(absl::IsOutOfRange(log.Subscribe(
                                        9, [](uint64_t) {}, [](const Event&) {})
                                     .status()));
  std::vector<uint64_t> replayed;
  uint64_t start = 0;
  auto sub = log.Subscribe(
      3, [&](uint64_t current) { start = current; },
      [&](const Event& e) { replayed.push_back(e.sequence); });
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(start, 5u);
  EXPECT_THAT(replayed, ::testing::ElementsAre(4u, 5u));
}

TEST(EventLog, ReplayingAfterZeroReplaysEveryRetainedEvent) {
  EventLog log;
  auto op = std::make_shared<const Operation>();
  for (int i = 0; i < 3; ++i) log.Append(EventType::kProgress, op, absl::Now());
  std::vector<uint64_t> replayed;
  auto sub = log.Subscribe(
      0, [](uint64_t) {}, [&](const Event& e) { replayed.push_back(e.sequence); });
  ASSERT_TRUE(sub.ok());
  EXPECT_THAT(replayed, ::testing::ElementsAre(1, 2, 3));
  std::vector<uint64_t> none;
  auto live_only = log.Subscribe(
      std::nullopt, [](uint64_t) {}, [&](const Event& e) { none.push_back(e.sequence); });
  ASSERT_TRUE(live_only.ok());
  EXPECT_TRUE(none.empty());
}

TEST(EventLog, AWatcherResumesWithoutALossOnlyWhereTheLogStillHasItsEvents) {
  EventLog log(/*retain=*/3);
  auto op = std::make_shared<const Operation>();
  for (int i = 0; i < 5; ++i) log.Append(EventType::kProgress, op, absl::Now());
  EXPECT_TRUE(log.CanResume(/*epoch=*/7, /*current_epoch=*/7, 5));
  EXPECT_TRUE(log.CanResume(7, 7, 2));   // 3, 4 and 5 are retained
  EXPECT_FALSE(log.CanResume(7, 7, 1));  // 2 is gone
  EXPECT_FALSE(log.CanResume(7, 7, 6));  // ahead
  EXPECT_TRUE(log.CanResume(0, 7, 4));   // an older client: no epoch
  EXPECT_FALSE(log.CanResume(6, 7, 5));  // another run: not this log's
}

TEST(EventLog, AfterACleanStopTheNextRunContinuesExactlyWhereItEnded) {
  EventLog clean;
  clean.ContinueFrom(/*previous_epoch=*/6, /*sequence=*/40, /*exact=*/true);
  EXPECT_EQ(clean.current_sequence(), 40u);
  EXPECT_TRUE(clean.CanResume(6, 7, 40));   // saw the previous run's last event
  EXPECT_FALSE(clean.CanResume(6, 7, 39));  // missed its last event
  EXPECT_FALSE(clean.CanResume(5, 7, 40));
  auto op = std::make_shared<const Operation>();
  EXPECT_EQ(clean.Append(EventType::kRegistered, op, absl::Now()), 41u);
  EventLog crashed;  // the last commit's sequence: events after it may be lost
  crashed.ContinueFrom(6, 40, /*exact=*/false);
  EXPECT_FALSE(crashed.CanResume(6, 7, 40));
}

}  // namespace
}  // namespace hother::cancelable::daemon
