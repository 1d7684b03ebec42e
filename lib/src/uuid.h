// Internal: random identifiers in the 36-character UUID (version 4) form.
#ifndef HOTHER_CANCELABLE_SRC_UUID_H_
#define HOTHER_CANCELABLE_SRC_UUID_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hother::cancelable::internal {

// "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b". Thread-safe.
std::string NewUuid();

// The first 8 characters of an id, as printed in messages.
inline absl::string_view ShortId(absl::string_view id) { return id.substr(0, 8); }

}  // namespace hother::cancelable::internal

#endif  // HOTHER_CANCELABLE_SRC_UUID_H_
