// Tests of linked_token.h.
#include "hother/cancelable/linked_token.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

TEST(LinkedToken, CancelledWithReasonParentAndTheSourceAsCause) {
  CancellationToken source("abcdef0123");
  LinkedCancellationToken linked;
  linked.Link(source);
  source.Cancel(CancelReason::kTimeout, "slow");
  ASSERT_TRUE(linked.IsCancelled());
  auto d = linked.details();
  EXPECT_EQ(d->reason, CancelReason::kParent);
  EXPECT_EQ(d->message, "Linked token abcdef01 was cancelled");
  ASSERT_NE(d->cause, nullptr);
  EXPECT_EQ(d->cause->reason, CancelReason::kTimeout);
  EXPECT_EQ(d->cause->origin_id, "abcdef0123");
  EXPECT_EQ(d->Root().message, "slow");
}

TEST(LinkedToken, PreserveReasonKeepsTheSourcesReasonAndMessage) {
  CancellationToken source;
  LinkedCancellationToken linked;
  linked.Link(source, /*preserve_reason=*/true);
  source.Cancel(CancelReason::kSignal, "Received signal SIGTERM (15)");
  EXPECT_EQ(linked.details()->reason, CancelReason::kSignal);
  EXPECT_EQ(linked.details()->message, "Received signal SIGTERM (15)");
  EXPECT_EQ(linked.details()->cause->origin_id, source.id());
}

TEST(LinkedToken, LinkingToACancelledSourceCancelsAtOnce) {
  CancellationToken source;
  source.Cancel();
  LinkedCancellationToken linked;
  linked.Link(source);
  EXPECT_TRUE(linked.IsCancelled());
}

TEST(LinkedToken, FirstOfSeveralSourcesWins) {
  CancellationToken a, b;
  LinkedCancellationToken linked;
  linked.Link(a, true);
  linked.Link(b, true);
  b.Cancel(CancelReason::kCondition, "b first");
  a.Cancel(CancelReason::kTimeout, "a second");
  EXPECT_EQ(linked.details()->message, "b first");
}

TEST(LinkedToken, CancellingTheLinkedTokenDoesNotCancelTheSource) {
  CancellationToken source;
  LinkedCancellationToken linked;
  linked.Link(source);
  linked.Cancel();
  EXPECT_FALSE(source.IsCancelled());
  // Once cancelled, the linked token dropped its registration on the source.
  EXPECT_EQ(source.CallbackCountForTest(), 0u);
}

TEST(LinkedToken, MutualLinksTerminateWithBothCancelled) {
  LinkedCancellationToken a, b;
  a.Link(b);
  b.Link(a);
  EXPECT_TRUE(a.Cancel(CancelReason::kManual, "root"));
  EXPECT_TRUE(b.IsCancelled());
  EXPECT_EQ(b.details()->cause->message, "root");
  EXPECT_EQ(a.details()->message, "root");  // a was not cancelled twice
}

TEST(LinkedToken, ThreeCycleCancelledFromAnotherThreadTerminates) {
  LinkedCancellationToken a, b, c;
  a.Link(c);
  b.Link(a);
  c.Link(b);
  std::thread t([&] { b.Cancel(); });
  t.join();
  EXPECT_TRUE(a.IsCancelled());
  EXPECT_TRUE(c.IsCancelled());
}

TEST(LinkedToken, CallbackThatCancelsATokenLinkedBackToItsOwn) {
  LinkedCancellationToken mine;
  LinkedCancellationToken other;
  other.Link(mine);
  mine.Link(other);
  std::atomic<int> runs{0};
  CancellationCallback cb(mine, [&](const CancellationDetails&) {
    ++runs;
    EXPECT_FALSE(other.Cancel());  // already cancelled through the link
  });
  CancellationCallback cb2(other, [&](const CancellationDetails&) { mine.Cancel(); });
  mine.Cancel();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_TRUE(other.IsCancelled());
}

TEST(LinkedToken, ConcurrentCancelOfBothEndsOfAMutualLinkDoesNotDeadlock) {
  for (int round = 0; round < 200; ++round) {
    LinkedCancellationToken a, b;
    a.Link(b);
    b.Link(a);
    Notification go;
    std::thread ta([&] {
      go.WaitForNotification();
      a.Cancel();
    });
    std::thread tb([&] {
      go.WaitForNotification();
      b.Cancel();
    });
    go.Notify();
    ta.join();
    tb.join();
    EXPECT_TRUE(a.IsCancelled());
    EXPECT_TRUE(b.IsCancelled());
  }
}

TEST(LinkedToken, ChainOfOneHundredThousandCancelsWithoutStackOverflow) {
  constexpr int kLength = 100'000;
  std::vector<LinkedCancellationToken> chain(kLength);
  for (int i = 1; i < kLength; ++i) chain[i].Link(chain[i - 1]);
  chain[0].Cancel(CancelReason::kTimeout, "root");
  EXPECT_TRUE(chain.back().IsCancelled());
  EXPECT_EQ(chain.back().details()->Root().message, "root");
  EXPECT_TRUE(absl::IsDeadlineExceeded(chain.back().Check()));
  chain.clear();  // the 100,000-long cause chain is freed without recursion
}

TEST(LinkedToken, LinksDoNotKeepADeadLinkedTokenAlive) {
  CancellationToken source;
  std::weak_ptr<const CancellationDetails> unused;
  {
    LinkedCancellationToken linked;
    linked.Link(source);
    EXPECT_EQ(source.CallbackCountForTest(), 1u);
  }
  // Destroying the linked token removed its registration from the source.
  EXPECT_EQ(source.CallbackCountForTest(), 0u);
  source.Cancel();
}

TEST(LinkedToken, ALinkedTokenOutlivesItsSourceSafely) {
  LinkedCancellationToken linked;
  {
    CancellationToken source;
    linked.Link(source);
  }
  EXPECT_FALSE(linked.IsCancelled());
  linked.Cancel();
  EXPECT_TRUE(linked.IsCancelled());
}

TEST(LinkedToken, LinkRacingWithSourceCancel) {
  for (int round = 0; round < 500; ++round) {
    CancellationToken source;
    LinkedCancellationToken linked;
    std::thread t([&] { source.Cancel(); });
    linked.Link(source);
    t.join();
    EXPECT_TRUE(linked.IsCancelled());
  }
}

TEST(AnyOf, CancelledByTheFirstInputWithItsReason) {
  CancellationToken a, b;
  CancellationToken any = AnyOf({a, b});
  EXPECT_FALSE(any.IsCancelled());
  b.Cancel(CancelReason::kSignal, "sig");
  EXPECT_EQ(any.reason(), CancelReason::kSignal);
  EXPECT_EQ(any.details()->message, "sig");
}

TEST(AllOf, CancelledOnlyOnceEveryInputIs) {
  CancellationToken a, b, c;
  CancellationToken all = AllOf({a, b, c});
  a.Cancel();
  b.Cancel();
  b.Cancel();  // the same input twice counts once
  EXPECT_FALSE(all.IsCancelled());
  c.Cancel(CancelReason::kTimeout, "last");
  ASSERT_TRUE(all.IsCancelled());
  EXPECT_EQ(all.details()->reason, CancelReason::kParent);
  EXPECT_EQ(all.details()->message, "All 3 tokens were cancelled");
  EXPECT_EQ(all.details()->cause->message, "last");
}

TEST(AllOf, InputsAlreadyCancelledCount) {
  CancellationToken a, b;
  a.Cancel();
  b.Cancel();
  EXPECT_TRUE(AllOf({a, b}).IsCancelled());
}

TEST(AllOf, EmptyListIsNeverCancelledByInputs) {
  CancellationToken all = AllOf({});
  EXPECT_FALSE(all.IsCancelled());
}

}  // namespace
}  // namespace hother::cancelable
