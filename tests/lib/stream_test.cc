// Tests of stream.h.
#include "hother/cancelable/stream.h"

#include <any>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/cancelable.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

using ::testing::ElementsAre;

TEST(Stream, YieldsEveryItemAndRecordsACompletedPartialResult) {
  Cancelable op;
  std::vector<int> seen;
  {
    auto stream = op.Stream(std::vector<int>{1, 2, 3}, {.buffer_partial = true});
    for (int x : stream) seen.push_back(x);
    EXPECT_TRUE(stream.status().ok());
    EXPECT_TRUE(stream.completed());
  }
  EXPECT_THAT(seen, ElementsAre(1, 2, 3));
  auto partial = std::any_cast<StreamPartialResult<int>>(op.context().partial_result);
  EXPECT_EQ(partial.count, 3u);
  EXPECT_TRUE(partial.completed);
  EXPECT_THAT(partial.buffer, ElementsAre(1, 2, 3));
}

TEST(Stream, CancellationIsCheckedBeforeEachPullSoNoItemIsDropped) {
  Cancelable op;
  int advances = 0;
  IntRange source(100, &advances);
  std::vector<int> seen;
  {
    auto stream = op.Stream(source);
    for (int x : stream) {
      seen.push_back(x);
      if (x == 4) op.Cancel();
    }
    EXPECT_TRUE(absl::IsCancelled(stream.status()));
    EXPECT_FALSE(stream.completed());
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(advances, 4);  // from item 0 to item 4: the 6th item was never pulled
  auto partial = std::any_cast<StreamPartialResult<int>>(op.context().partial_result);
  EXPECT_EQ(partial.count, 5u);
  EXPECT_FALSE(partial.completed);
}

TEST(Stream, AlreadyCancelledYieldsNothing) {
  Cancelable op;
  op.Cancel();
  auto stream = op.Stream(std::vector<int>{1, 2});
  EXPECT_EQ(stream.begin(), stream.end());
  EXPECT_TRUE(absl::IsCancelled(stream.status()));
}

TEST(Stream, ReportsProgressEveryIntervalWithCountAndLatest) {
  Cancelable op;
  std::vector<std::string> reports;
  op.OnProgress([&](const std::string&, const std::string& m, const Metadata& md) {
    reports.push_back(m + " latest=" + md.at("latest"));
  });
  {
    auto stream = op.Stream(IntRange(7), {.report_interval = 3});
    for (int x : stream) (void)x;
  }
  EXPECT_THAT(reports, ElementsAre("Processed 3 items latest=2", "Processed 6 items latest=5"));
}

TEST(Stream, BufferKeepsOnlyTheLastItems) {
  Cancelable op;
  {
    auto stream = op.Stream(IntRange(2500), {.buffer_partial = true});
    for (int x : stream) (void)x;
  }
  auto partial = std::any_cast<StreamPartialResult<int>>(op.context().partial_result);
  EXPECT_EQ(partial.count, 2500u);
  ASSERT_EQ(partial.buffer.size(), 1000u);
  EXPECT_EQ(partial.buffer.front(), 1500);
  EXPECT_EQ(partial.buffer.back(), 2499);
}

TEST(Stream, AbandonedEarlyOrFailedKeepsTheSameShape) {
  Cancelable abandoned;
  {
    auto stream = abandoned.Stream(IntRange(10));
    for (int x : stream) {
      if (x == 2) break;
    }
  }
  auto a = std::any_cast<StreamPartialResult<int>>(abandoned.context().partial_result);
  EXPECT_EQ(a.count, 3u);
  EXPECT_FALSE(a.completed);

  Cancelable failed;
  EXPECT_THROW((void)failed.Run([](Cancelable& self) {
    auto stream = self.Stream(IntRange(10));
    for (int x : stream) {
      if (x == 1) throw std::runtime_error("parse error");
    }
  }),
               std::runtime_error);
  auto f = std::any_cast<StreamPartialResult<int>>(failed.context().partial_result);
  EXPECT_EQ(f.count, 2u);
  EXPECT_FALSE(f.completed);
  EXPECT_EQ(failed.context().status, OperationStatus::kFailed);
}

TEST(ChunkedStream, YieldsChunksAndAFinalShorterOneWithReports) {
  Cancelable op;
  std::vector<std::string> reports;
  op.OnProgress(
      [&](const std::string&, const std::string& m, const Metadata&) { reports.push_back(m); });
  std::vector<std::vector<int>> chunks;
  for (const auto& chunk : op.ChunkedStream(IntRange(7), 3)) chunks.push_back(chunk);
  EXPECT_THAT(chunks, ElementsAre(ElementsAre(0, 1, 2), ElementsAre(3, 4, 5), ElementsAre(6)));
  EXPECT_THAT(reports, ElementsAre("Processed chunk of 3 items", "Processed chunk of 3 items",
                                   "Processed final chunk of 1 items"));
}

TEST(ChunkedStream, ExactMultipleHasNoEmptyFinalChunk) {
  Cancelable op;
  std::vector<std::vector<int>> chunks;
  for (const auto& chunk : op.ChunkedStream(std::vector<int>{1, 2, 3, 4}, 2)) {
    chunks.push_back(chunk);
  }
  EXPECT_THAT(chunks, ElementsAre(ElementsAre(1, 2), ElementsAre(3, 4)));
}

TEST(ChunkedStream, StopsOnCancellationBetweenChunks) {
  Cancelable op;
  int chunks = 0;
  auto stream = op.ChunkedStream(IntRange(100), 10);
  for (const auto& chunk : stream) {
    (void)chunk;
    if (++chunks == 2) op.Cancel();
  }
  EXPECT_EQ(chunks, 2);
  EXPECT_TRUE(absl::IsCancelled(stream.status()));
}

}  // namespace
}  // namespace hother::cancelable
