// Shared helpers for the library's tests.
#ifndef HOTHER_CANCELABLE_TESTS_LIB_TEST_UTIL_H_
#define HOTHER_CANCELABLE_TESTS_LIB_TEST_UTIL_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hother::cancelable {

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

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_TESTS_LIB_TEST_UTIL_H_
