// Tests of the token graph and deadlines of daemon/core/operation_graph.h.
#include <algorithm>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/core/operation_graph.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable::daemon {
namespace {

class NullListener : public CancelListener {
 public:
  void DeliverCancels(uint64_t, std::vector<CancelDelivery>) override {}
};

class TokensTest : public ::testing::Test {
 protected:
  void Token(std::string name, std::vector<std::string> all_of = {},
             std::optional<absl::Duration> timeout = std::nullopt) {
    TokenSpec spec;
    spec.name = std::move(name);
    spec.all_of = std::move(all_of);
    spec.timeout = timeout;
    ASSERT_TRUE(graph_.CreateToken(spec).ok());
  }
  std::string Op(uint64_t session, std::vector<std::string> tokens, std::string parent = "") {
    RegisterSpec spec;
    spec.name = "op";
    spec.tokens = std::move(tokens);
    spec.parent_id = std::move(parent);
    auto r = graph_.Register(Owner{session, "p", 1, "h"}, spec);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->id : "";
  }
  bool Cancelled(const std::string& name) { return graph_.GetToken(name)->cancel != nullptr; }
  bool OpCancelled(const std::string& id) { return graph_.Get(id)->cancel != nullptr; }

  FakeClock clock_;
  Scheduler scheduler_{clock_};
  EventLog events_;
  NullListener listener_;
  OperationGraph graph_{clock_, scheduler_, events_, listener_, GraphOptions{}};
};

TEST_F(TokensTest, NamesAreUnique) {
  Token("deploy-42");
  EXPECT_TRUE(absl::IsAlreadyExists(graph_.CreateToken({.name = "deploy-42"}).status()));
  EXPECT_TRUE(absl::IsNotFound(graph_.GetToken("nope").status()));
}

TEST_F(TokensTest, ALinkThatWouldCloseACycleIsRefusedAndNamesIt) {
  Token("a");
  Token("b");
  Token("c");
  ASSERT_TRUE(graph_.LinkTokens("a", "b").ok());
  ASSERT_TRUE(graph_.LinkTokens("b", "c").ok());
  absl::Status cycle = graph_.LinkTokens("c", "a").status();
  EXPECT_TRUE(absl::IsFailedPrecondition(cycle));
  EXPECT_EQ(cycle.message(), "linking c -> a would close the cycle a -> b -> c -> a");
  EXPECT_TRUE(absl::IsFailedPrecondition(graph_.LinkTokens("a", "a").status()));
  // Cycles through all-of edges count too.
  Token("all", {"c"});
  EXPECT_TRUE(absl::IsFailedPrecondition(graph_.LinkTokens("all", "a").status()));
}

TEST_F(TokensTest, CancellingATokenReachesLinkedTokensAndOperationsThreeLevelsDownAcrossSessions) {
  Token("root");
  Token("mid");
  Token("leaf");
  ASSERT_TRUE(graph_.LinkTokens("root", "mid").ok());
  ASSERT_TRUE(graph_.LinkTokens("mid", "leaf").ok());
  std::string on_root = Op(1, {"root"});
  std::string on_leaf = Op(2, {"leaf"});
  std::string child_of_leaf_op = Op(3, {}, on_leaf);
  std::string unrelated = Op(3, {});
  absl::StatusOr<TokenCancelResult> r = graph_.CancelToken("root", "deploy aborted", "sre");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->first);
  EXPECT_EQ(r->tokens_reached, 3);
  EXPECT_EQ(r->operations_reached, 3);
  EXPECT_TRUE(Cancelled("leaf"));
  EXPECT_TRUE(OpCancelled(on_root));
  EXPECT_FALSE(OpCancelled(unrelated));
  Operation deepest = *graph_.Get(child_of_leaf_op);
  EXPECT_EQ(deepest.cancel->reason, CancelReason::kParent);
  EXPECT_EQ(deepest.cancel->Root().message, "deploy aborted");
  EXPECT_EQ(deepest.cancel->Root().actor, "sre");
  EXPECT_THAT(deepest.cancel->ChainToString(), ::testing::HasSubstr("Token leaf cancelled"));
  EXPECT_FALSE(graph_.CancelToken("root", "again", "sre")->first);
}

TEST_F(TokensTest, AnAllOfTokenIsCancelledOnceEveryInputIs) {
  Token("x");
  Token("y");
  Token("both", {"x", "y"});
  std::string op = Op(1, {"both"});
  ASSERT_TRUE(graph_.CancelToken("x", "", "t").ok());
  EXPECT_FALSE(Cancelled("both"));
  EXPECT_FALSE(OpCancelled(op));
  ASSERT_TRUE(graph_.CancelToken("y", "", "t").ok());
  EXPECT_TRUE(Cancelled("both"));
  EXPECT_TRUE(OpCancelled(op));
  EXPECT_EQ(graph_.GetToken("both")->cancel->message, "All 2 inputs of token both were cancelled");
}

TEST_F(TokensTest, RegisteringUnderACancelledTokenStartsCancelled) {
  Token("gone");
  ASSERT_TRUE(graph_.CancelToken("gone", "", "t").ok());
  RegisterSpec spec{.name = "late", .tokens = {"gone"}};
  auto r = graph_.Register(Owner{1, "p", 1, "h"}, spec);
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r->cancelled, nullptr);
  EXPECT_EQ(r->cancelled->message, "Token gone cancelled");
  RegisterSpec unknown{.name = "x", .tokens = {"missing"}};
  EXPECT_EQ(graph_.Register(Owner{1, "p", 1, "h"}, unknown).status().message(),
            "tokens[0]: no token 'missing'");
}

TEST_F(TokensTest, LinkingUnderACancelledSourceCancelsTheTargetAtOnce) {
  Token("src");
  Token("dst");
  ASSERT_TRUE(graph_.CancelToken("src", "", "t").ok());
  ASSERT_TRUE(graph_.LinkTokens("src", "dst").ok());
  EXPECT_TRUE(Cancelled("dst"));
}

TEST_F(TokensTest, ATokenDeadlineFiresWithReasonTimeout) {
  Token("short", {}, absl::Seconds(5));
  std::string op = Op(1, {"short"});
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(Eventually([&] { return OpCancelled(op); }));
  EXPECT_EQ(graph_.GetToken("short")->cancel->reason, CancelReason::kTimeout);
  EXPECT_EQ(graph_.Get(op)->cancel->Root().reason, CancelReason::kTimeout);
}

TEST_F(TokensTest, ADeadlineMovedEarlierFiresEarlyAndARemovedOneNever) {
  RegisterSpec spec{.name = "moved", .timeout = absl::Hours(1)};
  std::string moved = graph_.Register(Owner{1, "p", 1, "h"}, spec)->id;
  spec.name = "removed";
  std::string removed = graph_.Register(Owner{1, "p", 1, "h"}, spec)->id;
  ASSERT_TRUE(graph_.SetOperationDeadline(moved, clock_.Now() + absl::Seconds(2)).ok());
  ASSERT_TRUE(graph_.SetOperationDeadline(removed, std::nullopt).ok());
  EXPECT_EQ(scheduler_.PendingForTest(), 1u);  // the removed one's timer is gone
  clock_.Advance(absl::Seconds(2));
  ASSERT_TRUE(Eventually([&] { return OpCancelled(moved); }));
  EXPECT_EQ(graph_.Get(moved)->cancel->reason, CancelReason::kTimeout);
  clock_.Advance(absl::Hours(2));
  EXPECT_FALSE(OpCancelled(removed));
  EXPECT_FALSE(graph_.Get(removed)->deadline.has_value());
  EXPECT_TRUE(absl::IsFailedPrecondition(
      graph_.SetOperationDeadline(moved, clock_.Now() + absl::Seconds(1))));
  EXPECT_TRUE(absl::IsNotFound(graph_.SetOperationDeadline("nope", std::nullopt)));
}

TEST_F(TokensTest, OfAnOperationsDeadlineAndItsTokensTheEarliestWins) {
  Token("late", {}, absl::Seconds(30));
  RegisterSpec spec{.name = "both", .timeout = absl::Seconds(10), .tokens = {"late"}};
  std::string id = graph_.Register(Owner{1, "p", 1, "h"}, spec)->id;
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(Eventually([&] { return OpCancelled(id); }));
  EXPECT_EQ(graph_.Get(id)->cancel->message, "Operation timed out after 10s");
}

TEST_F(TokensTest, DeletingATokenWithLiveOperationsIsRefusedUnlessForcedAndFreesItsName) {
  Token("deploy");
  Token("up");
  Token("down");
  ASSERT_TRUE(graph_.LinkTokens("up", "deploy").ok());
  ASSERT_TRUE(graph_.LinkTokens("deploy", "down").ok());
  const std::string id = Op(1, {"deploy"});

  absl::StatusOr<size_t> refused = graph_.DeleteToken("deploy", /*force=*/false);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status()));
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("1 live operations attached"));
  EXPECT_TRUE(graph_.GetToken("deploy").ok());  // unchanged

  ASSERT_EQ(graph_.DeleteToken("deploy", /*force=*/true).value_or(99), 1u);
  EXPECT_TRUE(absl::IsNotFound(graph_.GetToken("deploy").status()));
  EXPECT_TRUE(graph_.GetToken("up")->targets.empty());
  EXPECT_TRUE(graph_.GetToken("down")->sources.empty());
  // Its links are gone: cancelling "up" reaches neither the operation nor "down".
  ASSERT_TRUE(graph_.CancelToken("up", "", "test").ok());
  EXPECT_FALSE(OpCancelled(id));
  EXPECT_FALSE(Cancelled("down"));
  // The name is free again, and the operation finishes without it.
  Token("deploy");
  EXPECT_TRUE(graph_.GetToken("deploy")->operation_ids.empty());
  EXPECT_TRUE(graph_.Finish(1, id, OpStatus::kCompleted, "").ok());
  EXPECT_TRUE(absl::IsNotFound(graph_.DeleteToken("nope", true).status()));
}

TEST_F(TokensTest, DeletingAnAllOfInputLeavesTheOutputWaitingForTheOthers) {
  Token("a");
  Token("b");
  Token("both", {"a", "b"});
  ASSERT_TRUE(graph_.DeleteToken("a", false).ok());
  EXPECT_THAT(graph_.GetToken("both")->all_of, ::testing::ElementsAre("b"));
  ASSERT_TRUE(graph_.CancelToken("b", "", "test").ok());
  EXPECT_TRUE(Cancelled("both"));  // its one remaining input is cancelled
  ASSERT_TRUE(graph_.DeleteToken("both", false).ok());
  EXPECT_TRUE(graph_.GetToken("b").ok());
}

TEST(TokenLimits, TheTokenCountIsBoundedAndADeleteMakesRoom) {
  FakeClock clock;
  Scheduler scheduler{clock};
  EventLog events;
  NullListener listener;
  OperationGraph graph{clock, scheduler, events, listener, GraphOptions{.max_tokens = 3}};
  for (std::string name : {"a", "b", "c"}) ASSERT_TRUE(graph.CreateToken({.name = name}).ok());
  absl::Status full = graph.CreateToken({.name = "d"}).status();
  EXPECT_TRUE(absl::IsResourceExhausted(full));
  EXPECT_THAT(full.message(), ::testing::HasSubstr("3 named tokens (--max-tokens)"));
  ASSERT_TRUE(graph.DeleteToken("b", false).ok());
  EXPECT_TRUE(graph.CreateToken({.name = "d"}).ok());
  EXPECT_EQ(graph.token_count(), 3u);
}

TEST_F(TokensTest, ListingPagesByNameAndAViewListsAtMostItsBoundOfOperations) {
  for (int i = 0; i < 25; ++i) Token(absl::StrCat("t", absl::Dec(i, absl::kZeroPad2)));
  std::vector<std::string> seen;
  std::string page_token;
  int pages = 0;
  do {
    TokenPage page = graph_.ListTokens(Selector(), 10, page_token);
    for (const TokenView& t : page.tokens) seen.push_back(t.name);
    page_token = page.next_page_token;
    ++pages;
  } while (!page_token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_EQ(seen.front(), "t00");
  EXPECT_EQ(seen.back(), "t24");

  for (size_t i = 0; i < kMaxTokenViewList + 5; ++i) Op(1, {"t00"});
  TokenView view = *graph_.GetToken("t00");
  EXPECT_EQ(view.operation_ids.size(), kMaxTokenViewList);
  EXPECT_EQ(view.operation_count, kMaxTokenViewList + 5);
  EXPECT_TRUE(std::is_sorted(view.operation_ids.begin(), view.operation_ids.end()));
}

}  // namespace
}  // namespace hother::cancelable::daemon
