#include "daemon/service/validate.h"

#include "absl/strings/str_cat.h"
#include "daemon/core/daemon_signals.h"
#include "daemon/core/labels.h"
#include "hother/cancelable/internal/status_macros.h"

namespace hother::cancelable::daemon {

namespace {

// The ranges of the well-known types (google/protobuf/{duration,timestamp}.proto).
constexpr int64_t kMaxDurationSeconds = 315'576'000'000;
constexpr int64_t kMinTimestampSeconds = -62'135'596'800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTimestampSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z
constexpr int32_t kNanosPerSecond = 1'000'000'000;

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::Status ValidateCount(absl::string_view field, int count, int at_most,
                           absl::string_view what) {
  if (count <= at_most) return absl::OkStatus();
  return Invalid(field, absl::StrCat(count, " ", what, ", at most ", at_most));
}

// "<field>: N bytes, at most M".
absl::Status ValidateSize(absl::string_view field, absl::string_view text, size_t at_most) {
  if (text.size() <= at_most) return absl::OkStatus();
  return Invalid(field, absl::StrCat(text.size(), " bytes, at most ", at_most));
}

}  // namespace

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
    return Invalid(field, absl::StrCat(Quote(id), " is longer than ", kMaxIdBytes, " bytes"));
  }
  for (char c : id) {
    if (!IsLabelChar(c)) return Invalid(field, absl::StrCat(Quote(id), " is not an operation id"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDuration(absl::string_view field, const google::protobuf::Duration& d) {
  if (d.seconds() < -kMaxDurationSeconds || d.seconds() > kMaxDurationSeconds) {
    return Invalid(field, absl::StrCat(d.seconds(), "s is outside +-", kMaxDurationSeconds,
                                       "s (google.protobuf.Duration)"));
  }
  if (d.nanos() <= -kNanosPerSecond || d.nanos() >= kNanosPerSecond ||
      (d.seconds() > 0 && d.nanos() < 0) || (d.seconds() < 0 && d.nanos() > 0)) {
    return Invalid(field, absl::StrCat("nanos ", d.nanos(),
                                       " must be within +-999999999 with the sign of seconds"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTimestamp(absl::string_view field, const google::protobuf::Timestamp& t) {
  if (t.seconds() < kMinTimestampSeconds || t.seconds() > kMaxTimestampSeconds) {
    return Invalid(field, absl::StrCat("seconds ", t.seconds(),
                                       " is outside years 1 to 9999 (google.protobuf.Timestamp)"));
  }
  if (t.nanos() < 0 || t.nanos() >= kNanosPerSecond) {
    return Invalid(field, absl::StrCat("nanos ", t.nanos(), " must be in [0, 999999999]"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePositive(absl::string_view field, const google::protobuf::Duration& d) {
  CANCELABLE_RETURN_IF_ERROR(ValidateDuration(field, d));
  if (d.seconds() < 0 || d.nanos() < 0 || (d.seconds() == 0 && d.nanos() == 0)) {
    return Invalid(field, "must be positive");
  }
  return absl::OkStatus();
}

absl::Status ValidateMetadata(absl::string_view field,
                              const google::protobuf::Map<std::string, std::string>& metadata) {
  CANCELABLE_RETURN_IF_ERROR(ValidateCount(field, static_cast<int>(metadata.size()),
                                           static_cast<int>(kMaxLabels), "entries"));
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key.size() > kMaxNameBytes) {
      return Invalid(field,
                     absl::StrCat("key ", Quote(key), " must be 1-", kMaxNameBytes, " bytes"));
    }
    if (value.size() > kMaxMessageBytes) {
      return Invalid(field, absl::StrCat("value of ", Quote(key), " is ", value.size(),
                                         " bytes, at most ", kMaxMessageBytes));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePageToken(absl::string_view field, absl::string_view token, size_t max_bytes) {
  if (token.size() > max_bytes) {
    return Invalid(field, absl::StrCat(Quote(token), " is longer than ", max_bytes,
                                       " bytes: not a page token"));
  }
  return absl::OkStatus();
}

absl::Status ValidateFilter(absl::string_view field, const pb::OperationFilter& filter) {
  CANCELABLE_RETURN_IF_ERROR(
      ValidateSize(absl::StrCat(field, ".selector"), filter.selector(), kMaxSelectorBytes));
  CANCELABLE_RETURN_IF_ERROR(
      ValidateSize(absl::StrCat(field, ".name_glob"), filter.name_glob(), kMaxNameBytes));
  CANCELABLE_RETURN_IF_ERROR(
      ValidateSize(absl::StrCat(field, ".owner"), filter.owner(), kMaxNameBytes));
  return ValidateCount(absl::StrCat(field, ".statuses"), filter.statuses_size(),
                       kMaxStatusesInFilter, "statuses");
}

absl::Status ValidateBatchSize(const pb::SessionRequest& request) {
  switch (request.kind_case()) {
    case pb::SessionRequest::kRegister:
      return ValidateCount("register.items", request.register_().items_size(), kMaxItemsPerMessage,
                           "items");
    case pb::SessionRequest::kProgress:
      return ValidateCount("progress.items", request.progress().items_size(), kMaxItemsPerMessage,
                           "items");
    case pb::SessionRequest::kFinish:
      return ValidateCount("finish.items", request.finish().items_size(), kMaxItemsPerMessage,
                           "items");
    default:
      return absl::OkStatus();
  }
}

absl::Status ValidateHello(const pb::Hello& hello) {
  if (!hello.process_name().empty()) {
    CANCELABLE_RETURN_IF_ERROR(ValidateName("hello.process_name", hello.process_name()));
  }
  CANCELABLE_RETURN_IF_ERROR(ValidateSize("hello.host", hello.host(), kMaxNameBytes));
  CANCELABLE_RETURN_IF_ERROR(
      ValidateSize("hello.sdk_version", hello.sdk_version(), kMaxVersionBytes));
  // A Welcome's session_secret is 32 hex characters.
  CANCELABLE_RETURN_IF_ERROR(
      ValidateSize("hello.previous_session_secret", hello.previous_session_secret(), 64));
  if (hello.pid() < 0 || hello.pid() > kMaxPid) {
    return Invalid("hello.pid",
                   absl::StrCat(hello.pid(), " is not a process id (0 to ", kMaxPid, ")"));
  }
  return ValidateLabels("hello.labels", hello.labels());
}

absl::Status ValidateRegisterItem(absl::string_view field, const pb::RegisterItem& item) {
  CANCELABLE_RETURN_IF_ERROR(ValidateName(absl::StrCat(field, ".name"), item.name()));
  CANCELABLE_RETURN_IF_ERROR(ValidateLabels(absl::StrCat(field, ".labels"), item.labels()));
  CANCELABLE_RETURN_IF_ERROR(ValidateMetadata(absl::StrCat(field, ".metadata"), item.metadata()));
  CANCELABLE_RETURN_IF_ERROR(
      ValidateId(absl::StrCat(field, ".parent_id"), item.parent_id(), false));
  CANCELABLE_RETURN_IF_ERROR(
      ValidateId(absl::StrCat(field, ".previous_id"), item.previous_id(), false));
  CANCELABLE_RETURN_IF_ERROR(ValidateCount(absl::StrCat(field, ".tokens"), item.tokens_size(),
                                           kMaxTokensPerOperation, "tokens"));
  for (int i = 0; i < item.tokens_size(); ++i) {
    CANCELABLE_RETURN_IF_ERROR(
        ValidateTokenName(absl::StrCat(field, ".tokens[", i, "]"), item.tokens(i)));
  }
  CANCELABLE_RETURN_IF_ERROR(ValidateCount(absl::StrCat(field, ".signals"), item.signals_size(),
                                           kMaxSignalsPerOperation, "signals"));
  for (int i = 0; i < item.signals_size(); ++i) {
    if (!ParseSubscribableSignal(item.signals(i)).has_value()) {
      return Invalid(absl::StrCat(field, ".signals[", i, "]"),
                     absl::StrCat(Quote(item.signals(i)),
                                  " is not one of SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, "
                                  "SIGQUIT"));
    }
  }
  CANCELABLE_RETURN_IF_ERROR(ValidateCount(absl::StrCat(field, ".conditions"),
                                           item.conditions_size(), kMaxConditionsPerOperation,
                                           "conditions"));
  for (int i = 0; i < item.conditions_size(); ++i) {
    const pb::ConditionSubscription& c = item.conditions(i);
    const std::string at = absl::StrCat(field, ".conditions[", i, "]");
    if (c.condition().empty() || c.condition().size() > kMaxConditionBytes) {
      return Invalid(absl::StrCat(at, ".condition"),
                     absl::StrCat(c.condition().size(), " bytes, must be 1-", kMaxConditionBytes));
    }
    if (c.has_interval()) {
      CANCELABLE_RETURN_IF_ERROR(ValidatePositive(absl::StrCat(at, ".interval"), c.interval()));
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
  CANCELABLE_RETURN_IF_ERROR(ValidateMessage(absl::StrCat(field, ".message"), item.message()));
  return ValidateMetadata(absl::StrCat(field, ".metadata"), item.metadata());
}

absl::Status ValidateFinishItem(absl::string_view field, const pb::FinishItem& item) {
  CANCELABLE_RETURN_IF_ERROR(
      ValidateId(absl::StrCat(field, ".operation_id"), item.operation_id(), true));
  return ValidateSize(absl::StrCat(field, ".error"), item.error(), kMaxErrorBytes);
}

absl::Status ValidateListOperationsRequest(const pb::ListOperationsRequest& request) {
  if (request.page_size() < 0) return Invalid("page_size", "must not be negative");
  CANCELABLE_RETURN_IF_ERROR(
      ValidatePageToken("page_token", request.page_token(), kMaxPageTokenBytes));
  return ValidateFilter("filter", request.filter());
}

absl::Status ValidateGetOperationRequest(const pb::GetOperationRequest& request) {
  CANCELABLE_RETURN_IF_ERROR(ValidateId("id", request.id(), true));
  if (request.cause_offset() < 0) return Invalid("cause_offset", "must not be negative");
  return absl::OkStatus();
}

absl::Status ValidateWatchRequest(const pb::WatchRequest& request) {
  return ValidateFilter("filter", request.filter());
}

absl::Status ValidateListTokensRequest(const pb::ListTokensRequest& request) {
  if (request.page_size() < 0) return Invalid("page_size", "must not be negative");
  // A token list's page token is the name the next page starts at.
  CANCELABLE_RETURN_IF_ERROR(
      ValidatePageToken("page_token", request.page_token(), kMaxTokenNameBytes));
  return ValidateSize("selector", request.selector(), kMaxSelectorBytes);
}

absl::Status ValidateDeleteTokenRequest(const pb::DeleteTokenRequest& request) {
  return ValidateTokenName("name", request.name());
}

absl::Status ValidateLinkTokensRequest(const pb::LinkTokensRequest& request) {
  CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("source", request.source()));
  return ValidateTokenName("target", request.target());
}

absl::Status ValidateCheckAccessRequest(const pb::CheckAccessRequest& request) {
  constexpr size_t kMaxVerb = 32;
  if (request.verb().size() > kMaxVerb) {
    return absl::InvalidArgumentError(
        absl::StrCat("verb: ", request.verb().size(), " bytes; a verb is at most ", kMaxVerb));
  }
  if (request.target_case() == pb::CheckAccessRequest::kToken) {
    return ValidateTokenName("token", request.token());
  }
  return ValidateId("operation_id", request.operation_id(), /*required=*/false);
}

absl::Status ValidateCancelRequest(const pb::CancelRequest& request) {
  CANCELABLE_RETURN_IF_ERROR(ValidateId("id", request.id(), true));
  CANCELABLE_RETURN_IF_ERROR(ValidateMessage("message", request.message()));
  return ValidateMessage("actor", request.actor());
}

absl::Status ValidateCancelAllRequest(const pb::CancelAllRequest& request) {
  CANCELABLE_RETURN_IF_ERROR(ValidateMessage("message", request.message()));
  CANCELABLE_RETURN_IF_ERROR(ValidateMessage("actor", request.actor()));
  return ValidateFilter("filter", request.filter());
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
  CANCELABLE_RETURN_IF_ERROR(ValidateCount("all_of", request.all_of_size(), kMaxAllOf, "tokens"));
  for (int i = 0; i < request.all_of_size(); ++i) {
    CANCELABLE_RETURN_IF_ERROR(
        ValidateTokenName(absl::StrCat("all_of[", i, "]"), request.all_of(i)));
  }
  return absl::OkStatus();
}

absl::Status ValidateSetDeadlineRequest(const pb::SetDeadlineRequest& request) {
  switch (request.when_case()) {
    case pb::SetDeadlineRequest::WHEN_NOT_SET:
      return Invalid("when", "set in, at or none");
    case pb::SetDeadlineRequest::kIn:
      CANCELABLE_RETURN_IF_ERROR(ValidateDuration("in", request.in()));
      if (request.in().seconds() < 0 || request.in().nanos() < 0) {
        return Invalid("in", "must not be negative (use at for a time in the past)");
      }
      break;
    case pb::SetDeadlineRequest::kAt:
      CANCELABLE_RETURN_IF_ERROR(ValidateTimestamp("at", request.at()));
      break;
    case pb::SetDeadlineRequest::kNone:
      break;
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
