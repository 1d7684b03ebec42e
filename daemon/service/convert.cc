#include "daemon/service/convert.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/core/daemon_signals.h"
#include "hother/cancelable/internal/enum_names.h"

namespace hother::cancelable::daemon {

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

namespace {

constexpr std::pair<OpStatus, pb::OperationStatus> kStatuses[] = {
    {OpStatus::kRunning, pb::OPERATION_STATUS_RUNNING},
    {OpStatus::kCancelling, pb::OPERATION_STATUS_CANCELLING},
    {OpStatus::kCompleted, pb::OPERATION_STATUS_COMPLETED},
    {OpStatus::kCancelled, pb::OPERATION_STATUS_CANCELLED},
    {OpStatus::kFailed, pb::OPERATION_STATUS_FAILED},
    {OpStatus::kTimeout, pb::OPERATION_STATUS_TIMEOUT},
    {OpStatus::kLost, pb::OPERATION_STATUS_LOST},
};

constexpr std::pair<EventType, pb::WatchEventType> kEventTypes[] = {
    {EventType::kRegistered, pb::WATCH_EVENT_TYPE_REGISTERED},
    {EventType::kProgress, pb::WATCH_EVENT_TYPE_PROGRESS},
    {EventType::kCancelRequested, pb::WATCH_EVENT_TYPE_CANCEL_REQUESTED},
    {EventType::kFinished, pb::WATCH_EVENT_TYPE_FINISHED},
    {EventType::kLost, pb::WATCH_EVENT_TYPE_LOST},
    {EventType::kResync, pb::WATCH_EVENT_TYPE_RESYNC},
    {EventType::kState, pb::WATCH_EVENT_TYPE_STATE},
};

}  // namespace

pb::OperationStatus ToProto(OpStatus status) {
  return internal::SecondOf<pb::OperationStatus>(kStatuses, status)
      .value_or(pb::OPERATION_STATUS_UNSPECIFIED);
}

std::optional<OpStatus> StatusFromProto(pb::OperationStatus status) {
  return internal::FirstOf<OpStatus>(kStatuses, status);
}

std::optional<OpStatus> FinalStatusFromProto(pb::OperationStatus status) {
  std::optional<OpStatus> final_status = StatusFromProto(status);
  if (!final_status.has_value() || !IsFinished(*final_status) || *final_status == OpStatus::kLost) {
    return std::nullopt;
  }
  return final_status;
}

pb::WatchEventType ToProto(EventType type) {
  return internal::SecondOf<pb::WatchEventType>(kEventTypes, type)
      .value_or(pb::WATCH_EVENT_TYPE_UNSPECIFIED);
}

size_t WireSizeEstimate(const Operation& op) {
  constexpr size_t kFixed = 96;    // times, state, pid, session id, tags
  constexpr size_t kPerEntry = 8;  // a map entry's or a hop's framing
  auto map_bytes = [](const Labels& labels) {
    size_t bytes = 0;
    for (const auto& [key, value] : labels) bytes += key.size() + value.size() + kPerEntry;
    return bytes;
  };
  size_t bytes = kFixed + op.id().size() + op.name().size() + map_bytes(op.labels()) +
                 map_bytes(op.metadata()) + op.owner().process_name.size() +
                 op.owner().host.size() + op.owner().principal.size() + op.owner().user.size() +
                 op.parent_id().size() + op.error.size();
  for (const std::string& child : op.child_ids) bytes += child.size() + kPerEntry;
  size_t hops = 0;  // as many as go on the wire (wire::kMaxWireCauses)
  for (const CancellationDetails* hop = op.cancel.get();
       hop != nullptr && hops <= wire::kMaxWireCauses; hop = hop->cause.get(), ++hops) {
    bytes += hop->message.size() + hop->origin_id.size() + hop->actor.size() + 4 * kPerEntry;
  }
  if (op.last_progress != nullptr) {
    bytes += op.last_progress->message.size() + map_bytes(op.last_progress->metadata) + kPerEntry;
  }
  return bytes;
}

void ToProto(const Operation& op, absl::Time now, pb::Operation* out, size_t cause_offset) {
  out->set_id(op.id());
  out->set_name(op.name());
  out->mutable_labels()->insert(op.labels().begin(), op.labels().end());
  out->mutable_metadata()->insert(op.metadata().begin(), op.metadata().end());
  out->set_status(ToProto(op.status));
  pb::Owner* owner = out->mutable_owner();
  owner->set_session_id(op.owner().session_id);
  owner->set_process_name(op.owner().process_name);
  owner->set_pid(op.owner().pid);
  owner->set_host(op.owner().host);
  owner->set_principal(op.owner().principal);
  owner->set_uid(op.owner().uid);
  owner->set_user(op.owner().user);
  out->set_parent_id(op.parent_id());
  for (const std::string& child : op.child_ids) out->add_child_ids(child);
  ToProto(op.created_time(), out->mutable_created_time());
  if (op.finished_time) ToProto(*op.finished_time, out->mutable_finished_time());
  if (op.deadline) ToProto(*op.deadline, out->mutable_deadline());
  if (op.cancel != nullptr) ToProto(*op.cancel, out->mutable_cancel(), cause_offset);
  if (op.owner_disconnected_since.has_value()) {
    ToProto(*op.owner_disconnected_since, out->mutable_owner_disconnected_since());
  }
  if (op.status == OpStatus::kCancelling && op.cancel_requested_time) {
    ToProto(now - *op.cancel_requested_time, out->mutable_cancelling_for());
  }
  if (op.last_progress) {
    pb::Progress* progress = out->mutable_last_progress();
    progress->set_message(op.last_progress->message);
    progress->mutable_metadata()->insert(op.last_progress->metadata.begin(),
                                         op.last_progress->metadata.end());
    ToProto(op.last_progress->time, progress->mutable_time());
  }
  out->set_error(op.error);
}

void ToProto(const TokenView& token, pb::Token* out) {
  out->set_name(token.name);
  out->set_creator(token.creator);
  out->mutable_labels()->insert(token.labels.begin(), token.labels.end());
  ToProto(token.created_time, out->mutable_created_time());
  if (token.deadline) ToProto(*token.deadline, out->mutable_deadline());
  if (token.cancel != nullptr) ToProto(*token.cancel, out->mutable_cancel());
  for (const std::string& s : token.sources) out->add_sources(s);
  for (const std::string& t : token.targets) out->add_targets(t);
  for (const std::string& a : token.all_of) out->add_all_of(a);
  for (const std::string& id : token.operation_ids) out->add_operation_ids(id);
  out->set_operation_count(static_cast<int64_t>(token.operation_count));
  out->set_source_count(static_cast<int64_t>(token.source_count));
  out->set_target_count(static_cast<int64_t>(token.target_count));
}

absl::StatusOr<OperationFilter> FromProto(const pb::OperationFilter& filter,
                                          absl::string_view field) {
  OperationFilter out;
  absl::StatusOr<Selector> selector = Selector::Parse(filter.selector());
  if (!selector.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".", selector.status().message()));
  }
  out.selector = *std::move(selector);
  out.selector_text = filter.selector();
  out.name_glob = filter.name_glob();
  for (int i = 0; i < filter.statuses_size(); ++i) {
    std::optional<OpStatus> status = StatusFromProto(filter.statuses(i));
    if (!status.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".statuses[", i, "]: ", pb::OperationStatus_Name(filter.statuses(i)),
                       " is not a daemon status"));
    }
    out.statuses.push_back(*status);
  }
  out.owner = filter.owner();
  return out;
}

void ToProto(const ConditionStatus& c, pb::ConditionState* out) {
  out->set_name(c.name);
  out->set_definition(c.definition);
  out->set_subscribers(static_cast<int32_t>(c.subscribers));
  ToProto(c.interval, out->mutable_interval());
  out->set_last_value(c.last_value);
  if (c.last_check) ToProto(*c.last_check, out->mutable_last_check());
  out->set_last_error(c.last_error);
}

RegisterSpec FromProto(const pb::RegisterItem& item) {
  RegisterSpec spec;
  spec.name = item.name();
  spec.labels.insert(item.labels().begin(), item.labels().end());
  spec.metadata.insert(item.metadata().begin(), item.metadata().end());
  spec.parent_id = item.parent_id();
  if (item.has_timeout()) spec.timeout = FromProto(item.timeout());
  if (item.has_stated_timeout()) spec.stated_timeout = FromProto(item.stated_timeout());
  spec.previous_id = item.previous_id();
  spec.tokens.assign(item.tokens().begin(), item.tokens().end());
  for (const std::string& name : item.signals()) {
    spec.signals.push_back(*ParseSubscribableSignal(name));  // validated
  }
  return spec;
}

TokenSpec FromProto(const pb::CreateTokenRequest& request) {
  TokenSpec spec;
  spec.name = request.name();
  spec.labels.insert(request.labels().begin(), request.labels().end());
  if (request.has_timeout()) spec.timeout = FromProto(request.timeout());
  spec.all_of.assign(request.all_of().begin(), request.all_of().end());
  return spec;
}

std::optional<absl::Time> DeadlineFromProto(const pb::SetDeadlineRequest& request, absl::Time now) {
  switch (request.when_case()) {
    case pb::SetDeadlineRequest::kIn:
      return now + FromProto(request.in());
    case pb::SetDeadlineRequest::kAt:
      return FromProto(request.at());
    case pb::SetDeadlineRequest::kNone:
    case pb::SetDeadlineRequest::WHEN_NOT_SET:
      break;
  }
  return std::nullopt;
}

}  // namespace hother::cancelable::daemon
