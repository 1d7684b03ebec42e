// Validation of every field that arrives from a client, before it reaches
// the core. Errors are INVALID_ARGUMENT and name the field:
// "register.items[2].labels: label key 'Team!' has a character outside ...".
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_VALIDATE_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_VALIDATE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "hother/cancelable/v1/cancelable.pb.h"

namespace hother::cancelable::daemon {

namespace pb = ::hother::cancelable::v1;

absl::Status ValidateLabels(absl::string_view field,
                            const google::protobuf::Map<std::string, std::string>& labels);
absl::Status ValidateId(absl::string_view field, absl::string_view id, bool required);
// INVALID_ARGUMENT "<field>: must be positive" for zero or a negative duration.
absl::Status ValidatePositive(absl::string_view field, const google::protobuf::Duration& d);
absl::Status ValidateHello(const pb::Hello& hello);
absl::Status ValidateRegisterItem(absl::string_view field, const pb::RegisterItem& item);
absl::Status ValidateProgressItem(absl::string_view field, const pb::ProgressItem& item);
absl::Status ValidateCancelRequest(const pb::CancelRequest& request);
absl::Status ValidateCancelAllRequest(const pb::CancelAllRequest& request);
absl::Status ValidateCancelTokenRequest(const pb::CancelTokenRequest& request);
absl::Status ValidateCreateTokenRequest(const pb::CreateTokenRequest& request);
// A target and a `when`: "target: set operation_id or token", "when: set in,
// at or none".
absl::Status ValidateSetDeadlineRequest(const pb::SetDeadlineRequest& request);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_VALIDATE_H_
