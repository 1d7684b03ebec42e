#include "daemon/service/validate.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/daemon_signals.h"
#include "daemon/core/labels.h"
#include "hother/cancelable/internal/status_macros.h"

namespace hother::cancelable::daemon {

absl::Status ValidateLabels(absl::string_view field,
                            const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.size() > kMaxLabels) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", labels.size(), " labels, at most ", kMaxLabels));
  }
  for (const auto& [key, value] : labels) {
    CANCELABLE_RETURN_IF_ERROR(ValidateLabelKey(field, key));
    CANCELABLE_RETURN_IF_ERROR(ValidateLabelValue(field, value));
  }
  return absl::OkStatus();
}

absl::Status ValidateId(absl::string_view field, absl::string_view id, bool required) {
  if (id.empty()) {
    return required ? absl::InvalidArgumentError(absl::StrCat(field, ": required"))
                    : absl::OkStatus();
  }
  if (id.size() > kMaxIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": longer than ", kMaxIdBytes, " bytes"));
  }
  for (char c : id) {
    if (!IsLabelChar(c)) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": '", id, "' is not an operation id"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePositive(absl::string_view field, const google::protobuf::Duration& d) {
  if (d.seconds() < 0 || d.nanos() < 0 || (d.seconds() == 0 && d.nanos() == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be positive"));
  }
  return absl::OkStatus();
}

absl::Status ValidateHello(const pb::Hello& hello) {
  if (!hello.process_name().empty()) {
    CANCELABLE_RETURN_IF_ERROR(ValidateName("hello.process_name", hello.process_name()));
  }
  if (hello.host().size() > kMaxNameBytes) {
    return absl::InvalidArgumentError("hello.host: longer than 256 bytes");
  }
  return ValidateLabels("hello.labels", hello.labels());
}

absl::Status ValidateRegisterItem(absl::string_view field, const pb::RegisterItem& item) {
  CANCELABLE_RETURN_IF_ERROR(ValidateName(absl::StrCat(field, ".name"), item.name()));
  CANCELABLE_RETURN_IF_ERROR(ValidateLabels(absl::StrCat(field, ".labels"), item.labels()));
  if (item.metadata_size() > static_cast<int>(kMaxLabels)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".metadata: ", item.metadata_size(), " entries, at most ", kMaxLabels));
  }
  for (const auto& [key, value] : item.metadata()) {
    if (key.empty() || key.size() > kMaxNameBytes || value.size() > kMaxMessageBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".metadata: entry '", key.substr(0, 64), "' is empty or too long"));
    }
  }
  CANCELABLE_RETURN_IF_ERROR(
      ValidateId(absl::StrCat(field, ".parent_id"), item.parent_id(), false));
  CANCELABLE_RETURN_IF_ERROR(
      ValidateId(absl::StrCat(field, ".previous_id"), item.previous_id(), false));
  for (int i = 0; i < item.tokens_size(); ++i) {
    CANCELABLE_RETURN_IF_ERROR(
        ValidateTokenName(absl::StrCat(field, ".tokens[", i, "]"), item.tokens(i)));
  }
  for (int i = 0; i < item.signals_size(); ++i) {
    if (!ParseSubscribableSignal(item.signals(i)).has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".signals[", i, "]: '", item.signals(i).substr(0, 32),
                       "' is not one of SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT"));
    }
  }
  if (item.has_timeout()) {
    CANCELABLE_RETURN_IF_ERROR(ValidatePositive(absl::StrCat(field, ".timeout"), item.timeout()));
  }
  if (item.has_stated_timeout()) {
    CANCELABLE_RETURN_IF_ERROR(
        ValidatePositive(absl::StrCat(field, ".stated_timeout"), item.stated_timeout()));
  }
  return absl::OkStatus();
}

absl::Status ValidateProgressItem(absl::string_view field, const pb::ProgressItem& item) {
  CANCELABLE_RETURN_IF_ERROR(
      ValidateId(absl::StrCat(field, ".operation_id"), item.operation_id(), true));
  return ValidateMessage(absl::StrCat(field, ".message"), item.message());
}

absl::Status ValidateCancelRequest(const pb::CancelRequest& request) {
  CANCELABLE_RETURN_IF_ERROR(ValidateId("id", request.id(), true));
  CANCELABLE_RETURN_IF_ERROR(ValidateMessage("message", request.message()));
  return ValidateMessage("actor", request.actor());
}

absl::Status ValidateCancelAllRequest(const pb::CancelAllRequest& request) {
  CANCELABLE_RETURN_IF_ERROR(ValidateMessage("message", request.message()));
  return ValidateMessage("actor", request.actor());
}

absl::Status ValidateCancelTokenRequest(const pb::CancelTokenRequest& request) {
  CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("name", request.name()));
  CANCELABLE_RETURN_IF_ERROR(ValidateMessage("message", request.message()));
  return ValidateMessage("actor", request.actor());
}

absl::Status ValidateCreateTokenRequest(const pb::CreateTokenRequest& request) {
  CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("name", request.name()));
  CANCELABLE_RETURN_IF_ERROR(ValidateLabels("labels", request.labels()));
  if (request.has_timeout()) {
    CANCELABLE_RETURN_IF_ERROR(ValidatePositive("timeout", request.timeout()));
  }
  for (int i = 0; i < request.all_of_size(); ++i) {
    CANCELABLE_RETURN_IF_ERROR(
        ValidateTokenName(absl::StrCat("all_of[", i, "]"), request.all_of(i)));
  }
  return absl::OkStatus();
}

absl::Status ValidateSetDeadlineRequest(const pb::SetDeadlineRequest& request) {
  if (request.when_case() == pb::SetDeadlineRequest::WHEN_NOT_SET) {
    return absl::InvalidArgumentError("when: set in, at or none");
  }
  switch (request.target_case()) {
    case pb::SetDeadlineRequest::kOperationId:
      CANCELABLE_RETURN_IF_ERROR(ValidateId("operation_id", request.operation_id(), true));
      break;
    case pb::SetDeadlineRequest::kToken:
      CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("token", request.token()));
      break;
    case pb::SetDeadlineRequest::TARGET_NOT_SET:
      return absl::InvalidArgumentError("target: set operation_id or token");
  }
  return absl::OkStatus();
}

}  // namespace hother::cancelable::daemon
