// Conversion between the daemon's core types and the wire (protobuf) types,
// and between absl::Status and grpc::Status: the one place the daemon does
// either.
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_CONVERT_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_CONVERT_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/core/condition_evaluator.h"
#include "daemon/core/event_log.h"
#include "daemon/core/operation.h"
#include "daemon/core/operation_graph.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"
#include "hother/cancelable/v1/cancelable.pb.h"
#include "proto/wire.h"

namespace hother::cancelable::daemon {

namespace pb = ::hother::cancelable::v1;

grpc::Status ToGrpc(const absl::Status& status);

pb::OperationStatus ToProto(OpStatus status);
// The final statuses a client may report; nullopt for anything else.
std::optional<OpStatus> FinalStatusFromProto(pb::OperationStatus status);
std::optional<OpStatus> StatusFromProto(pb::OperationStatus status);
pb::WatchEventType ToProto(EventType type);

// Reasons, times, durations and cancellation records: proto/wire.h.
using wire::FromProto;
using wire::ToProto;

// `now` gives cancelling_for.
// `cause_offset`: where cancel.cause_chain starts (wire::ToProto).
void ToProto(const Operation& op, absl::Time now, pb::Operation* out, size_t cause_offset = 0);
// About what ToProto(op) weighs on the wire (its strings, maps and cause
// chain, plus a margin for the fixed fields), computed without converting:
// for keeping replies within a byte budget.
size_t WireSizeEstimate(const Operation& op);

void ToProto(const TokenView& token, pb::Token* out);
void ToProto(const ConditionStatus& condition, pb::ConditionState* out);

// Requests (validated first: validate.h) as the specs the core takes.
RegisterSpec FromProto(const pb::RegisterItem& item);
TokenSpec FromProto(const pb::CreateTokenRequest& request);
// The deadline a SetDeadline asks for: `now` + in, at, or nullopt for none.
std::optional<absl::Time> DeadlineFromProto(const pb::SetDeadlineRequest& request, absl::Time now);

// INVALID_ARGUMENT naming the field ("filter.selector: position 3: ..."). The
// sizes are ValidateFilter's, checked with the request first.
absl::StatusOr<OperationFilter> FromProto(const pb::OperationFilter& filter,
                                          absl::string_view field);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_CONVERT_H_
