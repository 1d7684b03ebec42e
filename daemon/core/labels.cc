#include "daemon/core/labels.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace hother::cancelable::daemon {

bool IsLabelChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '/';
}

std::string Quote(absl::string_view text) {
  std::string out = "'";
  const size_t shown = std::min(text.size(), kMaxQuotedBytes);
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "'";
  if (shown < text.size()) absl::StrAppend(&out, "... (", text.size(), " bytes)");
  return out;
}

namespace {

absl::Status CheckCharset(absl::string_view field, absl::string_view what, absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    if (!IsLabelChar(text[i])) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": ", what, " ", Quote(text),
                                                     " has a character outside ",
                                                     "[A-Za-z0-9._/-] at byte ", i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// Keys and token names: non-empty, bounded, starting with a letter or digit.
absl::Status ValidateKeyLike(absl::string_view field, absl::string_view what, absl::string_view key,
                             size_t max_bytes) {
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": empty ", what));
  if (key.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", what, " ", Quote(key), " is longer than ", max_bytes, " bytes"));
  }
  if (!absl::ascii_isalnum(static_cast<unsigned char>(key[0]))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", what, " ", Quote(key), " must start with a letter or digit"));
  }
  return CheckCharset(field, what, key);
}

absl::Status ValidateLabelKey(absl::string_view field, absl::string_view key) {
  return ValidateKeyLike(field, "label key", key, kMaxLabelKeyBytes);
}

absl::Status ValidateTokenName(absl::string_view field, absl::string_view name) {
  return ValidateKeyLike(field, "token name", name, kMaxTokenNameBytes);
}

absl::Status ValidateLabelValue(absl::string_view field, absl::string_view value) {
  if (value.size() > kMaxLabelValueBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": label value ", Quote(value), " is longer than ", kMaxLabelValueBytes, " bytes"));
  }
  return CheckCharset(field, "label value", value);
}

absl::Status ValidateName(absl::string_view field, absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": empty"));
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", kMaxNameBytes, " bytes (", name.size(), ")"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (static_cast<unsigned char>(name[i]) < 0x20 || name[i] == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": control character at byte ", i));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateMessage(absl::string_view field, absl::string_view message) {
  if (message.size() > kMaxMessageBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": longer than ", kMaxMessageBytes, " bytes (", message.size(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace hother::cancelable::daemon
