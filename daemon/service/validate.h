// Validation of every field that arrives from a client, before it reaches
// the core. Errors are INVALID_ARGUMENT, name the field and the bound, and
// quote at most a short prefix of the value (Quote):
// "register.items[2].labels: label key 'Team!' has a character outside ...".
// Every bound is in the table of docs/DAEMON.md ("Bounds").
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_VALIDATE_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_VALIDATE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "hother/cancelable/v1/cancelable.pb.h"
#include "proto/wire.h"

namespace hother::cancelable::daemon {

namespace pb = ::hother::cancelable::v1;

// At most this many items in one Register, Progress or Finish message (the
// SDK splits its batches at wire::kMaxBatchItems, the same number).
inline constexpr int kMaxItemsPerMessage = 1000;
inline constexpr int kMaxTokensPerOperation = 64;
inline constexpr int kMaxConditionsPerOperation = 16;
inline constexpr int kMaxSignalsPerOperation = 16;
inline constexpr int kMaxAllOf = 64;
inline constexpr int kMaxStatusesInFilter = 16;
inline constexpr size_t kMaxVersionBytes = 64;
inline constexpr size_t kMaxErrorBytes = wire::kMaxFinishErrorBytes;
inline constexpr size_t kMaxPageTokenBytes = 32;
inline constexpr int64_t kMaxPid = 1 << 30;

absl::Status ValidateLabels(absl::string_view field,
                            const google::protobuf::Map<std::string, std::string>& labels);
absl::Status ValidateId(absl::string_view field, absl::string_view id, bool required);
// In the range google.protobuf.Duration allows (+-10,000 years, nanos of the
// seconds' sign, |nanos| < 1e9).
absl::Status ValidateDuration(absl::string_view field, const google::protobuf::Duration& d);
// In the range google.protobuf.Timestamp allows (years 1 to 9999, nanos in
// [0, 1e9)).
absl::Status ValidateTimestamp(absl::string_view field, const google::protobuf::Timestamp& t);
// A valid duration above zero: "<field>: must be positive".
absl::Status ValidatePositive(absl::string_view field, const google::protobuf::Duration& d);
// At most kMaxLabels entries; keys 1-256 bytes, values at most 1 KiB.
absl::Status ValidateMetadata(absl::string_view field,
                              const google::protobuf::Map<std::string, std::string>& metadata);
// At most `max_bytes`: what a previous page handed out is never longer
// (whether it is one of ours is for the listing to say).
absl::Status ValidatePageToken(absl::string_view field, absl::string_view token, size_t max_bytes);
// The sizes of a filter's parts; the selector's syntax and the statuses are
// checked where the filter is converted (FromProto).
absl::Status ValidateFilter(absl::string_view field, const pb::OperationFilter& filter);
absl::Status ValidateHello(const pb::Hello& hello);
// The item count of a Register, Progress or Finish message
// ("register.items: 1001 items, at most 1000"); OK for the other kinds.
absl::Status ValidateBatchSize(const pb::SessionRequest& request);
absl::Status ValidateRegisterItem(absl::string_view field, const pb::RegisterItem& item);
absl::Status ValidateProgressItem(absl::string_view field, const pb::ProgressItem& item);
absl::Status ValidateFinishItem(absl::string_view field, const pb::FinishItem& item);
absl::Status ValidateListOperationsRequest(const pb::ListOperationsRequest& request);
absl::Status ValidateGetOperationRequest(const pb::GetOperationRequest& request);
absl::Status ValidateWatchRequest(const pb::WatchRequest& request);
absl::Status ValidateListTokensRequest(const pb::ListTokensRequest& request);
absl::Status ValidateDeleteTokenRequest(const pb::DeleteTokenRequest& request);
absl::Status ValidateLinkTokensRequest(const pb::LinkTokensRequest& request);
absl::Status ValidateCancelRequest(const pb::CancelRequest& request);
absl::Status ValidateCheckAccessRequest(const pb::CheckAccessRequest& request);
absl::Status ValidateCancelAllRequest(const pb::CancelAllRequest& request);
absl::Status ValidateCancelTokenRequest(const pb::CancelTokenRequest& request);
absl::Status ValidateCreateTokenRequest(const pb::CreateTokenRequest& request);
// A target and a `when`: "target: set operation_id or token", "when: set in,
// at or none".
absl::Status ValidateSetDeadlineRequest(const pb::SetDeadlineRequest& request);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_VALIDATE_H_
