// Shared helpers for the library's tests.
#ifndef HOTHER_CANCELABLE_TESTS_LIB_TEST_UTIL_H_
#define HOTHER_CANCELABLE_TESTS_LIB_TEST_UTIL_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hother::cancelable {

// Notification's interface over std::mutex: Debian's Abseil is not
// built with ThreadSanitizer, so TSan cannot see absl::Mutex synchronisation
// and would report false races in the tsan preset.
class Notification {
 public:
  void Notify() {
    std::lock_guard<std::mutex> lock(mu_);
    notified_ = true;
    cv_.notify_all();
  }
  bool HasBeenNotified() {
    std::lock_guard<std::mutex> lock(mu_);
    return notified_;
  }
  void WaitForNotification() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return notified_; });
  }
  bool WaitForNotificationWithTimeout(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [this] { return notified_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool notified_ = false;
};

// For state that offers no notification: re-checks `pred` until it holds or
// `limit` passes. Returns the last result. The bound is generous on purpose.
inline bool Eventually(const std::function<bool()>& pred,
                       absl::Duration limit = absl::Seconds(10)) {
  const absl::Time give_up = absl::Now() + limit;
  while (!pred()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// The ints [0, n) as a minimal range (no <ranges>: see stream.h), counting
// how many times the range was advanced.
class IntRange {
 public:
  explicit IntRange(int n, int* advances = nullptr) : n_(n), advances_(advances) {}
  struct iterator {
    int i;
    int* advances;
    int operator*() const { return i; }
    iterator& operator++() {
      ++i;
      if (advances != nullptr) ++*advances;
      return *this;
    }
    bool operator==(const iterator& other) const { return i == other.i; }
  };
  iterator begin() const { return {0, advances_}; }
  iterator end() const { return {n_, advances_}; }

 private:
  int n_;
  int* advances_;
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_TESTS_LIB_TEST_UTIL_H_
