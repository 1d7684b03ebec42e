// Tests of daemon/core/operation_graph.h, without gRPC, on a fake clock.
#include "daemon/core/operation_graph.h"

#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/errors.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable::daemon {
namespace {

class RecordingListener : public CancelListener {
 public:
  void DeliverCancels(uint64_t session, std::vector<CancelDelivery> items) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& item : items) delivered_.emplace_back(session, std::move(item));
  }
  std::vector<std::pair<uint64_t, CancelDelivery>> delivered() {
    std::lock_guard<std::mutex> lock(mu_);
    return delivered_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<uint64_t, CancelDelivery>> delivered_;
};

class GraphTest : public ::testing::Test {
 protected:
  Owner Session(uint64_t id) { return Owner{id, "proc", 100 + static_cast<int64_t>(id), "host"}; }
  std::string Register(uint64_t session, std::string name, std::string parent = "",
                       std::optional<absl::Duration> timeout = std::nullopt) {
    RegisterSpec spec;
    spec.name = std::move(name);
    spec.parent_id = std::move(parent);
    spec.timeout = timeout;
    absl::StatusOr<RegisterResult> r = graph_.Register(Session(session), std::move(spec));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->id : "";
  }
  Operation Get(const std::string& id) { return *graph_.Get(id); }

  FakeClock clock_;
  Scheduler scheduler_{clock_};
  EventLog events_;
  RecordingListener listener_;
  OperationGraph graph_{clock_, scheduler_, events_, listener_,
                        GraphOptions{.max_operations = 100}};
};

TEST_F(GraphTest, RegisteredOperationsAreRunningWithUniqueIds) {
  std::string a = Register(1, "a");
  std::string b = Register(1, "b");
  EXPECT_NE(a, b);
  EXPECT_EQ(Get(a).status, OpStatus::kRunning);
  EXPECT_EQ(Get(a).owner().session_id, 1u);
  EXPECT_EQ(graph_.live_count(), 2u);
}

TEST_F(GraphTest, CancelCascadesAcrossThreeLevelsAndSessionsWithTheCauseChain) {
  std::string root = Register(1, "root");
  std::string mid = Register(2, "mid", root);
  std::string leaf = Register(3, "leaf", mid);
  absl::StatusOr<CancelResult> r = graph_.Cancel(root, "bad deploy", "tester", true);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->first);
  EXPECT_EQ(r->reached, 3);
  Operation l = Get(leaf);
  EXPECT_EQ(l.status, OpStatus::kCancelling);
  EXPECT_EQ(l.cancel->reason, CancelReason::kParent);
  EXPECT_EQ(l.cancel->ChainToString(), "parent: Parent operation " + mid +
                                           " cancelled <- parent: Parent operation " + root +
                                           " cancelled <- manual: bad deploy");
  EXPECT_EQ(l.cancel->Root().actor, "tester");
  // Each owner heard about its own operation, root first.
  auto delivered = listener_.delivered();
  ASSERT_EQ(delivered.size(), 3u);
  EXPECT_EQ(delivered[0].first, 1u);
  EXPECT_EQ(delivered[1].first, 2u);
  EXPECT_EQ(delivered[2].first, 3u);
  EXPECT_EQ(delivered[2].second.operation_id, leaf);
}

TEST_F(GraphTest, TheFirstCancelWinsAndAChildNeverCancelsItsParent) {
  std::string parent = Register(1, "p");
  std::string child = Register(1, "c", parent);
  EXPECT_TRUE(graph_.Cancel(child, "child only", "t", true)->first);
  EXPECT_EQ(Get(parent).status, OpStatus::kRunning);
  EXPECT_TRUE(graph_.Cancel(parent, "first", "t", true)->first);
  absl::StatusOr<CancelResult> again = graph_.Cancel(parent, "second", "t", true);
  EXPECT_FALSE(again->first);
  EXPECT_EQ(again->reached, 0);
  EXPECT_EQ(Get(parent).cancel->message, "first");
  EXPECT_EQ(Get(child).cancel->message, "child only");
}

TEST_F(GraphTest, ASecondCancelSendsAgainWhatOwnersStillCancellingHaveNotAcknowledged) {
  std::string root = Register(1, "root");
  std::string done = Register(2, "done", root);
  std::string slow = Register(3, "slow", root);
  ASSERT_TRUE(graph_.Cancel(root, "stop", "t", true)->first);
  ASSERT_EQ(listener_.delivered().size(), 3u);
  // The owner of `done` finished it; the others have said nothing yet.
  ASSERT_TRUE(graph_.Finish(2, done, OpStatus::kCancelled, "").ok());
  absl::StatusOr<CancelResult> again = graph_.Cancel(root, "stop!", "t", true);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->first);
  EXPECT_EQ(again->resent, 2);
  auto delivered = listener_.delivered();
  ASSERT_EQ(delivered.size(), 5u);
  EXPECT_EQ(delivered[3].second.operation_id, root);
  EXPECT_EQ(delivered[4].second.operation_id, slow);
  // The same record as the first time, not a new cancel.
  EXPECT_EQ(delivered[4].second.details, delivered[2].second.details);
  EXPECT_EQ(Get(root).cancel->message, "stop");
  // Once all are finished, a cancel changes and sends nothing.
  ASSERT_TRUE(graph_.Finish(1, root, OpStatus::kCancelled, "").ok());
  ASSERT_TRUE(graph_.Finish(3, slow, OpStatus::kCancelled, "").ok());
  EXPECT_EQ(graph_.Cancel(root, "", "t", true)->resent, 0);
  EXPECT_EQ(listener_.delivered().size(), 5u);
}

TEST(GraphDepth, CancellingTheRootOfADeepChainReachesEveryOperationSharingOneRecordChain) {
  // 10,000 deep: the cascade is iterative and each record points at its
  // parent's, so memory is linear in the depth.
  FakeClock clock;
  Scheduler scheduler{clock};
  EventLog events;
  RecordingListener listener;
  OperationGraph graph{clock, scheduler, events, listener, GraphOptions{}};
  auto add = [&](const std::string& parent) {
    RegisterSpec spec;
    spec.name = "hop";
    spec.parent_id = parent;
    return graph.Register(Owner{1, "p", 1, "h"}, std::move(spec))->id;
  };
  std::vector<std::string> chain = {add("")};
  for (int i = 1; i < 10'000; ++i) chain.push_back(add(chain.back()));
  absl::StatusOr<CancelResult> r = graph.Cancel(chain.front(), "deep", "t", true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reached, 10'000);
  EXPECT_EQ(listener.delivered().size(), 10'000u);
  Operation last = *graph.Get(chain.back());
  EXPECT_EQ(last.cancel->depth, 9'999u);
  EXPECT_EQ(&last.cancel->Root(), graph.Get(chain.front())->cancel.get());
}

TEST_F(GraphTest, NoCascadeLeavesChildrenRunning) {
  std::string parent = Register(1, "p");
  std::string child = Register(2, "c", parent);
  EXPECT_EQ(graph_.Cancel(parent, "", "t", /*cascade=*/false)->reached, 1);
  EXPECT_EQ(Get(child).status, OpStatus::kRunning);
}

TEST_F(GraphTest, RegisteringUnderACancelledParentStartsCancelled) {
  std::string parent = Register(1, "p");
  ASSERT_TRUE(graph_.Cancel(parent, "gone", "t", true).ok());
  RegisterSpec spec;
  spec.name = "late";
  spec.parent_id = parent;
  absl::StatusOr<RegisterResult> r = graph_.Register(Session(2), spec);
  ASSERT_TRUE(r.ok());
  ASSERT_NE(r->cancelled, nullptr);
  EXPECT_EQ(r->cancelled->reason, CancelReason::kParent);
  EXPECT_EQ(r->cancelled->cause->message, "gone");
  EXPECT_EQ(Get(r->id).status, OpStatus::kCancelling);
}

TEST_F(GraphTest, UnknownParentAndLimitsAreRefused) {
  RegisterSpec spec;
  spec.name = "x";
  spec.parent_id = "nope";
  absl::Status s = graph_.Register(Session(1), spec).status();
  EXPECT_TRUE(absl::IsNotFound(s));
  EXPECT_EQ(s.message(), "parent_id: no operation 'nope'");
  for (int i = 0; i < 100; ++i) Register(1, "fill");
  EXPECT_TRUE(absl::IsResourceExhausted(graph_.Register(Session(1), {.name = "over"}).status()));
}

TEST_F(GraphTest, ACancelledOperationStaysCancellingUntilItsOwnerFinishes) {
  std::string id = Register(1, "job");
  ASSERT_TRUE(graph_.Cancel(id, "", "t", true).ok());
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(Get(id).status, OpStatus::kCancelling);
  EXPECT_EQ(clock_.Now() - *Get(id).cancel_requested_time, absl::Seconds(3));
  EXPECT_TRUE(absl::IsPermissionDenied(graph_.Finish(2, id, OpStatus::kCancelled, "")));
  ASSERT_TRUE(graph_.Finish(1, id, OpStatus::kCancelled, "").ok());
  EXPECT_EQ(Get(id).status, OpStatus::kCancelled);
  EXPECT_TRUE(graph_.Finish(1, id, OpStatus::kCompleted, "").ok());  // twice: no change
  EXPECT_EQ(Get(id).status, OpStatus::kCancelled);
  EXPECT_TRUE(absl::IsInvalidArgument(graph_.Finish(1, id, OpStatus::kRunning, "")));
}

TEST_F(GraphTest, DeadlineFiresWithReasonTimeoutOnTheFakeClock) {
  std::string id = Register(1, "slow", "", absl::Seconds(5));
  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(Get(id).status, OpStatus::kRunning);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return Get(id).status == OpStatus::kCancelling; }));
  EXPECT_EQ(Get(id).cancel->reason, CancelReason::kTimeout);
  EXPECT_EQ(Get(id).cancel->message, "Operation timed out after 5s");
  EXPECT_EQ(Get(id).cancel->actor, "deadline");
}

// The SDK enforces a deadline locally too, and its copy starts before the
// registration reaches the daemon, so its TIMEOUT finish can come first: the
// daemon still records why, and descendants elsewhere are told at once.
TEST_F(GraphTest, ATimeoutFinishBeforeTheDaemonsDeadlineStillRecordsTheTimeout) {
  std::string id = Register(1, "slow", "", absl::Seconds(5));
  std::string child = Register(2, "child", id);
  ASSERT_TRUE(graph_.Finish(1, id, OpStatus::kTimeout, "").ok());
  Operation op = Get(id);
  EXPECT_EQ(op.status, OpStatus::kTimeout);
  ASSERT_NE(op.cancel, nullptr);
  EXPECT_EQ(op.cancel->reason, CancelReason::kTimeout);
  EXPECT_EQ(op.cancel->message, "Operation timed out after 5s");
  EXPECT_EQ(Get(child).cancel->reason, CancelReason::kParent);
  EXPECT_EQ(scheduler_.PendingForTest(), 0u);
  // Without a deadline the daemon has no timeout of its own to record.
  std::string plain = Register(1, "plain");
  ASSERT_TRUE(graph_.Finish(1, plain, OpStatus::kTimeout, "").ok());
  EXPECT_EQ(Get(plain).cancel, nullptr);
}

TEST_F(GraphTest, AFinishedOperationsDeadlineNeverFires) {
  std::string id = Register(1, "quick", "", absl::Seconds(5));
  ASSERT_TRUE(graph_.Finish(1, id, OpStatus::kCompleted, "").ok());
  EXPECT_EQ(scheduler_.PendingForTest(), 0u);
}

TEST_F(GraphTest, ASessionsEndLeavesItsOperationsLostAndCancelsDescendantsElsewhere) {
  std::string owned = Register(1, "owned");
  std::string done = Register(1, "done");
  ASSERT_TRUE(graph_.Finish(1, done, OpStatus::kCompleted, "").ok());
  std::string child = Register(2, "child", owned);
  graph_.SessionEnded(Session(1), "crashed");
  EXPECT_EQ(Get(owned).status, OpStatus::kLost);
  EXPECT_EQ(Get(done).status, OpStatus::kCompleted);
  Operation c = Get(child);
  EXPECT_EQ(c.status, OpStatus::kCancelling);
  EXPECT_EQ(c.cancel->reason, CancelReason::kOwnerLost);
  EXPECT_EQ(c.cancel->cause->reason, CancelReason::kOwnerLost);
  // Only the surviving session is told.
  auto delivered = listener_.delivered();
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].first, 2u);
  EXPECT_EQ(graph_.live_count(), 1u);
}

TEST(GraphRetention, ASessionWithMoreLiveOperationsThanTheRetentionEndsSafely) {
  // Ending more operations than the finished-retention keeps must not prune
  // records the same change still walks (ASan catches a use after free).
  FakeClock clock;
  Scheduler scheduler(clock);
  EventLog events;
  RecordingListener listener;
  OperationGraph graph(clock, scheduler, events, listener,
                       GraphOptions{.max_operations = 1000, .finished_retention = 5});
  Owner dying{1, "p", 1, "h"};
  Owner other{2, "q", 2, "h"};
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(graph.Register(dying, {.name = "x"})->id);
  std::string child = graph.Register(other, {.name = "child", .parent_id = ids[0]})->id;
  graph.SessionEnded(dying, "crashed");
  EXPECT_EQ(graph.Get(child)->cancel->reason, CancelReason::kOwnerLost);
  EXPECT_EQ(graph.live_count(), 1u);
}

TEST_F(GraphTest, CancelAllDryRunChangesNothingAndTheRealOneCancelsExactlyTheMatches) {
  RegisterSpec a{.name = "a", .labels = {{"team", "a"}}};
  RegisterSpec b{.name = "b", .labels = {{"team", "b"}}};
  std::string ida = graph_.Register(Session(1), a)->id;
  std::string idb = graph_.Register(Session(1), b)->id;
  OperationFilter filter;
  filter.selector = *Selector::Parse("team=a");
  CancelAllResult dry = graph_.CancelAll(filter, "", "t", /*dry_run=*/true, 100);
  EXPECT_EQ(dry.matched, 1);
  ASSERT_EQ(dry.listed.size(), 1u);
  EXPECT_EQ(dry.listed[0].id(), ida);
  EXPECT_EQ(dry.cancelled, 0);
  EXPECT_EQ(Get(ida).status, OpStatus::kRunning);
  CancelAllResult real = graph_.CancelAll(filter, "", "t", false, 100);
  EXPECT_EQ(real.cancelled, 1);
  EXPECT_EQ(Get(ida).status, OpStatus::kCancelling);
  EXPECT_EQ(Get(idb).status, OpStatus::kRunning);
}

TEST_F(GraphTest, CancelAllListsTheOldestMatchesUpToItsLimitAndCancelsThemAll) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Register(1, "op" + std::to_string(i)));
  OperationFilter all;
  all.name_glob = "op*";
  CancelAllResult result = graph_.CancelAll(all, "", "t", /*dry_run=*/false, 2);
  EXPECT_EQ(result.matched, 5);
  EXPECT_EQ(result.cancelled, 5);
  ASSERT_EQ(result.listed.size(), 2u);
  EXPECT_EQ(result.listed[0].id(), ids[0]);
  EXPECT_EQ(result.listed[1].id(), ids[1]);
  for (const std::string& id : ids) EXPECT_EQ(Get(id).status, OpStatus::kCancelling);
}

TEST_F(GraphTest, ListIsOldestFirstAndPaginates) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Register(1, "op" + std::to_string(i)));
  absl::StatusOr<OperationGraph::Page> first = graph_.List({}, 2, "");
  ASSERT_EQ(first->operations.size(), 2u);
  EXPECT_EQ(first->operations[0].id(), ids[0]);
  absl::StatusOr<OperationGraph::Page> rest = graph_.List({}, 10, first->next_page_token);
  ASSERT_EQ(rest->operations.size(), 3u);
  EXPECT_EQ(rest->operations[2].id(), ids[4]);
  EXPECT_TRUE(rest->next_page_token.empty());
  EXPECT_TRUE(absl::IsInvalidArgument(graph_.List({}, 2, "garbage").status()));
}

TEST_F(GraphTest, APreviousIdFromAnotherDaemonIsKeptButOursAreNeverReused) {
  RegisterSpec spec{.name = "again", .previous_id = "0badf00d-7"};
  EXPECT_EQ(graph_.Register(Session(1), spec)->id, "0badf00d-7");
  std::string mine = Register(1, "mine");
  RegisterSpec reuse{.name = "reuse", .previous_id = mine};
  // Another live session's operation: a new id.
  EXPECT_NE(graph_.Register(Session(2), reuse)->id, mine);
  // Its own session registering it again (after a resume): the same one.
  EXPECT_EQ(graph_.Register(Session(1), reuse)->id, mine);
}

TEST_F(GraphTest, APreviousIdOfThisRunThatHasEndedIsRefusedSayingWhy) {
  std::string gone = Register(1, "gone");
  graph_.SessionEnded(Session(1), "vanished");
  RegisterSpec again{.name = "gone", .previous_id = gone};
  absl::StatusOr<RegisterResult> lost = graph_.Register(Session(2), again);
  ASSERT_TRUE(absl::IsFailedPrecondition(lost.status())) << lost.status();
  EXPECT_THAT(std::string(lost.status().message()), ::testing::HasSubstr("was lost"));
  RegisterSpec unknown{.name = "x", .previous_id = gone.substr(0, 9) + "999999"};
  EXPECT_TRUE(absl::IsFailedPrecondition(graph_.Register(Session(2), unknown).status()));
}

TEST_F(GraphTest, AResumedSessionKeepsItsOperationsAndTheirIds) {
  std::string id = Register(1, "kept");
  std::string child = Register(2, "child", id);
  graph_.SessionDetached(1);
  EXPECT_TRUE(Get(id).owner_disconnected_since.has_value());
  graph_.ResumeSession(1, Session(3));
  EXPECT_EQ(Get(id).owner().session_id, 3u);
  EXPECT_FALSE(Get(id).owner_disconnected_since.has_value());
  graph_.SessionEnded(Session(1), "the old session's lease ran out");  // nothing of it is left
  EXPECT_EQ(Get(id).status, OpStatus::kRunning);
  EXPECT_EQ(Get(child).cancel, nullptr);
  ASSERT_TRUE(graph_.Finish(3, id, OpStatus::kCompleted, "").ok());
}

TEST_F(GraphTest, EveryChangeIsAnEventInOrder) {
  std::string id = Register(1, "e");
  ASSERT_TRUE(graph_.ReportProgress(1, id, "half", {}).ok());
  ASSERT_TRUE(graph_.Cancel(id, "", "t", true).ok());
  ASSERT_TRUE(graph_.Finish(1, id, OpStatus::kCancelled, "").ok());
  std::vector<EventType> types;
  auto sub = events_.Subscribe(
      1, [](uint64_t) {}, [&](const Event& e) { types.push_back(e.type); });
  ASSERT_TRUE(sub.ok());
  EXPECT_THAT(types, ::testing::ElementsAre(EventType::kProgress, EventType::kCancelRequested,
                                            EventType::kFinished));
}

TEST_F(GraphTest, AFinishedParentStillListsItsChildrenUntilTheyArePruned) {
  std::string parent = Register(1, "parent");
  std::string child = Register(2, "child", parent);
  ASSERT_TRUE(graph_.Finish(2, child, OpStatus::kCompleted, "").ok());
  ASSERT_TRUE(graph_.Finish(1, parent, OpStatus::kCompleted, "").ok());
  EXPECT_THAT(Get(parent).child_ids, ::testing::ElementsAre(child));
}

TEST_F(GraphTest, ADeadlineSetInThePastFiresAtOnceAndSaysSo) {
  std::string id = Register(1, "late");
  std::string child = Register(2, "child", id);
  const absl::Time past = clock_.Now() - absl::Hours(1);
  ASSERT_TRUE(graph_.SetOperationDeadline(id, past).ok());
  Operation op = Get(id);
  ASSERT_NE(op.cancel, nullptr);
  EXPECT_EQ(op.cancel->reason, CancelReason::kTimeout);
  EXPECT_EQ(
      op.cancel->message,
      absl::StrCat("deadline ", absl::FormatTime(absl::RFC3339_full, past, absl::UTCTimeZone()),
                   " had passed when it was set"));
  EXPECT_EQ(Get(child).status, OpStatus::kCancelling);
  ASSERT_TRUE(graph_.CreateToken({.name = "t"}).ok());
  ASSERT_TRUE(graph_.SetTokenDeadline("t", clock_.Now() - absl::Seconds(1)).ok());
  EXPECT_THAT(graph_.GetToken("t")->cancel->message, ::testing::HasSubstr("had passed"));
}

TEST_F(GraphTest, ACancelledOperationOrTokenShowsNoDeadlineToCome) {
  std::string id = Register(1, "o", "", absl::Hours(1));
  ASSERT_TRUE(Get(id).deadline.has_value());
  ASSERT_TRUE(graph_.Cancel(id, "stop", "t", true).ok());
  EXPECT_FALSE(Get(id).deadline.has_value());
  ASSERT_TRUE(graph_.CreateToken({.name = "t", .timeout = absl::Hours(1)}).ok());
  ASSERT_TRUE(graph_.CancelToken("t", "stop", "t").ok());
  EXPECT_FALSE(graph_.GetToken("t")->deadline.has_value());
}

TEST_F(GraphTest, ATimeoutSaysTheTimeoutAsStatedEvenWhenRegisteredWithWhatIsLeft) {
  RegisterSpec spec{
      .name = "again", .timeout = absl::Milliseconds(700), .stated_timeout = absl::Seconds(5)};
  absl::StatusOr<RegisterResult> r = graph_.Register(Session(1), std::move(spec));
  ASSERT_TRUE(r.ok());
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return Get(r->id).cancel != nullptr; }));
  EXPECT_EQ(Get(r->id).cancel->message, TimeoutMessage(absl::Seconds(5)));
}

// Counts the destructions of what it is given to hold.
class CountedResource : public OperationResource {
 public:
  explicit CountedResource(std::atomic<int>* destroyed) : destroyed_(destroyed) {}
  ~CountedResource() override { ++*destroyed_; }

 private:
  std::atomic<int>* const destroyed_;
};

TEST_F(GraphTest, WhatAnOperationHoldsGoesWhenItEndsOrAtOnceIfItHasEnded) {
  std::atomic<int> destroyed{0};
  std::string id = Register(1, "holder");
  graph_.Hold(id, std::make_unique<CountedResource>(&destroyed));
  graph_.Hold(id, std::make_unique<CountedResource>(&destroyed));
  EXPECT_EQ(destroyed, 0);
  ASSERT_TRUE(graph_.Finish(1, id, OpStatus::kCompleted, "").ok());
  EXPECT_EQ(destroyed, 2);
  graph_.Hold(id, std::make_unique<CountedResource>(&destroyed));  // already ended
  EXPECT_EQ(destroyed, 3);
  graph_.Hold("no-such-id", std::make_unique<CountedResource>(&destroyed));
  EXPECT_EQ(destroyed, 4);
  std::string lost = Register(2, "lost");
  graph_.Hold(lost, std::make_unique<CountedResource>(&destroyed));
  graph_.SessionEnded(Session(2), "died");
  EXPECT_EQ(destroyed, 5);
}

}  // namespace
}  // namespace hother::cancelable::daemon
