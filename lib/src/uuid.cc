#include "lib/src/uuid.h"

#include <cstdint>

#include "hother/cancelable/internal/random.h"

namespace hother::cancelable::internal {

std::string NewUuid() {
  std::mt19937_64& random = ThreadRandom();
  uint64_t hi = random();
  uint64_t lo = random();
  hi = (hi & ~uint64_t{0xF000}) | uint64_t{0x4000};            // version 4
  lo = (lo & ~(uint64_t{0xC} << 60)) | (uint64_t{0x8} << 60);  // variant 1
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](uint64_t bits, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(bits >> (4 * i)) & 0xF];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

}  // namespace hother::cancelable::internal
