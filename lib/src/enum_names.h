// Internal: one table maps an enum to its wire/print names, in both directions.
#ifndef HOTHER_CANCELABLE_SRC_ENUM_NAMES_H_
#define HOTHER_CANCELABLE_SRC_ENUM_NAMES_H_

#include <optional>
#include "absl/strings/string_view.h"
#include <utility>

namespace hother::cancelable::internal {

template <typename Enum, typename Table>
absl::string_view NameOf(const Table& table, Enum value) {
  for (const auto& [entry, name] : table) {
    if (entry == value) return name;
  }
  return "unknown";
}

template <typename Enum, typename Table>
std::optional<Enum> ValueOf(const Table& table, absl::string_view text) {
  for (const auto& [entry, name] : table) {
    if (name == text) return entry;
  }
  return std::nullopt;
}

}  // namespace hother::cancelable::internal

#endif  // HOTHER_CANCELABLE_SRC_ENUM_NAMES_H_
