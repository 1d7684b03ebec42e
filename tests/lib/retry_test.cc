// Tests of retry.h.
#include "hother/cancelable/retry.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hother::cancelable {
namespace {

using ::testing::HasSubstr;

RetryOptions Fast(int attempts) {
  RetryOptions o;
  o.max_attempts = attempts;
  o.initial_delay = absl::Milliseconds(1);
  return o;
}

TEST(BackoffDelay, LinearExponentialConstantAndCapped) {
  RetryOptions o;
  o.initial_delay = absl::Seconds(1);
  o.max_delay = absl::Seconds(10);
  o.backoff = Backoff::kExponential;
  EXPECT_EQ(BackoffDelay(o, 1), absl::Seconds(1));
  EXPECT_EQ(BackoffDelay(o, 3), absl::Seconds(4));
  EXPECT_EQ(BackoffDelay(o, 10), absl::Seconds(10));
  o.backoff = Backoff::kLinear;
  EXPECT_EQ(BackoffDelay(o, 3), absl::Seconds(3));
  o.backoff = Backoff::kConstant;
  EXPECT_EQ(BackoffDelay(o, 3), absl::Seconds(1));
}

TEST(BackoffDelay, JitterStaysWithinItsBand) {
  RetryOptions o;
  o.initial_delay = absl::Seconds(1);
  o.backoff = Backoff::kConstant;
  o.jitter = 0.5;
  for (int i = 0; i < 100; ++i) {
    absl::Duration d = JitteredBackoffDelay(o, 1);
    EXPECT_GE(d, absl::Milliseconds(500));
    EXPECT_LE(d, absl::Milliseconds(1500));
  }
}

TEST(Retry, RetriesUntilSuccessAndReportsEachFailedAttempt) {
  Cancelable op;
  std::vector<std::string> progress;
  op.OnProgress(
      [&](const std::string&, const std::string& m, const Metadata&) { progress.push_back(m); });
  int calls = 0;
  absl::StatusOr<int> r = Retry(op, Fast(5), [&]() -> absl::StatusOr<int> {
    if (++calls < 3) return absl::UnavailableError("busy");
    return 9;
  });
  EXPECT_EQ(*r, 9);
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_THAT(progress[0], HasSubstr("Attempt 1/5 failed: UNAVAILABLE: busy"));
}

TEST(Retry, GivesUpAfterMaxAttemptsWithTheLastError) {
  Cancelable op;
  int calls = 0;
  absl::Status s = Retry(op, Fast(3), [&] {
    ++calls;
    return absl::UnavailableError("still busy");
  });
  EXPECT_TRUE(absl::IsUnavailable(s));
  EXPECT_EQ(calls, 3);
}

TEST(Retry, StopsAtOnceOnCancellationEvenMidSleep) {
  Cancelable op;
  RetryOptions o;
  o.max_attempts = 100;
  o.initial_delay = absl::Hours(1);
  int calls = 0;
  absl::Status s = Retry(op, o, [&] {
    ++calls;
    op.Cancel(CancelReason::kManual, "enough");  // the sleep must not take an hour
    return absl::UnavailableError("busy");
  });
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(s.message(), "enough");
  EXPECT_EQ(calls, 1);
}

TEST(Retry, NonRetryableErrorsAndLibraryCancellationsReturnAtOnce) {
  Cancelable op;
  RetryOptions o = Fast(5);
  o.retryable = [](const absl::Status& s) { return absl::IsUnavailable(s); };
  int calls = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(Retry(op, o, [&] {
    ++calls;
    return absl::InvalidArgumentError("bad");
  })));
  CancellationToken elsewhere;  // e.g. the callee's own scope was cancelled
  elsewhere.Cancel(CancelReason::kTimeout, "inner deadline");
  EXPECT_TRUE(absl::IsDeadlineExceeded(Retry(op, Fast(5), [&] {
    ++calls;
    return elsewhere.Check();
  })));
  EXPECT_EQ(calls, 2);
}

TEST(Retry, APlainDeadlineExceededFromTheCallIsRetried) {
  Cancelable op;
  int calls = 0;
  absl::StatusOr<int> r = Retry(op, Fast(3), [&]() -> absl::StatusOr<int> {
    if (++calls < 3) return absl::DeadlineExceededError("rpc deadline");
    return 1;
  });
  EXPECT_EQ(*r, 1);
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace hother::cancelable
