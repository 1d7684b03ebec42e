#include "daemon/core/operation.h"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/internal/enum_names.h"

namespace hother::cancelable::daemon {
namespace {

constexpr std::array<std::pair<OpStatus, absl::string_view>, 7> kNames = {{
    {OpStatus::kRunning, "running"},
    {OpStatus::kCancelling, "cancelling"},
    {OpStatus::kCompleted, "completed"},
    {OpStatus::kCancelled, "cancelled"},
    {OpStatus::kFailed, "failed"},
    {OpStatus::kTimeout, "timeout"},
    {OpStatus::kLost, "lost"},
}};

}  // namespace

absl::string_view ToString(OpStatus status) { return internal::NameOf(kNames, status); }

const std::shared_ptr<const OperationIdentity>& Operation::EmptyIdentity() {
  static const auto* const empty =
      new std::shared_ptr<const OperationIdentity>(std::make_shared<const OperationIdentity>(
          OperationIdentity{.owner = std::make_shared<const Owner>()}));
  return *empty;
}

bool IsFinished(OpStatus status) {
  return status != OpStatus::kRunning && status != OpStatus::kCancelling;
}

bool OperationFilter::Matches(const Operation& op) const {
  if (!statuses.empty() &&
      std::find(statuses.begin(), statuses.end(), op.status) == statuses.end()) {
    return false;
  }
  if (!name_glob.empty() && fnmatch(name_glob.c_str(), op.name().c_str(), 0) != 0) return false;
  if (!owner.empty() && owner != op.owner().process_name &&
      owner != absl::StrCat(op.owner().session_id)) {
    return false;
  }
  if (!principal.empty() && principal != op.owner().principal) return false;
  return selector.Matches(op.labels());
}

}  // namespace hother::cancelable::daemon
