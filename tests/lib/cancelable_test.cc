// Tests of cancelable.h: the scope's lifecycle, final status rules, callbacks,
// parent/child, shield, combination and the reference's defects.
#include "hother/cancelable/cancelable.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/scheduler.h"
#include "hother/cancelable/sources/condition_source.h"
#include "hother/cancelable/sources/timeout_source.h"
#include "hother/cancelable/testing.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

using ::testing::ElementsAre;
using testing::OperationRecorder;

class ScopeTest : public ::testing::Test {
 protected:
  CancelableOptions Opts(std::string name = "") {
    CancelableOptions o;
    o.name = std::move(name);
    o.scheduler = &scheduler_;
    return o;
  }
  FakeClock clock_;
  Scheduler scheduler_{clock_};
};

// --- Factories and names. ---

TEST_F(ScopeTest, FactoriesGiveDefaultNames) {
  EXPECT_EQ(Cancelable::WithTimeout(absl::Seconds(5), Opts()).name(), "timeout_5s");
  EXPECT_EQ(Cancelable::WithTimeout(absl::Milliseconds(1500), Opts()).name(), "timeout_1.5s");
  EXPECT_EQ(Cancelable::WithToken(CancellationToken(), Opts()).name(), "token_based");
  EXPECT_EQ(Cancelable::WithSignal({SIGUSR1}, Opts()).name(), "signal_based");
  EXPECT_EQ(Cancelable::WithCondition([] { return false; }, absl::Seconds(1), "c", Opts()).name(),
            "condition_based");
  EXPECT_EQ(Cancelable::WithTimeout(absl::Seconds(1), Opts("mine")).name(), "mine");
}

TEST_F(ScopeTest, IdIsAUuidOrTheCallersVerbatim) {
  EXPECT_EQ(Cancelable(Opts()).id().size(), 36u);
  CancelableOptions o = Opts();
  o.id = "job-7";
  Cancelable op(o);
  EXPECT_EQ(op.id(), "job-7");
  EXPECT_EQ(op.token().id(), "job-7");
}

TEST_F(ScopeTest, NonPositiveTimeoutMakesEnterFailClearly) {
  auto op = Cancelable::WithTimeout(absl::ZeroDuration(), Opts());
  absl::Status entered = op.Enter();
  EXPECT_TRUE(absl::IsInvalidArgument(entered));
  EXPECT_EQ(entered.message(), "Timeout must be positive, got 0s");
  bool called = false;
  EXPECT_TRUE(absl::IsInvalidArgument(op.Run([&] { called = true; })));
  EXPECT_FALSE(called);
}

TEST_F(ScopeTest, InvalidConditionIntervalMakesEnterFail) {
  auto op = Cancelable::WithCondition([] { return false; }, absl::ZeroDuration(), "c", Opts());
  EXPECT_TRUE(absl::IsInvalidArgument(op.Enter()));
}

// --- Lifecycle. ---

TEST_F(ScopeTest, PendingUntilEnteredRunningInsideAndCurrentOperation) {
  Cancelable op(Opts("work"));
  EXPECT_EQ(op.context().status, OperationStatus::kPending);
  EXPECT_EQ(op.context().duration(), std::nullopt);
  EXPECT_EQ(CurrentOperation(), std::nullopt);
  absl::Status s = op.Run([&](Cancelable& self) {
    EXPECT_EQ(self.context().status, OperationStatus::kRunning);
    ASSERT_TRUE(CurrentOperation().has_value());
    EXPECT_EQ(CurrentOperation()->id(), op.id());
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(op.context().status, OperationStatus::kCompleted);
  EXPECT_EQ(CurrentOperation(), std::nullopt);
}

TEST_F(ScopeTest, NestedScopesRestoreThePreviousCurrentOperation) {
  Cancelable outer(Opts("outer"));
  Cancelable inner(Opts("inner"));
  ASSERT_TRUE(outer.Enter().ok());
  ASSERT_TRUE(inner.Enter().ok());
  EXPECT_EQ(CurrentOperation()->name(), "inner");
  inner.Exit();
  EXPECT_EQ(CurrentOperation()->name(), "outer");
  outer.Exit();
  EXPECT_EQ(CurrentOperation(), std::nullopt);
}

TEST_F(ScopeTest, LeavingWithoutEnteringIsHarmless) {
  Cancelable op(Opts());
  op.Exit(absl::InternalError("x"));
  EXPECT_EQ(op.context().status, OperationStatus::kPending);
}

TEST_F(ScopeTest, EnteringASecondTimeIsRefused) {
  Cancelable op(Opts());
  ASSERT_TRUE(op.Run([] {}).ok());
  absl::Status again = op.Enter();
  EXPECT_TRUE(absl::IsFailedPrecondition(again));
  EXPECT_THAT(std::string(again.message()), ::testing::HasSubstr("already entered"));
  EXPECT_EQ(op.context().status, OperationStatus::kCompleted);
}

TEST_F(ScopeTest, DurationIsNoneWhilePendingGrowsWhileRunningFixedOnceEnded) {
  Cancelable op(Opts());
  EXPECT_EQ(op.context().duration(), std::nullopt);
  ASSERT_TRUE(op.Enter().ok());
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(op.context().duration(clock_.Now()), absl::Seconds(2));
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(op.context().duration(clock_.Now()), absl::Seconds(3));
  op.Exit();
  clock_.Advance(absl::Seconds(10));
  EXPECT_EQ(op.context().duration(clock_.Now()), absl::Seconds(3));
}

// --- Final status rules. ---

TEST_F(ScopeTest, BodyFinishedNormallyIsCompleted) {
  Cancelable op(Opts());
  absl::StatusOr<int> r = op.Run([] { return 42; });
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(op.context().status, OperationStatus::kCompleted);
  EXPECT_EQ(op.context().cancel_reason, std::nullopt);
}

TEST_F(ScopeTest, TimeoutFiredIsStatusTimeoutAndCheckIsDeadlineExceeded) {
  auto op = Cancelable::WithTimeout(absl::Seconds(5), Opts());
  absl::Status s = op.Run([&](Cancelable& self) -> absl::Status {
    clock_.Advance(absl::Seconds(5));
    self.token().Wait();  // woken by the timeout through the one token
    return self.Check();
  });
  EXPECT_TRUE(absl::IsDeadlineExceeded(s));
  OperationContext ctx = op.context();
  EXPECT_EQ(ctx.status, OperationStatus::kTimeout);
  EXPECT_EQ(ctx.cancel_reason, CancelReason::kTimeout);
  EXPECT_EQ(ctx.cancel_message, "Operation timed out after 5s");
}

TEST_F(ScopeTest, ManualCancelIsStatusCancelled) {
  Cancelable op(Opts());
  absl::Status s = op.Run([](Cancelable& self) -> absl::Status {
    self.Cancel(CancelReason::kManual, "stop now");
    return self.Check();
  });
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(op.context().status, OperationStatus::kCancelled);
  EXPECT_EQ(op.context().cancel_message, "stop now");
}

TEST_F(ScopeTest, ManualCancelWithoutMessageUsesTheDefault) {
  Cancelable op(Opts());
  op.Cancel();
  EXPECT_EQ(op.token().details()->message, "Operation cancelled manually");
}

TEST_F(ScopeTest, OtherErrorIsFailedWithTheErrorTextAndErrorCallbacks) {
  Cancelable op(Opts());
  std::string seen_error;
  op.OnError([&](const OperationContext& c, const absl::Status& e) {
    EXPECT_EQ(c.status, OperationStatus::kFailed);
    seen_error = std::string(e.message());
  });
  absl::Status s = op.Run([] { return absl::InternalError("disk on fire"); });
  EXPECT_TRUE(absl::IsInternal(s));
  EXPECT_EQ(op.context().status, OperationStatus::kFailed);
  EXPECT_EQ(op.context().error, "disk on fire");
  EXPECT_EQ(seen_error, "disk on fire");
}

TEST_F(ScopeTest, AnExceptionIsFailedAndPropagates) {
  Cancelable op(Opts());
  EXPECT_THROW((void)op.Run([]() -> int { throw std::logic_error("bug"); }), std::logic_error);
  EXPECT_EQ(op.context().status, OperationStatus::kFailed);
  EXPECT_EQ(op.context().error, "bug");
  EXPECT_EQ(CurrentOperation(), std::nullopt);
}

TEST_F(ScopeTest, ThrowIfCancelledInsideRunIsRecordedAsTheCancellation) {
  auto op = Cancelable::WithTimeout(absl::Seconds(1), Opts());
  absl::Status s = op.Run([&](Cancelable& self) {
    clock_.Advance(absl::Seconds(1));
    self.token().Wait();
    self.token().ThrowIfCancelled();
  });
  EXPECT_TRUE(absl::IsDeadlineExceeded(s));
  EXPECT_EQ(op.context().status, OperationStatus::kTimeout);
}

TEST_F(ScopeTest, BodyRaisingItsOwnCancellationRecordsThatReasonAndMessage) {
  Cancelable op(Opts());
  absl::Status s = op.Run([]() { throw ConditionCancelError("quota"); });
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(op.context().status, OperationStatus::kCancelled);
  EXPECT_EQ(op.context().cancel_reason, CancelReason::kCondition);
  EXPECT_EQ(op.context().cancel_message, "Operation cancelled: quota condition met");
  EXPECT_FALSE(op.IsCancelled());
}

TEST_F(ScopeTest, SwallowedCancellationIsCompletedButStaysVisible) {
  // Defect 10 of the reference: the deadline that fired left no trace.
  auto op = Cancelable::WithTimeout(absl::Seconds(1), Opts());
  absl::Status s = op.Run([&](Cancelable& self) {
    clock_.Advance(absl::Seconds(1));
    self.token().Wait();
    return absl::OkStatus();  // the body chose to finish anyway
  });
  EXPECT_TRUE(s.ok());
  OperationContext ctx = op.context();
  EXPECT_EQ(ctx.status, OperationStatus::kCompleted);
  EXPECT_EQ(ctx.cancel_reason, CancelReason::kTimeout);
  EXPECT_EQ(ctx.cancel_message, "Operation timed out after 1s");
}

TEST_F(ScopeTest, ACancelAfterTheEndDoesNotRewriteTheContext) {
  Cancelable op(Opts());
  ASSERT_TRUE(op.Run([] {}).ok());
  op.Cancel();
  EXPECT_EQ(op.context().status, OperationStatus::kCompleted);
  EXPECT_EQ(op.context().cancel_reason, std::nullopt);
}

// --- Callbacks. ---

TEST_F(ScopeTest, CallbacksSeeTheirStatesAndAreChainable) {
  auto op = Cancelable::WithTimeout(absl::Seconds(1), Opts());
  std::vector<std::string> seen;
  op.OnStart([&](const OperationContext& c) { seen.push_back(std::string(ToString(c.status))); })
      .OnCancel([&](const OperationContext& c) {
        seen.push_back(std::string(ToString(*c.cancel_reason)));
        EXPECT_GT(*c.duration(), absl::ZeroDuration());
      })
      .OnComplete([&](const OperationContext&) { seen.push_back("complete"); });
  (void)op.Run([&](Cancelable& self) {
    clock_.Advance(absl::Seconds(1));
    self.token().Wait();
    return self.Check();
  });
  EXPECT_THAT(seen, ElementsAre("running", "timeout"));
}

TEST_F(ScopeTest, AThrowingCallbackIsCaughtAndNeverChangesTheOutcome) {
  Cancelable op(Opts());
  bool second = false;
  op.OnComplete([](const OperationContext&) {
      throw std::runtime_error("bad callback");
    }).OnComplete([&](const OperationContext&) { second = true; });
  EXPECT_TRUE(op.Run([] {}).ok());
  EXPECT_TRUE(second);
  EXPECT_EQ(op.context().status, OperationStatus::kCompleted);
}

TEST_F(ScopeTest, RecorderSeesTheWholeStory) {
  Cancelable op(Opts());
  OperationRecorder recorder(op);
  (void)op.Run([](Cancelable& self) {
    self.ReportProgress("half");
    self.Cancel();
    return self.Check();
  });
  EXPECT_THAT(recorder.events(), ElementsAre("start", "progress:half", "cancel:manual"));
}

// --- Progress. ---

TEST_F(ScopeTest, ProgressIsDeliveredInOrderBeforeEnteringAndWithoutCallbacks) {
  Cancelable quiet(Opts());
  quiet.ReportProgress("nobody listens");  // fine
  Cancelable op(Opts());
  std::vector<std::string> messages;
  op.OnProgress([&](const std::string& id, const std::string& m, const Metadata& md) {
    EXPECT_EQ(id, op.id());
    messages.push_back(m + (md.contains("k") ? "+k" : ""));
  });
  op.ReportProgress("before enter");
  (void)op.Run([](Cancelable& self) {
    self.ReportProgress("one", {{"k", "v"}});
    self.ReportProgress("two");
  });
  EXPECT_THAT(messages, ElementsAre("before enter", "one+k", "two"));
}

TEST_F(ScopeTest, ProgressReportedInsideAShieldIsDelivered) {
  // Defect 11 of the reference.
  Cancelable op(Opts());
  std::vector<std::string> messages;
  op.OnProgress(
      [&](const std::string&, const std::string& m, const Metadata&) { messages.push_back(m); });
  (void)op.Run([](Cancelable& self) {
    ShieldGuard shield = self.Shield();
    self.ReportProgress("shielded work");
  });
  EXPECT_THAT(messages, ElementsAre("shielded work"));
}

// --- Parent and child. ---

TEST_F(ScopeTest, CancelReachesEveryChildIncludingOnesNotYetEntered) {
  Cancelable parent(Opts("parent"));
  CancelableOptions co = Opts("child");
  co.parent = &parent;
  Cancelable entered_child(co);
  Cancelable pending_child(co);
  ASSERT_TRUE(entered_child.Enter().ok());
  EXPECT_TRUE(parent.Cancel(CancelReason::kManual, "shut down"));
  for (Cancelable* child : {&entered_child, &pending_child}) {
    ASSERT_TRUE(child->IsCancelled());
    auto d = child->token().details();
    EXPECT_EQ(d->reason, CancelReason::kParent);
    EXPECT_EQ(d->message, "Parent operation " + parent.id().substr(0, 8) + " cancelled");
    EXPECT_EQ(d->cause->message, "shut down");
  }
  EXPECT_EQ(entered_child.context().parent_id, parent.id());
  entered_child.Exit(entered_child.Check());
  EXPECT_EQ(entered_child.context().status, OperationStatus::kCancelled);
}

TEST_F(ScopeTest, CancelWithoutPropagationLeavesChildrenRunning) {
  Cancelable parent(Opts());
  CancelableOptions co = Opts();
  co.parent = &parent;
  Cancelable child(co);
  parent.Cancel(CancelReason::kManual, "", /*propagate_to_children=*/false);
  EXPECT_TRUE(parent.IsCancelled());
  EXPECT_FALSE(child.IsCancelled());
}

TEST_F(ScopeTest, ALosingCancelWithoutPropagationChangesNothing) {
  Cancelable parent(Opts());
  parent.Cancel(CancelReason::kManual, "first, propagating");
  EXPECT_FALSE(parent.Cancel(CancelReason::kManual, "second", /*propagate_to_children=*/false));
  CancelableOptions co = Opts();
  co.parent = &parent;
  Cancelable late_child(co);  // cancel-before-start still wins
  EXPECT_TRUE(late_child.IsCancelled());
}

TEST_F(ScopeTest, AShieldTakenWhileACancelRacesIsNeverCrossed) {
  for (int round = 0; round < 300; ++round) {
    Cancelable op(Opts());
    ASSERT_TRUE(op.Enter().ok());
    Notification go;
    std::thread canceller([&] {
      go.WaitForNotification();
      op.Cancel();
    });
    go.Notify();
    {
      ShieldGuard shield = op.Shield();
      const bool at_acquire = op.IsCancelled();
      for (int i = 0; i < 50; ++i) ASSERT_EQ(op.IsCancelled(), at_acquire);
    }
    canceller.join();
    EXPECT_TRUE(op.IsCancelled());  // delivered, inside or after the shield
    op.Exit(op.Check());
  }
}

TEST_F(ScopeTest, CurrentOperationSurvivesOutOfOrderExitAndDestruction) {
  auto b = std::make_unique<Cancelable>(Opts("b"));
  {
    Cancelable a(Opts("a"));
    ASSERT_TRUE(a.Enter().ok());
    ASSERT_TRUE(b->Enter().ok());
    a.Exit();  // out of order: b is still current
    EXPECT_EQ(CurrentOperation()->name(), "b");
  }           // a is gone
  b->Exit();  // restores "a", which no longer exists
  EXPECT_EQ(CurrentOperation(), std::nullopt);
}

TEST_F(ScopeTest, AParentTimeoutReachesTheChildWithReasonParentAndTheCause) {
  // The reference propagated manual cancels only.
  auto parent = Cancelable::WithTimeout(absl::Seconds(3), Opts("parent"));
  CancelableOptions co = Opts("child");
  co.parent = &parent;
  Cancelable child(co);
  ASSERT_TRUE(parent.Enter().ok());
  ASSERT_TRUE(child.Enter().ok());
  clock_.Advance(absl::Seconds(3));
  child.token().Wait();
  auto d = child.token().details();
  EXPECT_EQ(d->reason, CancelReason::kParent);
  ASSERT_NE(d->cause, nullptr);
  EXPECT_EQ(d->cause->reason, CancelReason::kTimeout);
  EXPECT_EQ(d->ChainToString(), "parent: Parent operation " + parent.id().substr(0, 8) +
                                    " cancelled <- timeout: Operation timed out after 3s");
  EXPECT_TRUE(absl::IsDeadlineExceeded(child.Check()));
  child.Exit(child.Check());
  parent.Exit(parent.Check());
  EXPECT_EQ(child.context().status, OperationStatus::kCancelled);
  EXPECT_EQ(child.context().cancel_reason, CancelReason::kParent);
  EXPECT_EQ(parent.context().status, OperationStatus::kTimeout);
}

TEST_F(ScopeTest, AParentConditionReachesAGrandchild) {
  std::atomic<int> checks{0};
  auto root = Cancelable::WithCondition([&] { return ++checks >= 2; }, absl::Seconds(1), "flag",
                                        Opts("root"));
  CancelableOptions mo = Opts("middle");
  mo.parent = &root;
  Cancelable middle(mo);
  CancelableOptions lo = Opts("leaf");
  lo.parent = &middle;
  Cancelable leaf(lo);
  ASSERT_TRUE(root.Enter().ok());
  ASSERT_TRUE(Eventually([&] {
    clock_.Advance(absl::Seconds(1));
    return leaf.IsCancelled();
  }));
  EXPECT_EQ(leaf.token().details()->Root().reason, CancelReason::kCondition);
  EXPECT_EQ(leaf.token().details()->Root().message, "Condition 'flag' met after 2 checks");
  root.Exit(root.Check());
}

TEST_F(ScopeTest, AChildsCancelNeverReachesItsParent) {
  Cancelable parent(Opts());
  CancelableOptions co = Opts();
  co.parent = &parent;
  Cancelable child(co);
  child.Cancel();
  EXPECT_FALSE(parent.IsCancelled());
}

TEST_F(ScopeTest, CancellingBeforeEnteringMakesTheScopeStartCancelled) {
  Cancelable op(Opts());
  op.Cancel(CancelReason::kManual, "too late");
  bool saw_cancelled = false;
  absl::Status s = op.Run([&](Cancelable& self) {
    saw_cancelled = self.IsCancelled();
    return self.Check();
  });
  EXPECT_TRUE(saw_cancelled);
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(op.context().status, OperationStatus::kCancelled);
}

// --- Sources reach the token (defects 1, 2, 6). ---

TEST_F(ScopeTest, SourceCancellationsReachTheTokenWrapAndChildren) {
  auto op = Cancelable::WithTimeout(absl::Seconds(1), Opts());
  ASSERT_TRUE(op.Enter().ok());
  int calls = 0;
  auto wrapped = op.Wrap([&] {
    ++calls;
    return 7;
  });
  EXPECT_EQ(*wrapped(), 7);
  clock_.Advance(absl::Seconds(1));
  op.token().Wait();
  absl::StatusOr<int> after = wrapped();
  EXPECT_TRUE(absl::IsDeadlineExceeded(after.status()));
  EXPECT_EQ(calls, 1);
  op.Exit(op.Check());
}

TEST_F(ScopeTest, OfSeveralDeadlinesTheEarliestWins) {
  auto op = Cancelable::WithTimeout(absl::Seconds(30), Opts())
                .AddSource(TimeoutSource(absl::Seconds(10)))
                .AddSource(TimeoutSource(absl::Seconds(20)));
  ASSERT_TRUE(op.Enter().ok());
  clock_.Advance(absl::Seconds(10));
  op.token().Wait();
  EXPECT_EQ(op.token().details()->message, "Operation timed out after 10s");
  op.Exit(op.Check());
}

TEST_F(ScopeTest, ACancelFromAnotherThreadWakesTheBodyPromptly) {
  Cancelable op(Opts());
  Notification waiting;
  std::thread canceller([&] {
    waiting.WaitForNotification();
    op.Cancel();
  });
  absl::Status s = op.Run([&](Cancelable& self) {
    waiting.Notify();
    self.token().Wait();
    return self.Check();
  });
  canceller.join();
  EXPECT_TRUE(absl::IsCancelled(s));
}

TEST_F(ScopeTest, ARealSigusr1CancelsASignalScope) {
  auto op = Cancelable::WithSignal({SIGUSR1}, Opts());
  absl::Status s = op.Run([](Cancelable& self) {
    kill(getpid(), SIGUSR1);
    self.token().Wait();
    return self.Check();
  });
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(op.context().cancel_reason, CancelReason::kSignal);
  EXPECT_EQ(op.context().cancel_message, "Received signal SIGUSR1 (10)");
}

TEST_F(ScopeTest, SourcesStopWhenTheScopeExits) {
  auto op = Cancelable::WithTimeout(absl::Seconds(1), Opts());
  ASSERT_TRUE(op.Run([] {}).ok());
  EXPECT_EQ(scheduler_.PendingForTest(), 0u);
  clock_.Advance(absl::Seconds(5));
  EXPECT_FALSE(op.IsCancelled());
}

TEST_F(ScopeTest, WithTokenKeepsTheTokensReasonAndMessage) {
  CancellationToken token;
  auto op = Cancelable::WithToken(token, Opts());
  token.Cancel(CancelReason::kSignal, "from elsewhere");
  EXPECT_EQ(op.token().details()->reason, CancelReason::kSignal);
  EXPECT_EQ(op.token().details()->message, "from elsewhere");
}

// --- Shield. ---

TEST_F(ScopeTest, ShieldHoldsACancellationUntilReleased) {
  Cancelable op(Opts());
  ASSERT_TRUE(op.Enter().ok());
  {
    ShieldGuard shield = op.Shield();
    EXPECT_EQ(op.context().status, OperationStatus::kShielded);
    EXPECT_TRUE(op.Cancel(CancelReason::kManual, "held"));
    EXPECT_TRUE(op.Check().ok());
    EXPECT_FALSE(op.token().WaitFor(absl::Milliseconds(1)));
  }
  EXPECT_TRUE(op.IsCancelled());
  EXPECT_EQ(op.token().details()->message, "held");
  EXPECT_EQ(op.context().status, OperationStatus::kRunning);
  op.Exit(op.Check());
}

TEST_F(ScopeTest, ARecordMadeElsewhereIsHeldByAShieldAndKeptWhole) {
  Cancelable op(Opts());
  CancelableOptions child_options = Opts();
  child_options.parent = &op;
  Cancelable child(child_options);
  auto root = std::make_shared<CancellationDetails>();
  root->reason = CancelReason::kManual;
  root->message = "bad deploy";
  root->actor = "alice";
  auto record = std::make_shared<CancellationDetails>();
  record->reason = CancelReason::kParent;
  record->message = "Parent operation 1f2e cancelled";
  record->actor = "alice";
  record->SetCause(root);
  {
    ShieldGuard shield = op.Shield();
    EXPECT_TRUE(op.CancelWithRecord(record));
    EXPECT_FALSE(op.IsCancelled());
    EXPECT_FALSE(op.CancelWithRecord(record));  // one is held already
  }
  ASSERT_TRUE(op.IsCancelled());
  EXPECT_EQ(op.token().details(), record);  // the very record, chain and actor
  EXPECT_TRUE(child.IsCancelled());         // and it flows to children
  EXPECT_FALSE(op.CancelWithRecord(record));
}

TEST_F(ScopeTest, ShieldsNestAndOnlyTheOutermostReleaseDelivers) {
  auto op = Cancelable::WithTimeout(absl::Seconds(1), Opts());
  ASSERT_TRUE(op.Enter().ok());
  std::optional<ShieldGuard> outer(op.Shield());
  {
    ShieldGuard inner = op.Shield();
    clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(Eventually([&] { return scheduler_.PendingForTest() == 0; }));
  }
  EXPECT_FALSE(op.IsCancelled());
  EXPECT_EQ(op.context().status, OperationStatus::kShielded);
  outer.reset();
  EXPECT_TRUE(op.IsCancelled());
  EXPECT_EQ(op.token().reason(), CancelReason::kTimeout);
  op.Exit(op.Check());
  EXPECT_EQ(op.context().status, OperationStatus::kTimeout);
}

TEST_F(ScopeTest, ShieldProtectsChildrenFromTheParentsCancel) {
  Cancelable parent(Opts());
  CancelableOptions co = Opts();
  co.parent = &parent;
  Cancelable child(co);
  ASSERT_TRUE(child.Enter().ok());
  {
    ShieldGuard shield = child.Shield();
    parent.Cancel();
    EXPECT_FALSE(child.IsCancelled());
  }
  EXPECT_TRUE(child.IsCancelled());
  EXPECT_EQ(child.token().reason(), CancelReason::kParent);
  child.Exit(child.Check());
}

// --- Combine. ---

TEST_F(ScopeTest, CombineReportsTheOriginalReasonAndDoesNotCancelComponents) {
  Cancelable a(Opts("a"));
  Cancelable b(Opts("b"));
  Cancelable combined = a.Combine({b});
  EXPECT_EQ(combined.name(), "combined_a");
  b.Cancel(CancelReason::kSignal, "b went");
  EXPECT_EQ(combined.token().details()->reason, CancelReason::kSignal);
  EXPECT_EQ(combined.token().details()->message, "b went");

  Cancelable c(Opts("c"));
  Cancelable d(Opts("d"));
  Cancelable cd = c.Combine({d});
  cd.Cancel();
  EXPECT_FALSE(c.IsCancelled());
  EXPECT_FALSE(d.IsCancelled());
}

TEST_F(ScopeTest, CombineKeepsTheComponentsSources) {
  auto slow = Cancelable::WithTimeout(absl::Seconds(60), Opts());
  auto fast = Cancelable::WithTimeout(absl::Seconds(2), Opts());
  Cancelable combined = slow.Combine({fast});
  ASSERT_TRUE(combined.Enter().ok());
  clock_.Advance(absl::Seconds(2));
  combined.token().Wait();
  EXPECT_EQ(combined.token().details()->message, "Operation timed out after 2s");
  combined.Exit(combined.Check());
  EXPECT_EQ(combined.context().status, OperationStatus::kTimeout);
}

// --- Running work. ---

TEST_F(ScopeTest, RunInThreadSeesTheOperationAndItsCancellation) {
  Cancelable op(Opts("threaded"));
  auto future = op.RunInThread(
      [](int x) {
        std::optional<Cancelable> current = CurrentOperation();
        EXPECT_TRUE(current.has_value());
        current->token().Wait();
        return x * 2;
      },
      21);
  op.Cancel();
  EXPECT_EQ(future.get(), 42);
}

TEST_F(ScopeTest, ScopedEnterExitsWithTheGivenOutcome) {
  Cancelable op(Opts());
  {
    ScopedEnter entered(op);
    ASSERT_TRUE(entered.status().ok());
    entered.set_outcome(absl::UnavailableError("backend down"));
  }
  EXPECT_EQ(op.context().status, OperationStatus::kFailed);
  EXPECT_EQ(op.context().error, "backend down");
}

TEST_F(ScopeTest, MetadataIsKeptAndMutable) {
  CancelableOptions o = Opts();
  o.metadata = {{"tenant", "acme"}};
  Cancelable op(o);
  op.SetMetadata("shard", "3");
  EXPECT_EQ(op.context().metadata.at("tenant"), "acme");
  EXPECT_EQ(op.context().metadata.at("shard"), "3");
}

TEST(Vocabulary, StatusesAndReasonsPrintAsTheExactLowerCaseStrings) {
  EXPECT_EQ(ToString(OperationStatus::kPending), "pending");
  EXPECT_EQ(ToString(OperationStatus::kShielded), "shielded");
  EXPECT_EQ(ToString(CancelReason::kOwnerLost), "owner_lost");
  EXPECT_EQ(ParseOperationStatus("timeout"), OperationStatus::kTimeout);
  EXPECT_EQ(ParseCancelReason("Manual"), std::nullopt);
  EXPECT_TRUE(IsTerminal(OperationStatus::kTimeout));
  EXPECT_FALSE(IsTerminal(OperationStatus::kShielded));
  EXPECT_TRUE(IsCancelledStatus(OperationStatus::kTimeout));
}

TEST(Vocabulary, ErrorKindsHaveTheirDefaultMessages) {
  EXPECT_STREQ(TimeoutError(absl::Seconds(5)).what(), "Operation timed out after 5s");
  EXPECT_STREQ(ManualCancelError().what(), "Operation cancelled manually");
  EXPECT_STREQ(SignalCancelError(15).what(), "Operation cancelled by signal 15");
  EXPECT_STREQ(ConditionCancelError("disk").what(), "Operation cancelled: disk condition met");
  EXPECT_STREQ(ParentCancelError("0123456789", CancelReason::kTimeout).what(),
               "Operation cancelled: parent 01234567 was cancelled (timeout)");
}

template <typename T>
concept CancelAcceptsAStringReason = requires(T t) {
  t.Cancel("manual", "message");
};

TEST(Vocabulary, AStringCannotBePassedWhereAReasonBelongs) {
  // Defect 8 of the reference: a string reason half-cancelled a token.
  static_assert(!std::is_convertible_v<const char*, CancelReason>);
  static_assert(!CancelAcceptsAStringReason<CancellationToken>);
  static_assert(!CancelAcceptsAStringReason<Cancelable>);
}

}  // namespace
}  // namespace hother::cancelable
