// The wire's batch bounds: every batched session message stays within
// kMaxBatchItems items and (past its first item) kMaxBatchBytes bytes, in
// order, whatever it is asked to carry.
#include "proto/wire.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hother::cancelable::wire {
namespace {

pb::SessionRequest Finishes(int count, int first = 0) {
  pb::SessionRequest request;
  for (int i = first; i < first + count; ++i) {
    request.mutable_finish()->add_items()->set_operation_id("op-" + std::to_string(i));
  }
  return request;
}

// A registration whose metadata weighs about `bytes`.
pb::RegisterItem Heavy(int ref, size_t bytes) {
  pb::RegisterItem item;
  item.set_ref(ref);
  (*item.mutable_metadata())["blob"] = std::string(bytes, 'x');
  return item;
}

std::vector<std::string> Ids(const std::vector<pb::SessionRequest>& parts) {
  std::vector<std::string> ids;
  for (const auto& part : parts) {
    for (const auto& item : part.finish().items()) ids.push_back(item.operation_id());
  }
  return ids;
}

TEST(SplitBatch, ManyItemsGoInOrderOverMessagesOfAtMostTheItemBudget) {
  std::vector<pb::SessionRequest> parts = SplitBatch(Finishes(2500));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].finish().items_size(), kMaxBatchItems);
  EXPECT_EQ(parts[1].finish().items_size(), kMaxBatchItems);
  EXPECT_EQ(parts[2].finish().items_size(), 500);
  EXPECT_EQ(Ids(parts), Ids({Finishes(2500)}));
}

TEST(SplitBatch, HeavyItemsGoOverMessagesOfAtMostTheByteBudget) {
  pb::SessionRequest request;
  for (int i = 0; i < 40; ++i) *request.mutable_register_()->add_items() = Heavy(i, 100'000);
  ASSERT_GT(request.ByteSizeLong(), 3 * kMaxBatchBytes);
  std::vector<pb::SessionRequest> parts = SplitBatch(request);
  ASSERT_GE(parts.size(), 4u);
  int next_ref = 0;
  for (const auto& part : parts) {
    EXPECT_LE(part.ByteSizeLong(),
              kMaxBatchBytes + 64);  // framing of the batch itself
    for (const auto& item : part.register_().items()) EXPECT_EQ(item.ref(), next_ref++);
  }
  EXPECT_EQ(next_ref, 40);
}

TEST(SplitBatch, AnItemOverTheByteBudgetTravelsAlone) {
  pb::SessionRequest request;
  *request.mutable_register_()->add_items() = Heavy(1, 10);
  *request.mutable_register_()->add_items() = Heavy(2, 2 * kMaxBatchBytes);
  *request.mutable_register_()->add_items() = Heavy(3, 10);
  std::vector<pb::SessionRequest> parts = SplitBatch(request);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1].register_().items(0).ref(), 2);
}

TEST(SplitBatch, OtherMessagesAndSmallBatchesAreLeftWhole) {
  pb::SessionRequest beat;
  beat.mutable_heartbeat();
  ASSERT_EQ(SplitBatch(beat).size(), 1u);
  EXPECT_TRUE(SplitBatch(beat)[0].has_heartbeat());
  EXPECT_EQ(SplitBatch(Finishes(3)).size(), 1u);
}

TEST(SplitBatch, CancelNoticesAreSplitToo) {
  pb::SessionResponse notice;
  for (int i = 0; i < 1500; ++i) notice.mutable_cancel()->add_items()->set_operation_id("x");
  std::vector<pb::SessionResponse> parts = SplitBatch(notice);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1].cancel().items_size(), 500);
}

TEST(MergeBatch, SameKindMergesInOrderWithinBothBudgets) {
  pb::SessionRequest into = Finishes(2);
  size_t bytes = into.ByteSizeLong();
  pb::SessionRequest from = Finishes(3, 2);
  ASSERT_TRUE(MergeBatch(into, bytes, from, from.ByteSizeLong()));
  EXPECT_EQ(Ids({into}), Ids({Finishes(5)}));
  // The running weight follows the merged message's (to a few bytes of
  // framing).
  EXPECT_NEAR(static_cast<double>(bytes), static_cast<double>(into.ByteSizeLong()), 8);
}

TEST(MergeBatch, RefusesOtherKindsAndWhatWouldExceedABudgetLeavingBothAsTheyWere) {
  pb::SessionRequest into = Finishes(kMaxBatchItems);
  size_t bytes = into.ByteSizeLong();
  pb::SessionRequest one_more = Finishes(1);
  EXPECT_FALSE(MergeBatch(into, bytes, one_more, one_more.ByteSizeLong()));  // items
  EXPECT_EQ(into.finish().items_size(), kMaxBatchItems);
  EXPECT_EQ(one_more.finish().items_size(), 1);

  pb::SessionRequest heavy;
  *heavy.mutable_register_()->add_items() = Heavy(1, kMaxBatchBytes - 100);
  size_t heavy_bytes = heavy.ByteSizeLong();
  pb::SessionRequest another;
  *another.mutable_register_()->add_items() = Heavy(2, 1000);
  EXPECT_FALSE(MergeBatch(heavy, heavy_bytes, another,
                          another.ByteSizeLong()));  // bytes
  EXPECT_EQ(another.register_().items_size(), 1);

  pb::SessionRequest finishes = Finishes(1);
  size_t finish_bytes = finishes.ByteSizeLong();
  EXPECT_FALSE(MergeBatch(finishes, finish_bytes, another,
                          another.ByteSizeLong()));  // kinds
}

}  // namespace
}  // namespace hother::cancelable::wire
