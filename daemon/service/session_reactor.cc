#include "daemon/service/session_reactor.h"

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/daemon_signals.h"
#include "daemon/service/convert.h"
#include "daemon/service/raw_message.h"
#include "daemon/service/validate.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/version.h"
#include "proto/wire.h"

namespace hother::cancelable::daemon {

// The session's sink in the table: outlives the reactor, forwards to it while
// it is alive.
class SessionReactor::Channel : public SessionSink {
 public:
  explicit Channel(SessionReactor* reactor) : reactor_(reactor) {}

  void DeliverCancels(std::vector<CancelDelivery> items) override {
    internal::MutexLock lock(&mu_);
    if (reactor_ == nullptr || items.empty()) return;
    // The SDK applies a notice's items last to first (a cascade's root comes
    // first, and must not reach local children before their own daemon
    // records do); so, split, the parts go last to first as well. Each part
    // is built and queued (serialized) before the next, within the wire's
    // budgets: a cascade of 100,000 never exists as one message.
    std::vector<std::unique_ptr<pb::CancelItem>> reversed;  // the part's items, last first
    size_t bytes = 0;
    auto flush = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (reversed.empty()) return true;
      pb::SessionResponse message;
      auto* out = message.mutable_cancel()->mutable_items();
      out->Reserve(static_cast<int>(reversed.size()));
      for (auto it = reversed.rbegin(); it != reversed.rend(); ++it)
        out->AddAllocated(it->release());
      reversed.clear();
      bytes = 0;
      return reactor_->writes_.Push(message);
    };
    for (auto it = items.rbegin(); it != items.rend(); ++it) {
      auto item = std::make_unique<pb::CancelItem>();
      item->set_operation_id(it->operation_id);
      ToProto(*it->details, item->mutable_cancel());
      const size_t item_bytes = item->ByteSizeLong();
      if (reversed.size() == static_cast<size_t>(wire::kMaxBatchItems) ||
          bytes + item_bytes > wire::kMaxBatchBytes) {
        if (!flush()) return;  // finishing (or past its bound)
      }
      reversed.push_back(std::move(item));
      bytes += item_bytes;
    }
    flush();
  }

  void End(absl::Status why, bool flush) override {
    internal::MutexLock lock(&mu_);
    if (reactor_ == nullptr) return;
    if (flush) {
      reactor_->writes_.Finish(ToGrpc(why), /*drain=*/true);
    } else {  // a lapsed lease: the client may not be reading either
      reactor_->writes_.Abort(ToGrpc(why));
    }
  }

  void Detach() {
    internal::MutexLock lock(&mu_);
    reactor_ = nullptr;
  }

  // Pushes `message` while the stream is open (from any thread: the store's
  // committer acknowledges finishes once they are durable).
  void Push(const pb::SessionResponse& message) {
    internal::MutexLock lock(&mu_);
    if (reactor_ != nullptr) reactor_->writes_.Push(message);
  }

  // The handshake timer's end of a stream that sent no Hello in time.
  void EndIfNoHello(absl::Duration timeout) {
    internal::MutexLock lock(&mu_);
    if (reactor_ == nullptr || welcomed_) return;
    reactor_->writes_.Finish(ToGrpc(
        absl::DeadlineExceededError(absl::StrCat("no Hello within ", absl::FormatDuration(timeout),
                                                 " of the stream's start (--handshake-timeout)"))));
  }
  void Welcomed() {
    internal::MutexLock lock(&mu_);
    welcomed_ = true;
  }

  // Runs `fn` (which registers and pushes the Registered reply) holding the
  // delivery lock: a cancel of a just-registered operation, made by another
  // thread meanwhile, is pushed after the reply that tells its id.
  template <typename F>
  void InOrder(F fn) {
    internal::MutexLock lock(&mu_);
    fn();
  }

 private:
  internal::Mutex mu_;
  SessionReactor* reactor_ ABSL_GUARDED_BY(mu_);
  bool welcomed_ ABSL_GUARDED_BY(mu_) = false;
};

namespace {

std::string ThisHost() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

// One refused item of a batch, reported without ending the stream.
void AddError(pb::SessionResponse& errors, uint64_t ref, const std::string& operation_id,
              const absl::Status& status) {
  pb::SessionError* error = errors.mutable_errors()->add_items();
  error->set_ref(ref);
  error->set_operation_id(operation_id);
  error->set_code(static_cast<int32_t>(status.code()));
  error->set_message(std::string(status.message()));
}

}  // namespace

SessionReactor::SessionReactor(DaemonState& state, grpc::CallbackServerContext* context)
    : state_(state),
      context_(context),
      peer_(context->peer()),
      writes_(this, context, &state.scheduler, state.limits.session_queue_bytes,
              "--session-queue-bytes"),
      channel_(std::make_shared<Channel>(this)) {
  if (absl::Status admitted = state_.sessions.BeginHandshake(peer_); !admitted.ok()) {
    writes_.Finish(ToGrpc(admitted));
    return;
  }
  handshaking_ = true;
  handshake_timer_ = state_.scheduler.After(
      state_.limits.handshake_timeout,
      [channel = std::weak_ptr<Channel>(channel_), timeout = state_.limits.handshake_timeout] {
        if (std::shared_ptr<Channel> c = channel.lock()) c->EndIfNoHello(timeout);
      });
  StartRead(&read_);
}

void SessionReactor::OnReadDone(bool ok) {
  if (!ok) {  // the client closed its side, or the stream broke
    writes_.Finish(grpc::Status::OK);
    return;
  }
  pb::SessionRequest request;
  absl::Status decoded = Decode(read_, &request);
  read_.Clear();
  if (!decoded.ok()) {
    writes_.Finish(ToGrpc(absl::InvalidArgumentError(
        absl::StrCat("session: ", decoded.message(), "; the stream ends"))));
    return;
  }
  if (Handle(request)) ReadNext();
}

void SessionReactor::ReadNext() {
  {
    internal::MutexLock lock(&read_mu_);
    if (writes_.bytes() > kReadPauseBytes) {
      read_paused_ = true;  // OnWriteDone reads on once the client has taken its replies
      return;
    }
  }
  StartRead(&read_);
}

void SessionReactor::OnWriteDone(bool ok) {
  writes_.WriteDone(ok);
  if (!ok) return;
  // The client took a reply: it is alive, even while its requests wait.
  if (SessionLease* lease = renew_.load()) lease->Touch();
  {
    internal::MutexLock lock(&read_mu_);
    if (!read_paused_ || writes_.bytes() > kReadPauseBytes / 2 || writes_.finishing()) return;
    read_paused_ = false;
  }
  StartRead(&read_);
}

bool SessionReactor::Handle(const pb::SessionRequest& request) {
  if (lease_ == nullptr) {
    if (!request.has_hello()) {
      writes_.Finish(
          ToGrpc(absl::FailedPreconditionError("the first message of a session must be a Hello")));
      return false;
    }
    return HandleHello(request.hello());
  }
  lease_->Touch();
  if (absl::Status batch = ValidateBatchSize(request); !batch.ok()) {
    writes_.Finish(ToGrpc(batch));
    return false;
  }
  switch (request.kind_case()) {
    case pb::SessionRequest::kRegister:
      HandleRegister(request.register_());
      return !writes_.finishing();
    case pb::SessionRequest::kProgress:
      HandleProgress(request.progress());
      return !writes_.finishing();
    case pb::SessionRequest::kFinish:
      HandleFinish(request.finish());
      return !writes_.finishing();
    case pb::SessionRequest::kHeartbeat: {
      pb::SessionResponse beat;
      beat.mutable_heartbeat();
      return writes_.Push(beat);
    }
    case pb::SessionRequest::kHello:
      writes_.Finish(ToGrpc(absl::FailedPreconditionError("a session sends one Hello, first")));
      return false;
    case pb::SessionRequest::KIND_NOT_SET:
      writes_.Finish(
          ToGrpc(absl::InvalidArgumentError("kind: a SessionRequest must carry a message")));
      return false;
  }
  return true;
}

void SessionReactor::EndHandshake() {
  if (!handshaking_) return;
  handshaking_ = false;
  state_.sessions.EndHandshake(peer_);
}

bool SessionReactor::HandleHello(const pb::Hello& hello) {
  channel_->Welcomed();
  handshake_timer_.Reset();
  EndHandshake();
  if (state_.draining.load()) {
    writes_.Finish(ToGrpc(ShuttingDown()));
    return false;
  }
  if (absl::Status valid = ValidateHello(hello); !valid.ok()) {
    writes_.Finish(ToGrpc(valid));
    return false;
  }
  // The owner as verified: a local client's uid and pid are the kernel's
  // (the Hello's pid is its word, used only when nothing is verified); its
  // process name is its word.
  const Principal principal = state_.identity.OfPeer(peer_);
  Owner owner;
  owner.process_name = hello.process_name();
  owner.pid = principal.kind == Principal::Kind::kUnix ? principal.pid : hello.pid();
  owner.host = principal.kind == Principal::Kind::kUnix ? ThisHost() : hello.host();
  owner.principal = principal.Key();
  owner.uid = principal.kind == Principal::Kind::kUnix ? static_cast<int64_t>(principal.uid) : -1;
  owner.user = principal.user;
  // A client on this host, over the unix socket: its process's exit is
  // watched, by the pid the kernel gave.
  const bool local = principal.kind == Principal::Kind::kUnix;
  absl::StatusOr<std::unique_ptr<SessionLease>> opened =
      state_.sessions.Open(owner, channel_, local);
  if (!opened.ok()) {
    writes_.Finish(ToGrpc(opened.status()));
    return false;
  }
  lease_ = *std::move(opened);
  renew_.store(lease_.get());
  // A broken stream's session, presented with its secret: resumed, its
  // operations this session's, same ids.
  bool resumed = false;
  if (hello.previous_session_id() != 0 && !hello.previous_session_secret().empty()) {
    absl::StatusOr<Owner> previous =
        state_.sessions.TakeOver(hello.previous_session_id(), hello.previous_session_secret(),
                                 lease_->session_id(), owner.principal);
    if (previous.ok()) {
      state_.graph.ResumeSession(previous->session_id, lease_->owner());
      resumed = true;
    } else {
      Log(LogLevel::kInfo, "session not resumed",
          {{"previous_session", absl::StrCat(hello.previous_session_id())},
           {"why", std::string(previous.status().message())}});
    }
  }
  if (state_.draining.load()) {  // shutdown began while we opened: end it too
    writes_.Finish(ToGrpc(ShuttingDown()));
    return false;
  }
  Log(LogLevel::kInfo, "session opened",
      {{"session", absl::StrCat(lease_->owner().session_id)},
       {"process", lease_->owner().process_name},
       {"pid", absl::StrCat(lease_->owner().pid)},
       {"principal", principal.Text()},
       {"resumed", resumed ? absl::StrCat(hello.previous_session_id()) : "no"},
       {"sdk_version", hello.sdk_version().empty() ? "unknown" : hello.sdk_version()}});
  pb::SessionResponse response;
  pb::Welcome* welcome = response.mutable_welcome();
  welcome->set_session_id(lease_->owner().session_id);
  ToProto(state_.limits.heartbeat_interval, welcome->mutable_heartbeat_interval());
  ToProto(state_.limits.lease_timeout, welcome->mutable_lease_timeout());
  welcome->set_daemon_version(kVersion);
  welcome->set_session_secret(lease_->secret());
  welcome->set_resumed(resumed);
  return writes_.Push(response);
}

void SessionReactor::HandleRegister(const pb::RegisterRequest& request) {
  channel_->InOrder([&] { RegisterInOrder(request); });
}

void SessionReactor::RegisterInOrder(const pb::RegisterRequest& request) {
  pb::SessionResponse registered;
  pb::SessionResponse errors;
  for (int i = 0; i < request.items_size(); ++i) {
    const pb::RegisterItem& item = request.items(i);
    absl::Status status = ValidateRegisterItem(absl::StrCat("register.items[", i, "]"), item);
    // Conditions resolve before registering: a bad one refuses the operation.
    std::vector<std::pair<std::string, absl::Duration>> conditions;
    for (int c = 0; status.ok() && c < item.conditions_size(); ++c) {
      absl::StatusOr<std::string> key = state_.conditions.Resolve(item.conditions(c).condition());
      if (!key.ok()) {
        status = absl::InvalidArgumentError(
            absl::StrCat("register.items[", i, "].conditions[", c, "]: ", key.status().message()));
        break;
      }
      absl::Duration interval = item.conditions(c).has_interval()
                                    ? FromProto(item.conditions(c).interval())
                                    : kDefaultConditionInterval;
      conditions.emplace_back(*std::move(key), interval);
    }
    absl::StatusOr<RegisterResult> result = absl::UnknownError("not registered");
    if (!status.ok()) {
      result = status;
    } else {
      result = state_.graph.Register(lease_->owner(), FromProto(item));
    }
    if (!result.ok()) {
      AddError(errors, item.ref(), "", result.status());
      continue;
    }
    for (const auto& [key, interval] : conditions) {
      state_.graph.Hold(result->id, state_.conditions.Subscribe(result->id, key, interval));
    }
    pb::RegisteredItem* out = registered.mutable_registered()->add_items();
    out->set_ref(item.ref());
    out->set_operation_id(result->id);
    if (result->cancelled != nullptr) ToProto(*result->cancelled, out->mutable_cancel());
    if (LogEnabled()) {
      Log(LogLevel::kDebug, "operation registered",
          {{"id", result->id},
           {"name", item.name()},
           {"session", absl::StrCat(lease_->owner().session_id)}});
    }
  }
  if (registered.has_registered()) writes_.Push(registered);
  if (errors.has_errors()) writes_.Push(errors);
}

void SessionReactor::HandleProgress(const pb::ProgressRequest& request) {
  pb::SessionResponse errors;
  for (int i = 0; i < request.items_size(); ++i) {
    const pb::ProgressItem& item = request.items(i);
    absl::Status status = ValidateProgressItem(absl::StrCat("progress.items[", i, "]"), item);
    if (status.ok()) {
      status = state_.graph.ReportProgress(lease_->owner().session_id, item.operation_id(),
                                           item.message(),
                                           Labels(item.metadata().begin(), item.metadata().end()));
    }
    if (!status.ok()) AddError(errors, 0, item.operation_id(), status);
  }
  if (errors.has_errors()) writes_.Push(errors);
}

void SessionReactor::HandleFinish(const pb::FinishRequest& request) {
  pb::SessionResponse errors;
  pb::SessionResponse finished;
  for (int i = 0; i < request.items_size(); ++i) {
    const pb::FinishItem& item = request.items(i);
    absl::Status status = ValidateFinishItem(absl::StrCat("finish.items[", i, "]"), item);
    std::optional<OpStatus> final_status = FinalStatusFromProto(item.status());
    if (status.ok() && !final_status.has_value()) {
      status = absl::InvalidArgumentError(
          absl::StrCat("finish.items[", i, "].status: ", pb::OperationStatus_Name(item.status()),
                       " is not a final status (COMPLETED, CANCELLED, FAILED, TIMEOUT)"));
    }
    if (status.ok()) {
      status = state_.graph.Finish(lease_->owner().session_id, item.operation_id(), *final_status,
                                   item.error());
    }
    if (status.ok()) {
      finished.mutable_finished()->add_operation_ids(item.operation_id());
    } else {
      AddError(errors, 0, item.operation_id(), status);
    }
  }
  // Acknowledged once durable: a client forgets a finish on its Finished, and
  // a crash must not lose what it forgot.
  if (finished.has_finished()) {
    state_.store.Sync(
        [channel = channel_, finished = std::move(finished)](const absl::Status& kept) {
          if (kept.ok()) channel->Push(finished);  // else: not acknowledged; sent again later
        });
  }
  if (errors.has_errors()) writes_.Push(errors);
}

void SessionReactor::OnCancel() {
  writes_.Finish(ToGrpc(absl::CancelledError("the session was cancelled")));
}

void SessionReactor::OnDone() {
  channel_->Detach();
  EndHandshake();
  renew_.store(nullptr);
  if (lease_ != nullptr) {
    const Owner owner = lease_->owner();
    const std::optional<grpc::Status> status = writes_.finish_status();
    const bool protocol_error =
        status.has_value() && (status->error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                               status->error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
                               status->error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
    // A stream that broke (not closed by the client, not ended by us for its
    // lease) keeps its session for the lease: the client may resume it,
    // unless its process is known to have exited.
    const bool broken =
        context_->IsCancelled() &&
        !(status.has_value() && (status->error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                                 status->error_code() == grpc::StatusCode::ABORTED));
    if ((protocol_error || broken) && !state_.draining.load() &&
        !state_.sessions.owner_exited(owner.session_id)) {
      // Its operations are kept as the lease says: the same process may come
      // back and take them over; when the lease lapses they are LOST.
      state_.graph.SessionDetached(owner.session_id);
      state_.sessions.Detach(std::move(lease_));
      Log(LogLevel::kWarning, "session stream ended; its lease runs on for the client to resume it",
          {{"session", absl::StrCat(owner.session_id)},
           {"process", owner.process_name},
           {"error", status.has_value() ? status->error_message() : "the stream broke"}});
    } else {
      lease_.reset();  // closes the session
      if (!state_.draining.load()) {
        state_.graph.SessionEnded(owner, "ended its session without finishing it");
      }
      Log(LogLevel::kInfo, "session closed",
          {{"session", absl::StrCat(owner.session_id)}, {"process", owner.process_name}});
    }
  }
  delete this;
}

}  // namespace hother::cancelable::daemon
