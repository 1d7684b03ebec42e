// Internal: fast per-thread random numbers (ids, retry jitter).
//
// A thread-local 64-bit Mersenne Twister seeded from std::random_device, not
// absl::BitGen: Debian's Abseil seeds from a shared pool that ThreadSanitizer
// cannot see, and these numbers need to be unique, not secret.
#ifndef HOTHER_CANCELABLE_INTERNAL_RANDOM_H_
#define HOTHER_CANCELABLE_INTERNAL_RANDOM_H_

#include <cstdint>
#include <random>

namespace hother::cancelable::internal {

inline std::mt19937_64& ThreadRandom() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return engine;
}

}  // namespace hother::cancelable::internal

#endif  // HOTHER_CANCELABLE_INTERNAL_RANDOM_H_
