#include "hother/cancelable/linked_token.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"
#include "lib/src/token_state.h"
#include "lib/src/uuid.h"

namespace hother::cancelable {

void LinkedCancellationToken::Link(const CancellationToken& source, bool preserve_reason) const {
  state()->LinkTo(source.state(), [preserve_reason, source_id = source.id()](
                                      const std::shared_ptr<const CancellationDetails>& cause,
                                      const std::string& target_id) {
    if (preserve_reason) {
      return internal::MakeDetails(cause->reason, cause->message, target_id, cause);
    }
    return internal::MakeDetails(
        CancelReason::kParent,
        absl::StrCat("Linked token ", internal::ShortId(source_id), " was cancelled"), target_id,
        cause);
  });
}

CancellationToken AnyOf(const std::vector<CancellationToken>& inputs) {
  LinkedCancellationToken out;
  for (const CancellationToken& input : inputs) {
    out.Link(input, /*preserve_reason=*/true);
  }
  return out;
}

CancellationToken AllOf(const std::vector<CancellationToken>& inputs) {
  LinkedCancellationToken out;
  if (inputs.empty()) return out;
  // Each input counts once: a link fires at most once per source.
  auto remaining = std::make_shared<std::atomic<size_t>>(inputs.size());
  std::string message = absl::StrCat("All ", inputs.size(), " tokens were cancelled");
  for (const CancellationToken& input : inputs) {
    out.state()->LinkTo(
        input.state(),
        [remaining, message](
            const std::shared_ptr<const CancellationDetails>& cause,
            const std::string& target_id) -> std::shared_ptr<const CancellationDetails> {
          if (remaining->fetch_sub(1, std::memory_order_acq_rel) != 1) return nullptr;
          return internal::MakeDetails(CancelReason::kParent, message, target_id, cause);
        });
  }
  return out;
}

}  // namespace hother::cancelable
