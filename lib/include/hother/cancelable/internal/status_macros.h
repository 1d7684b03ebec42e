// Internal: the status macros Abseil 20220623 does not ship.
//
//   CANCELABLE_RETURN_IF_ERROR(Validate(x));
//   CANCELABLE_ASSIGN_OR_RETURN(Selector s, Selector::Parse(text));
#ifndef HOTHER_CANCELABLE_INTERNAL_STATUS_MACROS_H_
#define HOTHER_CANCELABLE_INTERNAL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CANCELABLE_RETURN_IF_ERROR(expr)                                        \
  do {                                                                          \
    if (::absl::Status cancelable_status_ = (expr); !cancelable_status_.ok()) { \
      return cancelable_status_;                                                \
    }                                                                           \
  } while (0)

#define CANCELABLE_STATUS_CONCAT_INNER(a, b) a##b
#define CANCELABLE_STATUS_CONCAT(a, b) CANCELABLE_STATUS_CONCAT_INNER(a, b)

#define CANCELABLE_ASSIGN_OR_RETURN(lhs, expr)                                \
  auto CANCELABLE_STATUS_CONCAT(cancelable_statusor_, __LINE__) = (expr);     \
  if (!CANCELABLE_STATUS_CONCAT(cancelable_statusor_, __LINE__).ok()) {       \
    return CANCELABLE_STATUS_CONCAT(cancelable_statusor_, __LINE__).status(); \
  }                                                                           \
  lhs = *std::move(CANCELABLE_STATUS_CONCAT(cancelable_statusor_, __LINE__))

#endif  // HOTHER_CANCELABLE_INTERNAL_STATUS_MACROS_H_
