// Tests of token.h: one test per contract sentence, then the rest of the API.
#include "hother/cancelable/token.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/log.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// --- Contract 1: the first cancel wins. ---

TEST(TokenContract, FirstCancelWinsAndKeepsReasonAndMessage) {
  CancellationToken token;
  EXPECT_TRUE(token.Cancel(CancelReason::kTimeout, "first"));
  EXPECT_FALSE(token.Cancel(CancelReason::kManual, "second"));
  ASSERT_NE(token.details(), nullptr);
  EXPECT_EQ(token.details()->reason, CancelReason::kTimeout);
  EXPECT_EQ(token.details()->message, "first");
  EXPECT_EQ(token.reason(), CancelReason::kTimeout);
}

TEST(TokenContract, TenThreadsRacingCancelYieldExactlyOneTrue) {
  for (int round = 0; round < 50; ++round) {
    CancellationToken token;
    std::atomic<int> winners{0};
    std::atomic<int> callback_runs{0};
    CancellationCallback cb(token, [&](const CancellationDetails&) { ++callback_runs; });
    Notification go;
    std::vector<std::thread> threads;
    for (int i = 0; i < 10; ++i) {
      threads.emplace_back([&] {
        go.WaitForNotification();
        if (token.Cancel()) ++winners;
      });
    }
    go.Notify();
    for (auto& t : threads) t.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(callback_runs.load(), 1);
  }
}

// --- Contract 2: where and when callbacks run. ---

TEST(TokenContract, CallbackExecutesImmediatelyIfAlreadyCancelled) {
  CancellationToken token;
  token.Cancel(CancelReason::kSignal, "sig");
  std::thread::id ran_on;
  std::string seen;
  CancellationCallback cb(token, [&](const CancellationDetails& d) {
    ran_on = std::this_thread::get_id();
    seen = d.message;
  });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(seen, "sig");
}

TEST(TokenContract, CallbackRunsOnceInTheThreadOfTheWinningCancel) {
  CancellationToken token;
  std::atomic<int> runs{0};
  std::thread::id ran_on;
  CancellationCallback cb(token, [&](const CancellationDetails&) {
    ++runs;
    ran_on = std::this_thread::get_id();
  });
  std::thread::id canceller;
  std::thread t([&] {
    canceller = std::this_thread::get_id();
    token.Cancel();
  });
  t.join();
  token.Cancel();
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(ran_on, canceller);
}

TEST(TokenContract, CallbacksRunInRegistrationOrder) {
  CancellationToken token;
  std::vector<int> order;
  CancellationCallback a(token, [&](const CancellationDetails&) { order.push_back(1); });
  CancellationCallback b(token, [&](const CancellationDetails&) { order.push_back(2); });
  CancellationCallback c(token, [&](const CancellationDetails&) { order.push_back(3); });
  token.Cancel();
  EXPECT_THAT(order, ElementsAre(1, 2, 3));
}

TEST(TokenContract, CallbackRunsWithNoLibraryLockHeld) {
  // A callback that uses the same token (registers, reads details, cancels
  // again) would deadlock if a lock were held.
  CancellationToken token;
  bool inner_ran = false;
  std::optional<CancellationCallback> inner;
  CancellationCallback outer(token, [&](const CancellationDetails&) {
    EXPECT_NE(token.details(), nullptr);
    EXPECT_FALSE(token.Cancel());
    inner.emplace(token, [&](const CancellationDetails&) { inner_ran = true; });
    EXPECT_EQ(token.CallbackCountForTest(), 0u);
  });
  token.Cancel();
  EXPECT_TRUE(inner_ran);
}

// --- Contract 3: deregistration. ---

TEST(TokenContract, DestroyingARegistrationDeregistersIt) {
  CancellationToken token;
  bool ran = false;
  {
    CancellationCallback cb(token, [&](const CancellationDetails&) { ran = true; });
    EXPECT_EQ(token.CallbackCountForTest(), 1u);
  }
  EXPECT_EQ(token.CallbackCountForTest(), 0u);
  auto registration = token.OnCancel([&](const CancellationDetails&) { ran = true; });
  registration.Reset();
  token.Cancel();
  EXPECT_FALSE(ran);
}

TEST(TokenContract, DestructorWaitsForACallbackRunningOnAnotherThread) {
  CancellationToken token;
  Notification callback_started;
  Notification release_callback;
  std::atomic<bool> callback_finished{false};
  auto registration =
      std::make_unique<CancellationCallback>(token, [&](const CancellationDetails&) {
        callback_started.Notify();
        release_callback.WaitForNotification();
        callback_finished = true;
      });
  std::thread canceller([&] { token.Cancel(); });
  callback_started.WaitForNotification();
  std::thread releaser([&] {
    // Give the destructor a chance to (wrongly) return early.
    absl::SleepFor(absl::Milliseconds(20));
    release_callback.Notify();
  });
  registration.reset();  // must block until the callback returns
  EXPECT_TRUE(callback_finished.load());
  canceller.join();
  releaser.join();
}

TEST(TokenContract, CallbackThatDeregistersItself) {
  CancellationToken token;
  std::unique_ptr<CancellationCallback> self;
  bool ran = false;
  self = std::make_unique<CancellationCallback>(token, [&](const CancellationDetails&) {
    ran = true;
    self.reset();  // no deadlock, no use after free
  });
  token.Cancel();
  EXPECT_TRUE(ran);
  EXPECT_EQ(self, nullptr);
}

TEST(TokenContract, CallbackThatDeregistersItselfFromAnotherThreadsCancel) {
  CancellationToken token;
  auto self = std::make_unique<CancellationToken::Registration>();
  *self = token.OnCancel([&](const CancellationDetails&) { self->Reset(); });
  std::thread t([&] { token.Cancel(); });
  t.join();
  EXPECT_FALSE(self->active());
}

// --- Contract 4: throwing callbacks. ---

class CapturingSink : public LogSink {
 public:
  void Write(const LogRecord& record) override {
    std::lock_guard<std::mutex> lock(mu_);
    messages_.push_back(record.message);
  }
  std::vector<std::string> messages() {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> messages_;
};

TEST(TokenContract, ThrowingCallbackIsCaughtReportedAndNeverStopsTheOthers) {
  CapturingSink sink;
  LogSink* previous = SetLogSink(&sink);
  CancellationToken token;
  bool second_ran = false;
  CancellationCallback a(token,
                         [](const CancellationDetails&) { throw std::runtime_error("boom"); });
  CancellationCallback b(token, [&](const CancellationDetails&) { second_ran = true; });
  EXPECT_TRUE(token.Cancel());
  EXPECT_TRUE(second_ran);
  EXPECT_TRUE(token.IsCancelled());
  SetLogSink(previous);
  EXPECT_THAT(sink.messages(), ElementsAre(HasSubstr("boom")));
}

// --- Contract 5: memory ordering. ---

TEST(TokenContract, WritesBeforeTheWinningCancelAreVisibleToObservers) {
  for (int round = 0; round < 200; ++round) {
    CancellationToken token;
    int payload = 0;  // deliberately not atomic: ordered by the token
    std::thread writer([&] {
      payload = round + 1;
      token.Cancel();
    });
    while (!token.IsCancelled()) {
    }
    EXPECT_EQ(payload, round + 1);
    writer.join();
  }
}

// --- Contract 6: cascades run iteratively. ---

TEST(TokenContract, CancelFromInsideACallbackRunsItsCallbacksAfterTheCurrentOne) {
  CancellationToken a;
  CancellationToken b;
  std::vector<std::string> order;
  CancellationCallback on_b(b, [&](const CancellationDetails&) { order.push_back("b"); });
  CancellationCallback on_a(a, [&](const CancellationDetails&) {
    EXPECT_TRUE(b.Cancel());
    EXPECT_TRUE(b.IsCancelled());
    order.push_back("a-after-cancel-b");
  });
  a.Cancel();
  EXPECT_THAT(order, ElementsAre("a-after-cancel-b", "b"));
}

TEST(TokenContract, ACallbackMayDropTheLastReferenceToItsToken) {
  // The token handle and the registration are the only owners; both go
  // inside the callback. The cancel must not touch freed state (ASan).
  auto token = std::make_unique<CancellationToken>();
  auto registration = std::make_unique<CancellationToken::Registration>();
  bool second_ran = false;
  CancellationToken::Registration later;  // registered second, runs after the drop
  *registration = token->OnCancel([&](const CancellationDetails&) {
    token.reset();
    later.Reset();
    registration.reset();  // last: this destroys the callback's own captures
  });
  later = token->OnCancel([&](const CancellationDetails&) { second_ran = true; });
  CancellationToken* raw = token.get();
  raw->Cancel();             // no other reference keeps the state alive
  EXPECT_FALSE(second_ran);  // deregistered by the first callback, never run
}

// --- The rest of the API. ---

TEST(Token, AMovedFromTokenStaysValid) {
  CancellationToken a;
  CancellationToken b = std::move(a);
  EXPECT_FALSE(a.IsCancelled());  // NOLINT(bugprone-use-after-move): moves copy
  b.Cancel();
  EXPECT_TRUE(a.IsCancelled());
  EXPECT_EQ(a, b);
}

TEST(Token, StartsActive) {
  CancellationToken token;
  EXPECT_FALSE(token.IsCancelled());
  EXPECT_EQ(token.details(), nullptr);
  EXPECT_EQ(token.reason(), std::nullopt);
  EXPECT_TRUE(token.Check().ok());
  EXPECT_NO_THROW(token.ThrowIfCancelled());
}

TEST(Token, IdIsAUuidOrKeptVerbatim) {
  CancellationToken token;
  EXPECT_EQ(token.id().size(), 36u);
  EXPECT_EQ(token.id()[14], '4');
  EXPECT_EQ(CancellationToken("my-id").id(), "my-id");
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(CancellationToken().id());
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(Token, DefaultMessage) {
  CancellationToken token;
  token.Cancel();
  EXPECT_EQ(token.details()->message, "Operation cancelled via token");
  EXPECT_EQ(token.details()->reason, CancelReason::kManual);
  EXPECT_EQ(token.details()->origin_id, token.id());
  EXPECT_GT(token.details()->time, absl::Now() - absl::Minutes(1));
}

TEST(Token, CancelWithRecordKeepsTheRecordMadeElsewhereWithItsCauseChain) {
  auto root = std::make_shared<const CancellationDetails>(
      CancellationDetails{.reason = CancelReason::kTimeout,
                          .message = "Operation timed out after 5s",
                          .time = absl::FromUnixSeconds(1'700'000'000),
                          .origin_id = "7f3a9c01-1",
                          .actor = "deadline"});
  auto record = std::make_shared<const CancellationDetails>(
      CancellationDetails{.reason = CancelReason::kParent,
                          .message = "Parent operation 7f3a9c01-1 cancelled",
                          .time = absl::FromUnixSeconds(1'700'000'001),
                          .origin_id = "7f3a9c01-2",
                          .actor = "deadline",
                          .cause = root});
  CancellationToken token;
  std::shared_ptr<const CancellationDetails> seen;
  CancellationCallback callback(token, [&](const CancellationDetails& d) { seen = d.cause; });

  EXPECT_TRUE(token.CancelWithRecord(record));
  EXPECT_EQ(token.details(), record);  // the same record, not a copy
  EXPECT_EQ(token.details()->origin_id, "7f3a9c01-2");
  EXPECT_EQ(seen, root);
  EXPECT_TRUE(absl::IsDeadlineExceeded(token.Check()));  // the chain starts with a timeout

  // The first cancel wins, whichever entry point made it.
  EXPECT_FALSE(token.CancelWithRecord(root));
  EXPECT_FALSE(token.Cancel(CancelReason::kManual, "later"));
  EXPECT_EQ(token.details(), record);
}

TEST(Token, CancelWithRecordLosesToAnEarlierCancel) {
  CancellationToken token;
  token.Cancel(CancelReason::kManual, "first");
  EXPECT_FALSE(token.CancelWithRecord(std::make_shared<const CancellationDetails>()));
  EXPECT_EQ(token.details()->message, "first");
}

TEST(Token, CheckReportsTheRealReason) {
  CancellationToken by_signal;
  by_signal.Cancel(CancelReason::kSignal, "Received signal SIGTERM (15)");
  absl::Status status = by_signal.Check();
  EXPECT_TRUE(absl::IsCancelled(status));
  EXPECT_EQ(status.message(), "Received signal SIGTERM (15)");
  EXPECT_EQ(ReasonOfStatus(status), CancelReason::kSignal);

  CancellationToken by_timeout;
  by_timeout.Cancel(CancelReason::kTimeout, "late");
  EXPECT_TRUE(absl::IsDeadlineExceeded(by_timeout.Check()));
  EXPECT_EQ(ReasonOfStatus(by_timeout.Check()), CancelReason::kTimeout);
}

TEST(Token, CheckIsDeadlineExceededWhenTheChainStartsWithATimeout) {
  CancellationToken child;
  child.Cancel(CancelReason::kParent, "parent went",
               std::make_shared<CancellationDetails>(
                   CancellationDetails{.reason = CancelReason::kTimeout, .message = "late"}));
  EXPECT_TRUE(absl::IsDeadlineExceeded(child.Check()));
  EXPECT_EQ(ReasonOfStatus(child.Check()), CancelReason::kParent);
}

TEST(Token, ThrowIfCancelledThrowsTheKindOfTheReason) {
  CancellationToken token;
  token.Cancel(CancelReason::kTimeout, "too slow");
  try {
    token.ThrowIfCancelled();
    FAIL() << "did not throw";
  } catch (const TimeoutError& e) {
    EXPECT_STREQ(e.what(), "too slow");
    EXPECT_EQ(e.reason(), CancelReason::kTimeout);
    EXPECT_TRUE(absl::IsDeadlineExceeded(e.ToStatus()));
  }
  CancellationToken manual;
  manual.Cancel();
  EXPECT_THROW(manual.ThrowIfCancelled(), ManualCancelError);
}

TEST(Token, WaitReturnsOnceCancelledFromAnotherThread) {
  CancellationToken token;
  std::thread t([&] { token.Cancel(); });
  token.Wait();
  EXPECT_TRUE(token.IsCancelled());
  t.join();
}

TEST(Token, WaitForTimesOutWhileActiveAndReturnsTrueOnceCancelled) {
  CancellationToken token;
  EXPECT_FALSE(token.WaitFor(absl::Milliseconds(5)));
  token.Cancel();
  EXPECT_TRUE(token.WaitFor(absl::Milliseconds(5)));
  EXPECT_TRUE(token.WaitFor(absl::ZeroDuration()));
}

TEST(Token, PrintsShortIdAndState) {
  CancellationToken token("0123456789abcdef");
  EXPECT_EQ(token.ToString(), "CancellationToken(01234567, active)");
  token.Cancel(CancelReason::kTimeout);
  EXPECT_EQ(token.ToString(), "CancellationToken(01234567, cancelled=timeout)");
}

TEST(Token, ComparesAndHashesById) {
  CancellationToken a("same");
  CancellationToken b("same");
  CancellationToken copy = a;
  CancellationToken other;
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, copy);
  EXPECT_FALSE(a == other);
  absl::flat_hash_set<CancellationToken> set = {a, b, other};
  EXPECT_EQ(set.size(), 2u);
}

TEST(Token, CopiesShareTheFlag) {
  CancellationToken a;
  CancellationToken copy = a;
  copy.Cancel();
  EXPECT_TRUE(a.IsCancelled());
}

TEST(Token, StopTokenIsRequestedOnCancel) {
  CancellationToken token;
  std::stop_token stop = token.stop_token();
  EXPECT_FALSE(stop.stop_requested());
  token.Cancel();
  EXPECT_TRUE(stop.stop_requested());
  // Asked for after the cancel: already requested.
  EXPECT_TRUE(token.stop_token().stop_requested());
}

TEST(Token, ConditionVariableAnyWaitWakesOnCancel) {
  CancellationToken token;
  std::mutex mu;
  std::condition_variable_any cv;
  std::thread t([&] { token.Cancel(); });
  std::unique_lock<std::mutex> lock(mu);
  bool satisfied = cv.wait(lock, token.stop_token(), [] { return false; });
  EXPECT_FALSE(satisfied);
  t.join();
}

TEST(Token, FromStopTokenIsCancelledWhenStopIsRequested) {
  std::stop_source source;
  CancellationToken token = CancellationToken::FromStopToken(source.get_token());
  EXPECT_FALSE(token.IsCancelled());
  source.request_stop();
  EXPECT_TRUE(token.IsCancelled());
  EXPECT_EQ(token.details()->message, "Stop requested");

  std::stop_source already;
  already.request_stop();
  EXPECT_TRUE(CancellationToken::FromStopToken(already.get_token()).IsCancelled());
}

TEST(Token, ManyThreadsRegisteringDeregisteringAndCancellingAtOnce) {
  for (int round = 0; round < 20; ++round) {
    CancellationToken token;
    std::atomic<int> ran{0};
    std::atomic<int> registered_before_cancel_and_kept{0};
    Notification go;
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&, i] {
        go.WaitForNotification();
        for (int j = 0; j < 200; ++j) {
          auto reg = token.OnCancel([&](const CancellationDetails&) { ++ran; });
          if ((i + j) % 3 == 0) {
            ++registered_before_cancel_and_kept;
            // Keep it until after the cancel is seen.
            token.Wait();
          }
        }
      });
    }
    threads.emplace_back([&] {
      go.WaitForNotification();
      token.Cancel();
    });
    go.Notify();
    for (auto& t : threads) t.join();
    // Every registration kept across the cancel ran exactly once.
    EXPECT_GE(ran.load(), registered_before_cancel_and_kept.load());
    EXPECT_EQ(token.CallbackCountForTest(), 0u);
  }
}

}  // namespace
}  // namespace hother::cancelable
