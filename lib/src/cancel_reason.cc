#include "hother/cancelable/cancel_reason.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/internal/enum_names.h"

namespace hother::cancelable {
namespace {

constexpr std::array<std::pair<CancelReason, absl::string_view>, 8> kNames = {{
    {CancelReason::kTimeout, "timeout"},
    {CancelReason::kManual, "manual"},
    {CancelReason::kSignal, "signal"},
    {CancelReason::kCondition, "condition"},
    {CancelReason::kParent, "parent"},
    {CancelReason::kError, "error"},
    {CancelReason::kOwnerLost, "owner_lost"},
    {CancelReason::kShutdown, "shutdown"},
}};

}  // namespace

absl::string_view ToString(CancelReason reason) { return internal::NameOf(kNames, reason); }

std::optional<CancelReason> ParseCancelReason(absl::string_view text) {
  return internal::ValueOf<CancelReason>(kNames, text);
}

CancellationDetails::~CancellationDetails() {
  std::shared_ptr<const CancellationDetails> next = std::move(cause);
  // TRICKY: while we hold the only reference to the next hop, steal its cause
  // before it dies, so its destructor finds nothing to recurse into. Nothing
  // takes weak references to details, so use_count() == 1 is stable here.
  while (next != nullptr && next.use_count() == 1) {
    std::shared_ptr<const CancellationDetails> after =
        std::move(const_cast<CancellationDetails&>(*next).cause);
    next = std::move(after);
  }
}

void CancellationDetails::SetCause(std::shared_ptr<const CancellationDetails> next,
                                   size_t omitted) {
  cause = std::move(next);
  omitted_causes = cause == nullptr ? 0 : omitted;
  depth = cause == nullptr ? 0 : cause->depth + 1 + omitted;
  root = cause == nullptr ? nullptr : &cause->Root();
}

const CancellationDetails& CancellationDetails::Root() const {
  if (cause == nullptr) return *this;
  if (root != nullptr) return *root;
  const CancellationDetails* hop = this;
  while (hop->cause != nullptr) hop = hop->cause.get();
  return *hop;
}

std::string CancellationDetails::ChainToString() const {
  std::string out;
  for (const CancellationDetails* hop = this; hop != nullptr; hop = hop->cause.get()) {
    if (!out.empty()) out += " <- ";
    absl::StrAppend(&out, ToString(hop->reason), ": ", hop->message);
    if (hop->omitted_causes > 0) absl::StrAppend(&out, " <- (", hop->omitted_causes, " more)");
  }
  return out;
}

}  // namespace hother::cancelable
