#include "hother/cancelable/operation_context.h"

namespace hother::cancelable {

std::optional<absl::Duration> OperationContext::duration(absl::Time now) const {
  if (!start_time.has_value()) return std::nullopt;
  return end_time.value_or(now) - *start_time;
}

}  // namespace hother::cancelable
