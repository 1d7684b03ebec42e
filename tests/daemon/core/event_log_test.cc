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

}  // namespace
}  // namespace hother::cancelable::daemon
