#include "daemon/service/canceld_service.h"

#include <unistd.h>

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/core/labels.h"
#include "daemon/service/convert.h"
#include "daemon/service/raw_message.h"
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

// Every unary call: the request is parsed (INVALID_ARGUMENT when it does not
// parse); `handle` validates, converts, calls the core and fills the reply
// (STYLE.md's four steps); the status it returns finishes the call, through
// the one conversion to grpc::Status. A call that changed what the store
// keeps (`durable`) is answered OK only once the change is durable
// (Store::Sync): its effect (a cancel's delivery) has happened already.
template <typename Request, typename Response, typename Handle>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* raw_request, grpc::ByteBuffer* raw_response,
                                Handle&& handle, Store* durable = nullptr) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Request request;
  Response response;
  absl::Status status = Decode(*raw_request, &request);
  if (status.ok()) status = handle(&request, &response);
  if (status.ok()) *raw_response = Encode(response);
  if (status.ok() && durable != nullptr) {
    durable->Sync([reactor](const absl::Status& kept) { reactor->Finish(ToGrpc(kept)); });
    return reactor;
  }
  reactor->Finish(ToGrpc(status));
  return reactor;
}

size_t PageSize(int32_t requested) {
  return requested <= 0 ? kDefaultPageSize : std::min<size_t>(requested, kMaxPageSize);
}

const char* YesNo(bool value) { return value ? "true" : "false"; }

}  // namespace

void CanceldService::EndAllStreams() {
  // Flushed: cancels just made (signal subscribers) reach their owners first.
  for (const auto& sink : state_.sessions.Sinks()) sink->End(ShuttingDown(), /*flush=*/true);
  watchers_.EndAll(ToGrpc(ShuttingDown()));
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* CanceldService::Session(
    grpc::CallbackServerContext* context) {
  return new SessionReactor(state_, context);
}

namespace {

// The actor a cancellation record names: the principal canceld verified,
// then what the client says of itself, labelled as its words.
std::string ActorText(const Principal& who, const std::string& stated) {
  return stated.empty() ? who.Text() : absl::StrCat(who.Text(), " (client's words: ", stated, ")");
}

}  // namespace

absl::Status CanceldService::MayActOn(const Principal& who, Verb verb,
                                      const std::string& id) const {
  if (who.admin) return absl::OkStatus();
  CANCELABLE_ASSIGN_OR_RETURN(std::shared_ptr<const Owner> owner, state_.graph.OwnerOf(id));
  return state_.policy.MayActOn(who, verb, id, *owner);
}

absl::Status CanceldService::MayActOnToken(const Principal& who, Verb verb,
                                           const std::string& name) const {
  if (who.admin) return absl::OkStatus();
  CANCELABLE_ASSIGN_OR_RETURN(TokenView token, state_.graph.GetToken(name));
  return state_.policy.MayActOnToken(who, verb, token);
}

grpc::ServerUnaryReactor* CanceldService::Cancel(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* raw_request,
                                                 grpc::ByteBuffer* raw_response) {
  return Unary<pb::CancelRequest, pb::CancelResponse>(
      context, raw_request, raw_response,
      [&](const pb::CancelRequest* request, pb::CancelResponse* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(state_.Serving());
        CANCELABLE_RETURN_IF_ERROR(ValidateCancelRequest(*request));
        const Principal who = state_.identity.Of(*context);
        CANCELABLE_RETURN_IF_ERROR(MayActOn(who, Verb::kCancel, request->id()));
        const std::string actor = ActorText(who, request->actor());
        CANCELABLE_ASSIGN_OR_RETURN(
            CancelResult result,
            state_.graph.Cancel(request->id(), request->message(), actor, !request->no_cascade()));
        response->set_first(result.first);
        response->set_reached(result.reached);
        response->set_resent(result.resent);
        ToProto(result.operation, state_.clock.Now(), response->mutable_operation());
        Log(LogLevel::kInfo, "cancel",
            {{"id", request->id()},
             {"first", YesNo(result.first)},
             {"reached", absl::StrCat(result.reached)},
             {"actor", actor}});
        return absl::OkStatus();
      },
      &state_.store);
}

grpc::ServerUnaryReactor* CanceldService::CancelAll(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* raw_request,
                                                    grpc::ByteBuffer* raw_response) {
  return Unary<pb::CancelAllRequest, pb::CancelAllResponse>(
      context, raw_request, raw_response,
      [&](const pb::CancelAllRequest* request, pb::CancelAllResponse* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(state_.Serving());
        CANCELABLE_RETURN_IF_ERROR(ValidateCancelAllRequest(*request));
        CANCELABLE_ASSIGN_OR_RETURN(OperationFilter filter, FromProto(request->filter(), "filter"));
        if (filter.empty() && !request->all()) {
          return absl::InvalidArgumentError(
              "filter: empty; set all = true to cancel every operation");
        }
        const Principal who = state_.identity.Of(*context);
        state_.policy.Narrow(who, filter);
        const std::string actor = ActorText(who, request->actor());
        CancelAllResult result = state_.graph.CancelAll(filter, request->message(), actor,
                                                        request->dry_run(), kCancelAllListed);
        AddWithinBudget(result.listed, state_.clock.Now(), response->mutable_operations());
        response->set_matched(static_cast<int32_t>(result.matched));
        response->set_cancelled(result.cancelled);
        if (!request->dry_run()) {
          Log(LogLevel::kInfo, "cancel-all",
              {{"cancelled", absl::StrCat(result.cancelled)}, {"actor", actor}});
        }
        return absl::OkStatus();
      },
      &state_.store);
}

grpc::ServerUnaryReactor* CanceldService::ListOperations(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* raw_request,
                                                         grpc::ByteBuffer* raw_response) {
  return Unary<pb::ListOperationsRequest, pb::ListOperationsResponse>(
      context, raw_request, raw_response,
      [&](const pb::ListOperationsRequest* request,
          pb::ListOperationsResponse* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(ValidateListOperationsRequest(*request));
        CANCELABLE_ASSIGN_OR_RETURN(OperationFilter filter, FromProto(request->filter(), "filter"));
        CANCELABLE_ASSIGN_OR_RETURN(
            OperationGraph::Page page,
            state_.graph.List(filter, PageSize(request->page_size()), request->page_token()));
        const size_t kept =
            AddWithinBudget(page.operations, state_.clock.Now(), response->mutable_operations());
        response->set_next_page_token(kept < page.operations.size() ? page.resume_tokens[kept]
                                                                    : page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* CanceldService::GetOperation(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* raw_request,
                                                       grpc::ByteBuffer* raw_response) {
  return Unary<pb::GetOperationRequest, pb::Operation>(
      context, raw_request, raw_response,
      [&](const pb::GetOperationRequest* request, pb::Operation* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(ValidateGetOperationRequest(*request));
        CANCELABLE_ASSIGN_OR_RETURN(Operation op, state_.graph.Get(request->id()));
        ToProto(op, state_.clock.Now(), response, static_cast<size_t>(request->cause_offset()));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* CanceldService::CreateToken(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* raw_request,
                                                      grpc::ByteBuffer* raw_response) {
  return Unary<pb::CreateTokenRequest, pb::Token>(
      context, raw_request, raw_response,
      [&](const pb::CreateTokenRequest* request, pb::Token* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(state_.Serving());
        CANCELABLE_RETURN_IF_ERROR(ValidateCreateTokenRequest(*request));
        TokenSpec spec = FromProto(*request);
        spec.creator = state_.identity.Of(*context).Key();
        CANCELABLE_ASSIGN_OR_RETURN(TokenView token, state_.graph.CreateToken(std::move(spec)));
        ToProto(token, response);
        Log(LogLevel::kInfo, "token created", {{"token", token.name}});
        return absl::OkStatus();
      },
      &state_.store);
}

grpc::ServerUnaryReactor* CanceldService::GetToken(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* raw_request,
                                                   grpc::ByteBuffer* raw_response) {
  return Unary<pb::GetTokenRequest, pb::Token>(
      context, raw_request, raw_response,
      [&](const pb::GetTokenRequest* request, pb::Token* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(ValidateTokenName("name", request->name()));
        CANCELABLE_ASSIGN_OR_RETURN(TokenView token, state_.graph.GetToken(request->name()));
        ToProto(token, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* CanceldService::ListTokens(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* raw_request,
                                                     grpc::ByteBuffer* raw_response) {
  return Unary<pb::ListTokensRequest, pb::ListTokensResponse>(
      context, raw_request, raw_response,
      [&](const pb::ListTokensRequest* request, pb::ListTokensResponse* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(ValidateListTokensRequest(*request));
        CANCELABLE_ASSIGN_OR_RETURN(Selector selector, Selector::Parse(request->selector()));
        TokenPage page = state_.graph.ListTokens(selector, PageSize(request->page_size()),
                                                 request->page_token());
        size_t bytes = 0;
        for (size_t i = 0; i < page.tokens.size(); ++i) {
          ToProto(page.tokens[i], response->add_tokens());
          bytes += response->tokens(static_cast<int>(i)).ByteSizeLong();
          if (bytes > wire::kMaxBatchBytes && i + 1 < page.tokens.size()) {
            response->set_next_page_token(page.tokens[i + 1].name);  // the rest on the next page
            return absl::OkStatus();
          }
        }
        response->set_next_page_token(page.next_page_token);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* CanceldService::CancelToken(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* raw_request,
                                                      grpc::ByteBuffer* raw_response) {
  return Unary<pb::CancelTokenRequest, pb::CancelTokenResponse>(
      context, raw_request, raw_response,
      [&](const pb::CancelTokenRequest* request,
          pb::CancelTokenResponse* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(state_.Serving());
        CANCELABLE_RETURN_IF_ERROR(ValidateCancelTokenRequest(*request));
        const Principal who = state_.identity.Of(*context);
        CANCELABLE_RETURN_IF_ERROR(MayActOnToken(who, Verb::kTokenCancel, request->name()));
        const std::string actor = ActorText(who, request->actor());
        CANCELABLE_ASSIGN_OR_RETURN(
            TokenCancelResult result,
            state_.graph.CancelToken(request->name(), request->message(), actor));
        response->set_first(result.first);
        response->set_tokens_reached(result.tokens_reached);
        response->set_operations_reached(result.operations_reached);
        ToProto(result.token, response->mutable_token());
        Log(LogLevel::kInfo, "token cancelled",
            {{"token", request->name()},
             {"first", YesNo(result.first)},
             {"operations", absl::StrCat(result.operations_reached)},
             {"actor", actor}});
        return absl::OkStatus();
      },
      &state_.store);
}

grpc::ServerUnaryReactor* CanceldService::LinkTokens(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* raw_request,
                                                     grpc::ByteBuffer* raw_response) {
  return Unary<pb::LinkTokensRequest, pb::Token>(
      context, raw_request, raw_response,
      [&](const pb::LinkTokensRequest* request, pb::Token* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(state_.Serving());
        CANCELABLE_RETURN_IF_ERROR(ValidateLinkTokensRequest(*request));
        CANCELABLE_RETURN_IF_ERROR(
            MayActOnToken(state_.identity.Of(*context), Verb::kTokenLink, request->target()));
        CANCELABLE_ASSIGN_OR_RETURN(TokenView token,
                                    state_.graph.LinkTokens(request->source(), request->target()));
        ToProto(token, response);
        return absl::OkStatus();
      },
      &state_.store);
}

grpc::ServerUnaryReactor* CanceldService::DeleteToken(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* raw_request,
                                                      grpc::ByteBuffer* raw_response) {
  return Unary<pb::DeleteTokenRequest, pb::DeleteTokenResponse>(
      context, raw_request, raw_response,
      [&](const pb::DeleteTokenRequest* request,
          pb::DeleteTokenResponse* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(state_.Serving());
        CANCELABLE_RETURN_IF_ERROR(ValidateDeleteTokenRequest(*request));
        CANCELABLE_RETURN_IF_ERROR(
            MayActOnToken(state_.identity.Of(*context), Verb::kTokenDelete, request->name()));
        CANCELABLE_ASSIGN_OR_RETURN(size_t detached,
                                    state_.graph.DeleteToken(request->name(), request->force()));
        response->set_detached_operations(static_cast<int32_t>(detached));
        Log(LogLevel::kInfo, "token deleted",
            {{"token", request->name()},
             {"detached", absl::StrCat(detached)},
             {"actor", state_.identity.Of(*context).Text()}});
        return absl::OkStatus();
      },
      &state_.store);
}

grpc::ServerUnaryReactor* CanceldService::SetDeadline(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* raw_request,
                                                      grpc::ByteBuffer* raw_response) {
  return Unary<pb::SetDeadlineRequest, pb::SetDeadlineResponse>(
      context, raw_request, raw_response,
      [&](const pb::SetDeadlineRequest* request,
          pb::SetDeadlineResponse* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(state_.Serving());
        CANCELABLE_RETURN_IF_ERROR(ValidateSetDeadlineRequest(*request));
        const Principal who = state_.identity.Of(*context);
        if (request->target_case() == pb::SetDeadlineRequest::kToken) {
          CANCELABLE_RETURN_IF_ERROR(MayActOnToken(who, Verb::kDeadline, request->token()));
        } else {
          CANCELABLE_RETURN_IF_ERROR(MayActOn(who, Verb::kDeadline, request->operation_id()));
        }
        const std::optional<absl::Time> deadline = DeadlineFromProto(*request, state_.clock.Now());
        CANCELABLE_RETURN_IF_ERROR(
            request->target_case() == pb::SetDeadlineRequest::kToken
                ? state_.graph.SetTokenDeadline(request->token(), deadline)
                : state_.graph.SetOperationDeadline(request->operation_id(), deadline));
        if (deadline.has_value()) ToProto(*deadline, response->mutable_deadline());
        return absl::OkStatus();
      },
      &state_.store);
}

grpc::ServerUnaryReactor* CanceldService::ListConditions(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* raw_request,
                                                         grpc::ByteBuffer* raw_response) {
  return Unary<pb::ListConditionsRequest, pb::ListConditionsResponse>(
      context, raw_request, raw_response,
      [&](const pb::ListConditionsRequest* /*request*/,
          pb::ListConditionsResponse* response) -> absl::Status {
        for (const ConditionStatus& c : state_.conditions.List()) {
          ToProto(c, response->add_conditions());
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* CanceldService::GetDaemonInfo(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* raw_request,
                                                        grpc::ByteBuffer* raw_response) {
  return Unary<pb::GetDaemonInfoRequest, pb::DaemonInfo>(
      context, raw_request, raw_response,
      [&](const pb::GetDaemonInfoRequest* /*request*/, pb::DaemonInfo* response) -> absl::Status {
        response->set_version(kVersion);
        response->set_pid(getpid());
        ToProto(state_.start_time, response->mutable_start_time());
        response->set_state_store(state_.store.Describe());
        response->set_durability(state_.store.durability() == Durability::kSync ? "sync" : "batch");
        response->set_store_error(std::string(state_.store.health().message()));
        response->set_epoch(state_.graph.epoch());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* CanceldService::CheckAccess(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* raw_request,
                                                      grpc::ByteBuffer* raw_response) {
  return Unary<pb::CheckAccessRequest, pb::CheckAccessResponse>(
      context, raw_request, raw_response,
      [&](const pb::CheckAccessRequest* request,
          pb::CheckAccessResponse* response) -> absl::Status {
        CANCELABLE_RETURN_IF_ERROR(ValidateCheckAccessRequest(*request));
        const Principal who = state_.identity.Of(*context);
        response->set_principal(who.Text());
        CANCELABLE_ASSIGN_OR_RETURN(Verb verb, VerbNamed(request->verb()));
        // What the verb acts on: a token, an operation, or nothing in particular.
        const bool on_token =
            verb == Verb::kTokenCancel || verb == Verb::kTokenLink || verb == Verb::kTokenDelete ||
            (verb == Verb::kDeadline && request->target_case() == pb::CheckAccessRequest::kToken);
        const bool on_operation = !on_token && (verb == Verb::kCancel || verb == Verb::kDeadline);
        absl::Status allowed;
        std::string grant = verb == Verb::kCancelAll
                                ? (who.admin ? "an admin: over every operation"
                                             : "anyone, over the operations they own")
                                : "anyone who can connect";
        if (on_token || on_operation) {
          const std::string& target = on_token ? request->token() : request->operation_id();
          if (target.empty()) {
            return absl::InvalidArgumentError(absl::StrCat(on_token ? "token" : "operation_id",
                                                           ": required for ", request->verb()));
          }
          allowed = on_token ? MayActOnToken(who, verb, target) : MayActOn(who, verb, target);
          grant = who.admin  ? "an admin (root or the admin group)"
                  : on_token ? "the token's creator"
                             : "the operation's owner";
        }
        if (absl::IsNotFound(allowed)) return allowed;
        response->set_allowed(allowed.ok());
        response->set_reason(allowed.ok() ? absl::StrCat("allowed: ", grant)
                                          : std::string(allowed.message()));
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* CanceldService::Watch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw_request) {
  return new WatchReactor(state_, watchers_, context, *raw_request);
}

}  // namespace hother::cancelable::daemon
