// Tests of daemon/core/restore.cc: the graph across a restart, over a store
// kept in memory (the same journal and restore paths as SQLite's), on a fake
// clock.
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "daemon/core/operation_graph.h"
#include "daemon/store/memory_backend.h"
#include "daemon/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "tests/daemon/store/borrowed_backend.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable::daemon {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class NullListener : public CancelListener {
 public:
  void DeliverCancels(uint64_t, std::vector<CancelDelivery>) override {}
};

class RestoreTest : public ::testing::Test {
 protected:
  // One run of the daemon: its store, event log and graph.
  struct Run {
    std::unique_ptr<Store> store;
    EventLog events;
    NullListener listener;
    std::unique_ptr<OperationGraph> graph;
  };

  // Ends the current run (its store committed, as a crash after the RPC's
  // OK would find it) and starts the next over the same backend.
  void Restart() {
    if (run_ != nullptr) {
      ASSERT_TRUE(run_->store->Close(0).ok());
      run_->graph.reset();
    }
    run_ = std::make_unique<Run>();
    auto store = Store::Open(std::make_unique<Borrowed>(backend_.get()), StoreOptions{}, clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    run_->store = *std::move(store);
    StoredState state = run_->store->TakeLoaded();
    run_->graph = std::make_unique<OperationGraph>(
        clock_, scheduler_, run_->events, run_->listener,
        GraphOptions{.epoch = state.epoch, .reregistration_window = absl::Seconds(10)},
        *run_->store);
    run_->graph->Restore(std::move(state));
  }
  OperationGraph& graph() { return *run_->graph; }

  absl::StatusOr<RegisterResult> Register(uint64_t session, std::string name,
                                          std::string parent = "", std::string previous = "",
                                          Labels labels = {}) {
    RegisterSpec spec;
    spec.name = std::move(name);
    spec.parent_id = std::move(parent);
    spec.previous_id = std::move(previous);
    spec.labels = std::move(labels);
    return graph().Register(Owner{session, "proc", 100 + static_cast<int64_t>(session), "host"},
                            std::move(spec));
  }
  std::string Id(absl::StatusOr<RegisterResult> r) {
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->id : "";
  }

  void SetUp() override { Restart(); }
  void TearDown() override { run_.reset(); }

  FakeClock clock_;
  Scheduler scheduler_{clock_};
  std::unique_ptr<MemoryBackend> backend_ = MemoryBackend::Retaining();
  std::unique_ptr<Run> run_;
};

TEST_F(RestoreTest, TokensLinksAllOfAndDeadlinesComeBackAndStillCascade) {
  ASSERT_TRUE(graph().CreateToken({.name = "a", .timeout = absl::Hours(1)}).ok());
  ASSERT_TRUE(graph().CreateToken({.name = "b"}).ok());
  ASSERT_TRUE(graph().CreateToken({.name = "x"}).ok());
  ASSERT_TRUE(graph().CreateToken({.name = "both", .all_of = {"a", "x"}}).ok());
  ASSERT_TRUE(graph().LinkTokens("a", "b").ok());
  ASSERT_TRUE(graph().CancelToken("x", "x is done", "ops").ok());
  const absl::Time deadline = *graph().GetToken("a")->deadline;
  Restart();
  absl::StatusOr<TokenView> a = graph().GetToken("a");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->deadline, deadline);
  EXPECT_THAT(a->targets, Contains("b"));
  EXPECT_EQ(graph().GetToken("x")->cancel->message, "x is done");
  // The link and the all-of still cascade: both's other input is cancelled.
  ASSERT_TRUE(graph().CancelToken("a", "stop", "ops").ok());
  EXPECT_NE(graph().GetToken("b")->cancel, nullptr);
  EXPECT_NE(graph().GetToken("both")->cancel, nullptr);
  // The deadline fires in the new run too.
  ASSERT_TRUE(graph().CreateToken({.name = "later", .timeout = absl::Minutes(5)}).ok());
  Restart();
  clock_.Advance(absl::Minutes(6));
  ASSERT_TRUE(Eventually([&] { return graph().GetToken("later")->cancel != nullptr; }));
  EXPECT_EQ(graph().GetToken("later")->cancel->reason, CancelReason::kTimeout);
}

TEST_F(RestoreTest, AnOperationCancelledBeforeARestartStartsCancelledWithItsOwnRecord) {
  std::string parent = Id(Register(1, "deploy"));
  std::string child = Id(Register(2, "step", parent));
  ASSERT_TRUE(graph().Cancel(parent, "bad deploy", "alice", /*cascade=*/true).ok());
  Restart();
  absl::StatusOr<RegisterResult> again = Register(2, "step", parent, child);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id, child);  // the same id
  ASSERT_NE(again->cancelled, nullptr);
  EXPECT_EQ(again->cancelled->reason, CancelReason::kParent);
  EXPECT_EQ(again->cancelled->Root().message, "bad deploy");
  EXPECT_EQ(again->cancelled->Root().actor, "alice");
  EXPECT_EQ(graph().Get(child)->status, OpStatus::kCancelling);
}

TEST_F(RestoreTest, ACancelAllMadeWhileOwnersAreAwayReachesThemWhenTheyComeBack) {
  std::string a = Id(Register(1, "a", "", "", {{"team", "a"}}));
  std::string b = Id(Register(1, "b", "", "", {{"team", "b"}}));
  Restart();
  CancelAllResult all = graph().CancelAll(OperationFilter{*Selector::Parse("team=a"), "team=a"},
                                          "team a stops", "ops", false, 10);
  EXPECT_EQ(all.matched, 0);  // nobody is back yet
  // A new operation after the cancel is not matched; `a` registered before it is.
  std::string fresh = Id(Register(2, "new", "", "", {{"team", "a"}}));
  EXPECT_EQ(graph().Get(fresh)->cancel, nullptr);
  // Another restart before the owner is back: the selector cancel is kept.
  Restart();
  absl::StatusOr<RegisterResult> back = Register(1, "a", "", a, {{"team", "a"}});
  ASSERT_TRUE(back.ok());
  ASSERT_NE(back->cancelled, nullptr);
  EXPECT_EQ(back->cancelled->message, "team a stops");
  EXPECT_EQ(back->cancelled->actor, "ops");
  absl::StatusOr<RegisterResult> other = Register(1, "b", "", b, {{"team", "b"}});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->cancelled, nullptr);
}

TEST_F(RestoreTest, AChildRegisteredAgainBeforeItsParentWaitsForItAndFollowsItsCancel) {
  std::string parent = Id(Register(1, "parent"));
  std::string child = Id(Register(2, "child", parent));
  Restart();
  // The child's process reconnects first.
  ASSERT_TRUE(Register(2, "child", parent, child).ok());
  // A fresh registration under an unknown parent is still refused.
  EXPECT_TRUE(absl::IsNotFound(Register(3, "other", parent).status()));
  ASSERT_EQ(Id(Register(1, "parent", "", parent)), parent);
  EXPECT_THAT(graph().Get(parent)->child_ids, Contains(child));
  ASSERT_TRUE(graph().Cancel(parent, "stop", "ops", /*cascade=*/true).ok());
  EXPECT_EQ(graph().Get(child)->cancel->reason, CancelReason::kParent);
}

TEST_F(RestoreTest, AChildWhoseParentNeverComesBackIsCancelledOwnerLostSayingWhy) {
  std::string parent = Id(Register(1, "parent"));
  std::string child = Id(Register(2, "child", parent));
  Restart();
  ASSERT_TRUE(Register(2, "child", parent, child).ok());
  clock_.Advance(absl::Seconds(11));  // the scheduler's thread fires the window's end
  ASSERT_TRUE(Eventually([&] { return graph().Get(child)->cancel != nullptr; }));
  std::shared_ptr<const CancellationDetails> cancel = graph().Get(child)->cancel;
  EXPECT_EQ(cancel->reason, CancelReason::kOwnerLost);
  EXPECT_THAT(cancel->message, HasSubstr(parent));
  EXPECT_THAT(cancel->message, HasSubstr("not registered again within 10s"));
}

TEST_F(RestoreTest, TheHistoryComesBackParentsWithTheirChildren) {
  std::string parent = Id(Register(1, "parent"));
  std::string child = Id(Register(2, "child", parent));
  ASSERT_TRUE(graph().Finish(2, child, OpStatus::kCompleted, "").ok());
  ASSERT_TRUE(graph().Finish(1, parent, OpStatus::kFailed, "broke").ok());
  Restart();
  absl::StatusOr<Operation> got = graph().Get(parent);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, OpStatus::kFailed);
  EXPECT_EQ(got->error, "broke");
  EXPECT_THAT(got->child_ids, Contains(child));
  // A new run's ids are never an old run's.
  EXPECT_NE(Id(Register(1, "next")).substr(0, 8), parent.substr(0, 8));
}

}  // namespace
}  // namespace hother::cancelable::daemon
