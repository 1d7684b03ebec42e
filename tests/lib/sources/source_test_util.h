// Test helpers for sources: an environment on a fake clock and a recorder of
// what a source fires.
#ifndef HOTHER_CANCELABLE_TESTS_LIB_SOURCES_SOURCE_TEST_UTIL_H_
#define HOTHER_CANCELABLE_TESTS_LIB_SOURCES_SOURCE_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/scheduler.h"
#include "hother/cancelable/signal_watcher.h"
#include "hother/cancelable/source.h"

namespace hother::cancelable {

struct Fired {
  CancelReason reason;
  std::string message;
};

class FireRecorder {
 public:
  FireFn fn() {
    return [this](CancelReason reason, std::string message) {
      absl::MutexLock lock(&mu_);
      fired_.push_back({reason, std::move(message)});
    };
  }
  // Waits (up to 10 s) until at least `n` fires were recorded.
  std::vector<Fired> WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return fired_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
    return fired_;
  }
  std::vector<Fired> fired() {
    absl::MutexLock lock(&mu_);
    return fired_;
  }

 private:
  absl::Mutex mu_;
  std::vector<Fired> fired_ ABSL_GUARDED_BY(mu_);
};

struct FakeEnv {
  FakeClock clock;
  Scheduler scheduler{clock};
  SourceEnv env{&scheduler, &SignalWatcher::Default()};
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_TESTS_LIB_SOURCES_SOURCE_TEST_UTIL_H_
