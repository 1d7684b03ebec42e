// The charset and limits of names, labels and messages, checked wherever
// they enter the daemon (the service's validation and the selector parser).
//
// Label keys: 1-63 bytes of [A-Za-z0-9._/-], starting with a letter or digit.
// Label values: 0-63 bytes of [A-Za-z0-9._/-]. At most 64 labels. Names: 1-256
// bytes, no control characters. Messages: at most 1 KiB. Token names: 1-128
// bytes of the label key charset.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_LABELS_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_LABELS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace hother::cancelable::daemon {

inline constexpr size_t kMaxNameBytes = 256;
inline constexpr size_t kMaxLabelKeyBytes = 63;
inline constexpr size_t kMaxLabelValueBytes = 63;
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxMessageBytes = 1024;
inline constexpr size_t kMaxIdBytes = 64;
inline constexpr size_t kMaxTokenNameBytes = 128;
inline constexpr size_t kMaxSelectorBytes = 4096;
inline constexpr size_t kMaxConditionBytes = 1024;
// How much of an offending value an error message quotes.
inline constexpr size_t kMaxQuotedBytes = 40;

// `text` for an error message: quoted, at most kMaxQuotedBytes of it (then
// "..." and its size), control and non-ASCII bytes as \xNN:
// 'Team!', 'aaaaaaaa...' (1048576 bytes).
std::string Quote(absl::string_view text);

bool IsLabelChar(char c);
// OK, or INVALID_ARGUMENT "<field>: ..." saying what is wrong.
absl::Status ValidateLabelKey(absl::string_view field, absl::string_view key);
absl::Status ValidateLabelValue(absl::string_view field, absl::string_view value);
absl::Status ValidateName(absl::string_view field, absl::string_view name);
absl::Status ValidateMessage(absl::string_view field, absl::string_view message);
// Token names: 1-128 bytes of [A-Za-z0-9._/-], starting with a letter or digit.
absl::Status ValidateTokenName(absl::string_view field, absl::string_view name);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_LABELS_H_
