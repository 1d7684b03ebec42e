// Test helpers for sources: an environment on a fake clock and a recorder of
// what a source fires.
#ifndef HOTHER_CANCELABLE_TESTS_LIB_SOURCES_SOURCE_TEST_UTIL_H_
#define HOTHER_CANCELABLE_TESTS_LIB_SOURCES_SOURCE_TEST_UTIL_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

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
      std::lock_guard<std::mutex> lock(mu_);
      fired_.push_back({reason, std::move(message)});
      cv_.notify_all();
    };
  }
  // Waits (up to 10 s) until at least `n` fires were recorded.
  std::vector<Fired> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return fired_.size() >= n; });
    return fired_;
  }
  std::vector<Fired> fired() {
    std::lock_guard<std::mutex> lock(mu_);
    return fired_;
  }

 private:
  std::mutex mu_;  // std, not absl: see Notification in test_util.h
  std::condition_variable cv_;
  std::vector<Fired> fired_;
};

struct FakeEnv {
  FakeClock clock;
  Scheduler scheduler{clock};
  SourceEnv env{&scheduler, &SignalWatcher::Default()};
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_TESTS_LIB_SOURCES_SOURCE_TEST_UTIL_H_
