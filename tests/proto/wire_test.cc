// The wire's bounds: every batched session message stays within
// kMaxBatchItems items and (past its first item) kMaxBatchBytes bytes, in
// order, whatever it is asked to carry; a cause chain goes as its nearest
// hops and its root, whatever its depth.
#include "proto/wire.h"

#include <memory>
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

// A chain of `depth` causes behind the record "hop <depth>"; the root is "hop 0".
std::shared_ptr<const CancellationDetails> Chain(int depth) {
  std::shared_ptr<const CancellationDetails> cause;
  for (int i = 0; i <= depth; ++i) {
    auto hop = std::make_shared<CancellationDetails>();
    hop->reason = i == 0 ? CancelReason::kManual : CancelReason::kParent;
    hop->message = "hop " + std::to_string(i);
    hop->SetCause(std::move(cause));
    cause = std::move(hop);
  }
  return cause;
}

std::vector<std::string> Messages(const pb::CancelDetails& details) {
  std::vector<std::string> out;
  for (const auto& hop : details.cause_chain()) out.push_back(hop.message());
  return out;
}

TEST(CauseChain, AShortChainGoesWhole) {
  pb::CancelDetails details;
  ToProto(*Chain(3), &details);
  EXPECT_EQ(details.cancellation().message(), "hop 3");
  EXPECT_THAT(Messages(details), ::testing::ElementsAre("hop 2", "hop 1", "hop 0"));
  EXPECT_EQ(details.omitted_causes(), 0);
  std::shared_ptr<const CancellationDetails> back = FromProto(details);
  EXPECT_EQ(back->depth, 3u);
  EXPECT_EQ(back->Root().message, "hop 0");
}

TEST(CauseChain, ALongChainGoesAsItsNearestHopsAndItsRootWithTheCountLeftOut) {
  std::shared_ptr<const CancellationDetails> chain = Chain(10'000);
  EXPECT_EQ(chain->depth, 10'000u);
  EXPECT_EQ(chain->Root().message, "hop 0");
  pb::CancelDetails details;
  ToProto(*chain, &details);
  ASSERT_EQ(details.cause_chain_size(), static_cast<int>(kMaxWireCauses));
  EXPECT_EQ(details.cause_chain(0).message(), "hop 9999");
  EXPECT_EQ(details.cause_chain(30).message(), "hop 9969");
  EXPECT_EQ(details.cause_chain(31).message(), "hop 0");
  EXPECT_EQ(details.omitted_causes(), 10'000 - 32);

  // The SDK's copy keeps the count between the last near hop and the root.
  std::shared_ptr<const CancellationDetails> back = FromProto(details);
  EXPECT_EQ(back->depth, 10'000u);
  EXPECT_EQ(back->Root().message, "hop 0");
  EXPECT_THAT(back->ChainToString(),
              ::testing::HasSubstr("parent: hop 9969 <- (9968 more) <- manual: hop 0"));
  // Sent on again, it says the same.
  pb::CancelDetails again;
  ToProto(*back, &again);
  EXPECT_EQ(again.SerializeAsString(), details.SerializeAsString());
}

TEST(CauseChain, AnOffsetPagesThroughTheHopsLeftOut) {
  std::shared_ptr<const CancellationDetails> chain = Chain(100);
  std::vector<std::string> all;
  for (size_t offset = 0;;) {
    pb::CancelDetails page;
    ToProto(*chain, &page, offset);
    const int near = page.cause_chain_size() - (page.omitted_causes() > 0 ? 1 : 0);
    for (int i = 0; i < near; ++i) all.push_back(page.cause_chain(i).message());
    if (page.omitted_causes() == 0) break;
    offset += static_cast<size_t>(near);
  }
  ASSERT_EQ(all.size(), 100u);
  EXPECT_EQ(all.front(), "hop 99");
  EXPECT_EQ(all.back(), "hop 0");
}

TEST(Shorten, CutsAtACharacterBoundaryWithinTheBound) {
  EXPECT_EQ(Shorten("short", 10), "short");
  EXPECT_EQ(Shorten("abcdefghij", 8), "abcde...");
  // "é" is two bytes: a cut through it backs up to before it.
  const std::string cut = Shorten("abcdé" + std::string(10, 'x'), 8);
  EXPECT_EQ(cut, "abcd...");
  EXPECT_LE(Shorten(std::string(5000, 'e'), kMaxFinishErrorBytes).size(), kMaxFinishErrorBytes);
}

}  // namespace
}  // namespace hother::cancelable::wire
