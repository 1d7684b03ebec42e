// Internal: one table maps an enum to its wire/print names, in both directions.
#ifndef HOTHER_CANCELABLE_INTERNAL_ENUM_NAMES_H_
#define HOTHER_CANCELABLE_INTERNAL_ENUM_NAMES_H_

#include <optional>
#include <utility>

#include "absl/strings/string_view.h"

namespace hother::cancelable::internal {

// The second of the pair whose first is `key` (any table of pairs).
template <typename Second, typename Table, typename First>
std::optional<Second> SecondOf(const Table& table, const First& key) {
  for (const auto& [first, second] : table) {
    if (first == key) return second;
  }
  return std::nullopt;
}

// The first of the pair whose second is `key`.
template <typename First, typename Table, typename Second>
std::optional<First> FirstOf(const Table& table, const Second& key) {
  for (const auto& [first, second] : table) {
    if (second == key) return first;
  }
  return std::nullopt;
}

template <typename Enum, typename Table>
absl::string_view NameOf(const Table& table, Enum value) {
  return SecondOf<absl::string_view>(table, value).value_or("unknown");
}

template <typename Enum, typename Table>
std::optional<Enum> ValueOf(const Table& table, absl::string_view text) {
  return FirstOf<Enum>(table, text);
}

}  // namespace hother::cancelable::internal

#endif  // HOTHER_CANCELABLE_INTERNAL_ENUM_NAMES_H_
