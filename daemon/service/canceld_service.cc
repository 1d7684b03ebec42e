#include "daemon/service/canceld_service.h"

#include <unistd.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/core/labels.h"
#include "daemon/service/convert.h"
#include "daemon/service/session_reactor.h"
#include "daemon/service/validate.h"
#include "hother/cancelable/internal/status_macros.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/version.h"
#include "proto/wire.h"

namespace hother::cancelable::daemon {
namespace {

constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxPageSize = 1000;
constexpr size_t kCancelAllListed = 1000;  // see CancelAllResponse.operations

// Converts `ops` into `out` while the reply stays within the wire's byte
// budget (the first always goes); returns how many went.
size_t AddWithinBudget(const std::vector<Operation>& ops, absl::Time now,
                       google::protobuf::RepeatedPtrField<pb::Operation>* out) {
  size_t bytes = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    bytes += WireSizeEstimate(ops[i]);
    if (i > 0 && bytes > wire::kMaxBatchBytes) return i;
    ToProto(ops[i], now, out->Add());
  }
  return ops.size();
}

grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpc(status));
  return reactor;
}

absl::Status CheckServing(const DaemonState& state) {
  if (state.draining.load()) return absl::UnavailableError("canceld is shutting down");
  return absl::OkStatus();
}

}  // namespace

void CanceldService::EndAllStreams() {
  const absl::Status unavailable = absl::UnavailableError("canceld is shutting down");
  // Flushed: cancels just made (signal subscribers) reach their owners first.
  for (const auto& sink : state_.sessions.Sinks()) sink->End(unavailable, /*flush=*/true);
  watchers_.EndAll(ToGrpc(unavailable));
}

grpc::ServerBidiReactor<pb::SessionRequest, pb::SessionResponse>* CanceldService::Session(
    grpc::CallbackServerContext*) {
  return new SessionReactor(state_);
}

grpc::ServerUnaryReactor* CanceldService::Cancel(grpc::CallbackServerContext* context,
                                                 const pb::CancelRequest* request,
                                                 pb::CancelResponse* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_RETURN_IF_ERROR(CheckServing(state_));
    CANCELABLE_RETURN_IF_ERROR(ValidateCancelRequest(*request));
    std::string actor = request->actor().empty() ? context->peer() : request->actor();
    CANCELABLE_ASSIGN_OR_RETURN(
        CancelResult result,
        state_.graph.Cancel(request->id(), request->message(), actor, !request->no_cascade()));
    response->set_first(result.first);
    response->set_reached(result.reached);
    ToProto(result.operation, state_.clock.Now(), response->mutable_operation());
    Log(LogLevel::kInfo, "cancel",
        {{"id", request->id()},
         {"first", result.first ? "true" : "false"},
         {"reached", absl::StrCat(result.reached)},
         {"actor", actor}});
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::CancelAll(grpc::CallbackServerContext* context,
                                                    const pb::CancelAllRequest* request,
                                                    pb::CancelAllResponse* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_RETURN_IF_ERROR(CheckServing(state_));
    CANCELABLE_RETURN_IF_ERROR(ValidateMessage("message", request->message()));
    CANCELABLE_ASSIGN_OR_RETURN(OperationFilter filter, FromProto(request->filter(), "filter"));
    if (filter.empty() && !request->all()) {
      return absl::InvalidArgumentError("filter: empty; set all = true to cancel every operation");
    }
    std::string actor = request->actor().empty() ? context->peer() : request->actor();
    CancelAllResult result = state_.graph.CancelAll(filter, request->message(), actor,
                                                    request->dry_run(), kCancelAllListed);
    const absl::Time now = state_.clock.Now();
    AddWithinBudget(result.listed, now, response->mutable_operations());
    response->set_matched(static_cast<int32_t>(result.matched));
    response->set_cancelled(result.cancelled);
    if (!request->dry_run()) {
      Log(LogLevel::kInfo, "cancel-all",
          {{"cancelled", absl::StrCat(result.cancelled)}, {"actor", actor}});
    }
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::ListOperations(grpc::CallbackServerContext* context,
                                                         const pb::ListOperationsRequest* request,
                                                         pb::ListOperationsResponse* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_ASSIGN_OR_RETURN(OperationFilter filter, FromProto(request->filter(), "filter"));
    if (request->page_size() < 0) {
      return absl::InvalidArgumentError("page_size: must not be negative");
    }
    size_t page_size = request->page_size() == 0
                           ? kDefaultPageSize
                           : std::min<size_t>(request->page_size(), kMaxPageSize);
    CANCELABLE_ASSIGN_OR_RETURN(OperationGraph::Page page,
                                state_.graph.List(filter, page_size, request->page_token()));
    const absl::Time now = state_.clock.Now();
    const size_t kept = AddWithinBudget(page.operations, now, response->mutable_operations());
    response->set_next_page_token(kept < page.operations.size() ? page.resume_tokens[kept]
                                                                : page.next_page_token);
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::GetOperation(grpc::CallbackServerContext* context,
                                                       const pb::GetOperationRequest* request,
                                                       pb::Operation* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_RETURN_IF_ERROR(ValidateId("id", request->id(), true));
    CANCELABLE_ASSIGN_OR_RETURN(Operation op, state_.graph.Get(request->id()));
    ToProto(op, state_.clock.Now(), response);
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::CreateToken(grpc::CallbackServerContext* context,
                                                      const pb::CreateTokenRequest* request,
                                                      pb::Token* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_RETURN_IF_ERROR(CheckServing(state_));
    CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("name", request->name()));
    CANCELABLE_RETURN_IF_ERROR(ValidateLabels("labels", request->labels()));
    TokenSpec spec;
    spec.name = request->name();
    spec.labels.insert(request->labels().begin(), request->labels().end());
    if (request->has_timeout()) {
      CANCELABLE_RETURN_IF_ERROR(ValidatePositive("timeout", request->timeout()));
      spec.timeout = FromProto(request->timeout());
    }
    for (int i = 0; i < request->all_of_size(); ++i) {
      CANCELABLE_RETURN_IF_ERROR(
          ValidateTokenName(absl::StrCat("all_of[", i, "]"), request->all_of(i)));
      spec.all_of.push_back(request->all_of(i));
    }
    CANCELABLE_ASSIGN_OR_RETURN(TokenView token, state_.graph.CreateToken(std::move(spec)));
    ToProto(token, response);
    Log(LogLevel::kInfo, "token created", {{"token", token.name}});
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::GetToken(grpc::CallbackServerContext* context,
                                                   const pb::GetTokenRequest* request,
                                                   pb::Token* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("name", request->name()));
    CANCELABLE_ASSIGN_OR_RETURN(TokenView token, state_.graph.GetToken(request->name()));
    ToProto(token, response);
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::ListTokens(grpc::CallbackServerContext* context,
                                                     const pb::ListTokensRequest* request,
                                                     pb::ListTokensResponse* response) {
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<Selector> selector = Selector::Parse(request->selector());
    if (!selector.ok()) return selector.status();
    for (const TokenView& token : state_.graph.ListTokens(*selector)) {
      ToProto(token, response->add_tokens());
    }
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::CancelToken(grpc::CallbackServerContext* context,
                                                      const pb::CancelTokenRequest* request,
                                                      pb::CancelTokenResponse* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_RETURN_IF_ERROR(CheckServing(state_));
    CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("name", request->name()));
    CANCELABLE_RETURN_IF_ERROR(ValidateMessage("message", request->message()));
    std::string actor = request->actor().empty() ? context->peer() : request->actor();
    CANCELABLE_ASSIGN_OR_RETURN(
        TokenCancelResult result,
        state_.graph.CancelToken(request->name(), request->message(), actor));
    response->set_first(result.first);
    response->set_tokens_reached(result.tokens_reached);
    response->set_operations_reached(result.operations_reached);
    ToProto(result.token, response->mutable_token());
    Log(LogLevel::kInfo, "token cancelled",
        {{"token", request->name()},
         {"first", result.first ? "true" : "false"},
         {"operations", absl::StrCat(result.operations_reached)},
         {"actor", actor}});
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::LinkTokens(grpc::CallbackServerContext* context,
                                                     const pb::LinkTokensRequest* request,
                                                     pb::Token* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_RETURN_IF_ERROR(CheckServing(state_));
    CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("source", request->source()));
    CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("target", request->target()));
    CANCELABLE_ASSIGN_OR_RETURN(TokenView token,
                                state_.graph.LinkTokens(request->source(), request->target()));
    ToProto(token, response);
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::SetDeadline(grpc::CallbackServerContext* context,
                                                      const pb::SetDeadlineRequest* request,
                                                      pb::SetDeadlineResponse* response) {
  absl::Status status = [&]() -> absl::Status {
    CANCELABLE_RETURN_IF_ERROR(CheckServing(state_));
    std::optional<absl::Time> deadline;
    switch (request->when_case()) {
      case pb::SetDeadlineRequest::kIn:
        deadline = state_.clock.Now() + FromProto(request->in());
        break;
      case pb::SetDeadlineRequest::kAt:
        deadline = FromProto(request->at());
        break;
      case pb::SetDeadlineRequest::kNone:
        break;
      case pb::SetDeadlineRequest::WHEN_NOT_SET:
        return absl::InvalidArgumentError("when: set in, at or none");
    }
    switch (request->target_case()) {
      case pb::SetDeadlineRequest::kOperationId:
        CANCELABLE_RETURN_IF_ERROR(ValidateId("operation_id", request->operation_id(), true));
        CANCELABLE_RETURN_IF_ERROR(
            state_.graph.SetOperationDeadline(request->operation_id(), deadline));
        break;
      case pb::SetDeadlineRequest::kToken:
        CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("token", request->token()));
        CANCELABLE_RETURN_IF_ERROR(state_.graph.SetTokenDeadline(request->token(), deadline));
        break;
      case pb::SetDeadlineRequest::TARGET_NOT_SET:
        return absl::InvalidArgumentError("target: set operation_id or token");
    }
    if (deadline.has_value()) ToProto(*deadline, response->mutable_deadline());
    return absl::OkStatus();
  }();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* CanceldService::ListConditions(grpc::CallbackServerContext* context,
                                                         const pb::ListConditionsRequest*,
                                                         pb::ListConditionsResponse* response) {
  for (const ConditionStatus& c : state_.conditions.List()) {
    pb::ConditionState* out = response->add_conditions();
    out->set_name(c.name);
    out->set_definition(c.definition);
    out->set_subscribers(static_cast<int32_t>(c.subscribers));
    ToProto(c.interval, out->mutable_interval());
    out->set_last_value(c.last_value);
    if (c.last_check) ToProto(*c.last_check, out->mutable_last_check());
    out->set_last_error(c.last_error);
  }
  return Answer(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* CanceldService::GetDaemonInfo(grpc::CallbackServerContext* context,
                                                        const pb::GetDaemonInfoRequest*,
                                                        pb::DaemonInfo* response) {
  response->set_version(kVersion);
  response->set_pid(getpid());
  ToProto(state_.start_time, response->mutable_start_time());
  return Answer(context, absl::OkStatus());
}

grpc::ServerWriteReactor<pb::WatchEvent>* CanceldService::Watch(grpc::CallbackServerContext*,
                                                                const pb::WatchRequest* request) {
  return new WatchReactor(state_, watchers_, *request);
}

}  // namespace hother::cancelable::daemon
