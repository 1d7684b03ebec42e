#include "daemon/core/operation.h"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/internal/enum_names.h"

namespace hother::cancelable::daemon {
namespace {

constexpr std::array<std::pair<OpState, absl::string_view>, 7> kNames = {{
    {OpState::kRunning, "running"},
    {OpState::kCancelling, "cancelling"},
    {OpState::kCompleted, "completed"},
    {OpState::kCancelled, "cancelled"},
    {OpState::kFailed, "failed"},
    {OpState::kTimeout, "timeout"},
    {OpState::kLost, "lost"},
}};

}  // namespace

absl::string_view ToString(OpState state) { return internal::NameOf(kNames, state); }

const std::shared_ptr<const OperationIdentity>& Operation::EmptyIdentity() {
  static const auto* const empty =
      new std::shared_ptr<const OperationIdentity>(std::make_shared<const OperationIdentity>(
          OperationIdentity{.owner = std::make_shared<const Owner>()}));
  return *empty;
}

bool IsFinished(OpState state) {
  return state != OpState::kRunning && state != OpState::kCancelling;
}

bool OperationFilter::Matches(const Operation& op) const {
  if (!states.empty() && std::find(states.begin(), states.end(), op.state) == states.end()) {
    return false;
  }
  if (!name_glob.empty() && fnmatch(name_glob.c_str(), op.name().c_str(), 0) != 0) return false;
  if (!owner.empty() && owner != op.owner().process_name &&
      owner != absl::StrCat(op.owner().session_id)) {
    return false;
  }
  return selector.Matches(op.labels());
}

}  // namespace hother::cancelable::daemon
