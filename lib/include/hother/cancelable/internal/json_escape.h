// Internal, shared by every layer that writes JSON by hand (canceld's JSON
// log lines, cancelctl's -o json): a string's contents escaped for a JSON
// string literal ('"', '\', newline, and other control characters as \u00XX).
//
//   absl::StrAppend(&line, "\"msg\":\"", JsonEscape(message), "\"");
//
// Thread-safety: a stateless function.
#ifndef HOTHER_CANCELABLE_INTERNAL_JSON_ESCAPE_H_
#define HOTHER_CANCELABLE_INTERNAL_JSON_ESCAPE_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace hother::cancelable::internal {

inline std::string JsonEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace hother::cancelable::internal

#endif  // HOTHER_CANCELABLE_INTERNAL_JSON_ESCAPE_H_
