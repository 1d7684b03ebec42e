#include "client/src/client_core.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/internal/endpoint.h"
#include "hother/cancelable/internal/random.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/signal_watcher.h"
#include "proto/wire.h"

namespace hother::cancelable::client_internal {

using wire::FromProto;
using wire::ToProto;

namespace {

std::string ThisProcessName() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  absl::StripAsciiWhitespace(&name);
  return name.empty() ? "unknown" : name;
}

std::string HostName() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

}  // namespace

ClientCore::ClientCore(ClientOptions options)
    : options_(std::move(options)), endpoint_(ResolveEndpoint(options_.endpoint)) {
  grpc::ChannelArguments args;
  // Our own backoff decides when to retry; keep gRPC's reconnect short.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options_.max_backoff)));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options_.initial_backoff)));
  stub_ = pb::Canceld::NewStub(
      grpc::CreateCustomChannel(endpoint_, grpc::InsecureChannelCredentials(), args));
}

ClientCore::~ClientCore() { Stop(); }

void ClientCore::StartThreads() {
  session_thread_ = std::thread([this] {
    SessionLoop();
    // When this thread was detached, the last reference may be this one:
    // the core is then destroyed here, after the loop, touching nothing more.
    std::shared_ptr<ClientCore> self;
    {
      internal::MutexLock lock(&mu_);
      self = std::move(keep_alive_);
    }
  });
  worker_thread_ = std::thread([this] { WorkerLoop(); });
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

void ClientCore::Stop() {
  {
    internal::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    changed_.SignalAll();
  }
  if (worker_thread_.joinable()) worker_thread_.join();
  SendRemoteCancels();  // cancels made just before the end still cascade
  {
    // What is queued goes out first (finishes included), for at most 1 s: a
    // daemon that stopped reading is then cut off.
    internal::MutexLock lock(&mu_);
    const absl::Time give_up = absl::Now() + absl::Seconds(1);
    while (stream_ != nullptr && (!outbox_.empty() || writing_)) {
      if (writable_.WaitWithDeadline(&mu_, give_up)) break;
    }
    // Given up on a daemon that does not read: a write in progress, or one the
    // writer would start on what is left, fails at once.
    if ((writing_ || !outbox_.empty()) && context_ != nullptr) context_->TryCancel();
    stop_writer_ = true;
    writable_.SignalAll();
  }
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    internal::MutexLock lock(&mu_);
    // A clean close: the daemon reads everything we sent (finishes included)
    // before it sees the end of the stream, then ends it.
    if (stream_ != nullptr) stream_->WritesDone();
    const absl::Time give_up = absl::Now() + absl::Seconds(1);
    while (connected_) {
      if (changed_.WaitWithDeadline(&mu_, give_up)) break;
    }
    if (context_ != nullptr) context_->TryCancel();
  }
  if (session_thread_.joinable()) {
    // Destroyed from a token callback on the session thread itself: it
    // cannot join itself; it ends on its own now that stopping_ is set.
    if (session_thread_.get_id() == std::this_thread::get_id()) {
      {
        internal::MutexLock lock(&mu_);
        keep_alive_ = shared_from_this();
      }
      session_thread_.detach();
    } else {
      session_thread_.join();
    }
  }
}

// --- Operations. ---

std::shared_ptr<OpRecord> ClientCore::NewOperation(StartOptions options) {
  auto record = std::make_shared<OpRecord>();
  record->name = std::move(options.name);
  record->labels = std::move(options.labels);
  record->metadata = std::move(options.metadata);
  record->parent_id = std::move(options.parent_id);
  record->tokens = std::move(options.tokens);
  record->signals = std::move(options.signals);
  record->conditions = std::move(options.conditions);
  if (options.parent != nullptr) {
    // The local scope follows the parent's, so the cascade works offline too.
    record->parent = options.parent->record_;
  }
  CancelableOptions scope_options;
  scope_options.name = record->name;
  scope_options.metadata = record->labels;
  if (record->parent != nullptr) scope_options.parent = &record->parent->scope;
  record->scope = Cancelable(scope_options);
  if (options.timeout.has_value()) {
    record->deadline = absl::Now() + *options.timeout;
    // Enforced locally too, so the deadline holds while the daemon is away.
    record->local_deadline = Scheduler::Default().At(
        *record->deadline, [scope = record->scope, timeout = *options.timeout] {
          scope.Cancel(CancelReason::kTimeout, TimeoutMessage(timeout));
        });
  }
  internal::MutexLock lock(&mu_);
  record->ref = next_ref_++;
  by_ref_[record->ref] = record;
  if (connected_) {
    pb::SessionRequest request;
    RegisterLocked(*record, *request.mutable_register_());
    WriteLocked(std::move(request));
  }
  return record;
}

void ClientCore::RegisterLocked(OpRecord& record, pb::RegisterRequest& batch) {
  // (A finished parent is not waited for: it may never be registered again.)
  if (record.parent != nullptr && !record.parent->finished &&
      (record.parent->id.empty() || record.parent->registered_generation != generation_ ||
       !record.parent->ready)) {
    record.waiting_for_parent = true;  // registered when the parent's reply arrives
    waiting_by_parent_[record.parent.get()].push_back(record.ref);
    return;
  }
  record.waiting_for_parent = false;
  pb::RegisterItem* item = batch.add_items();
  item->set_ref(record.ref);
  item->set_name(record.name);
  item->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  item->mutable_metadata()->insert(record.metadata.begin(), record.metadata.end());
  std::string parent_id = record.parent_id;
  if (record.parent != nullptr) parent_id = record.parent->id;
  item->set_parent_id(parent_id);
  if (record.deadline.has_value()) {
    // The remaining time, so a reconnect keeps the original deadline.
    absl::Duration left = std::max(*record.deadline - absl::Now(), absl::Milliseconds(1));
    ToProto(left, item->mutable_timeout());
  }
  item->set_previous_id(record.id);
  for (const std::string& token : record.tokens) item->add_tokens(token);
  for (int signo : record.signals) item->add_signals(SignalName(signo));
  for (const StartOptions::Condition& c : record.conditions) {
    pb::ConditionSubscription* sub = item->add_conditions();
    sub->set_condition(c.condition);
    ToProto(c.interval, sub->mutable_interval());
  }
  record.register_sent = true;
}

void ClientCore::AddFinishLocked(OpRecord& record, pb::FinishRequest& batch) {
  pb::FinishItem* item = batch.add_items();
  item->set_operation_id(record.id);
  item->set_status(record.final_status);
  item->set_error(record.final_error);
  record.finish_sent = true;
}

void ClientCore::ForgetLocked(const OpRecord& record) {
  by_ref_.erase(record.ref);
  if (!record.id.empty()) by_id_.erase(record.id);
}

std::string ClientCore::IdOf(const OpRecord& record) {
  internal::MutexLock lock(&mu_);
  return record.id;
}

bool ClientCore::WaitRegistered(const OpRecord& record, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  internal::MutexLock lock(&mu_);
  while (!record.ready && record.registration_error.ok()) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return record.ready;
}

absl::Status ClientCore::RegistrationError(const OpRecord& record) {
  internal::MutexLock lock(&mu_);
  return record.registration_error;
}

void ClientCore::ReportProgress(OpRecord& record, std::string message, Metadata metadata) {
  internal::MutexLock lock(&mu_);
  if (record.finished) return;
  record.pending_progress.emplace(std::move(message), std::move(metadata));
  progress_pending_.insert(record.ref);
}

bool ClientCore::Cancel(std::shared_ptr<OpRecord> record, std::string message) {
  if (record->scope.IsCancelled()) return false;
  {
    // Queued first, so a finish made by a callback of the local cancel waits
    // for it: the daemon must see the cancel (and cascade it) before the end.
    // Armed only once the local cancel is done, so the daemon's echo of it
    // cannot arrive first and make this call look like it lost.
    internal::MutexLock lock(&mu_);
    record->cancel_pending = true;
    record->cancel_armed = false;
    remote_cancels_.emplace_back(record, message);
  }
  const bool first = record->scope.Cancel(CancelReason::kManual, std::move(message));
  internal::MutexLock lock(&mu_);
  record->cancel_armed = true;
  changed_.SignalAll();
  return first;
}

void ClientCore::Finish(const std::shared_ptr<OpRecord>& record, const absl::Status& outcome) {
  pb::OperationStatus status = pb::OPERATION_STATUS_COMPLETED;
  std::string error;
  if (!outcome.ok()) {
    std::optional<CancelReason> reason = ReasonOfStatus(outcome);
    if (reason.has_value()) {
      status = absl::IsDeadlineExceeded(outcome) ? pb::OPERATION_STATUS_TIMEOUT
                                                 : pb::OPERATION_STATUS_CANCELLED;
    } else {
      status = pb::OPERATION_STATUS_FAILED;
      error = std::string(outcome.message());
    }
  }
  Scheduler::Timer deadline;  // destroyed outside the lock
  internal::MutexLock lock(&mu_);
  if (record->finished) return;
  record->finished = true;
  record->final_status = status;
  record->final_error = std::move(error);
  record->pending_progress.reset();
  deadline = std::move(record->local_deadline);
  // Not yet registered: the Registered answer sends it; a cancel pending: the
  // worker sends it after the cancel. Disconnected: nothing to send (a new
  // daemon never knew it; the old one marked it lost).
  if (!connected_) {
    ForgetLocked(*record);
    return;
  }
  MaybeSendFinishLocked(*record);
}

void ClientCore::MaybeSendFinishLocked(OpRecord& record) {
  if (!record.finished || record.finish_sent || record.cancel_pending || record.id.empty() ||
      record.registered_generation != generation_) {
    return;
  }
  pb::SessionRequest request;
  AddFinishLocked(record, *request.mutable_finish());
  WriteLocked(std::move(request));
  ForgetLocked(record);
}

// --- Connection state. ---

bool ClientCore::connected() const {
  internal::MutexLock lock(&mu_);
  return connected_;
}

bool ClientCore::WaitConnected(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  internal::MutexLock lock(&mu_);
  while (!connected_ && !stopping_) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return connected_;
}

uint64_t ClientCore::session_id() const {
  internal::MutexLock lock(&mu_);
  return connected_ ? session_id_ : 0;
}

void ClientCore::WriteLocked(pb::SessionRequest request) {
  if (stream_ == nullptr || stop_writer_) return;
  const size_t bytes = request.ByteSizeLong();
  if (outbox_.empty() ||
      !wire::MergeBatch(outbox_.back().message, outbox_.back().bytes, request, bytes)) {
    outbox_.push_back({std::move(request), bytes});
  }
  writable_.Signal();
}

void ClientCore::DetachStreamLocked() {
  // TRICKY: the writer may be writing to this stream outside the lock; the
  // caller cancels the call (which fails such a write) and then waits here,
  // so the stream is never finished or destroyed under a write, and nothing
  // queued for it goes to the next one.
  stream_ = nullptr;
  outbox_.clear();
  writable_.SignalAll();
}

void ClientCore::WriterLoop() {
  for (;;) {
    std::deque<Queued> batch;
    Stream* stream;
    {
      internal::MutexLock lock(&mu_);
      while (!stop_writer_ && (outbox_.empty() || stream_ == nullptr)) writable_.Wait(&mu_);
      if (outbox_.empty() || stream_ == nullptr) return;  // stopping, nothing left to send
      batch.swap(outbox_);
      stream = stream_;
      writing_ = true;
    }
    // The stream stays valid while writing_ is set (see DetachStreamLocked).
    bool ok = true;
    for (Queued& queued : batch) {
      for (const pb::SessionRequest& part : wire::SplitBatch(std::move(queued.message))) {
        ok = ok && stream->Write(part);
      }
    }
    internal::MutexLock lock(&mu_);
    writing_ = false;
    writable_.SignalAll();
  }
}

// --- The session thread. ---

void ClientCore::SessionLoop() {
  absl::Duration backoff = options_.initial_backoff;
  for (;;) {
    {
      internal::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    const absl::Time started = absl::Now();
    RunSession();
    if (absl::Now() - started > absl::Seconds(10)) backoff = options_.initial_backoff;
    // Exponential backoff with full jitter, interrupted by Stop.
    absl::Duration sleep =
        backoff * std::uniform_real_distribution<double>(0.5, 1.0)(internal::ThreadRandom());
    backoff = std::min(backoff * 2, options_.max_backoff);
    const absl::Time wake = absl::Now() + sleep;
    internal::MutexLock lock(&mu_);
    while (!stopping_) {
      if (changed_.WaitWithDeadline(&mu_, wake)) break;
    }
  }
}

void ClientCore::RunSession() {
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream;
  {
    internal::MutexLock lock(&mu_);
    if (stopping_) return;
    context_ = &context;
    attempt_started_ = absl::Now();
  }
  stream = stub_->Session(&context);
  pb::SessionRequest hello;
  {
    internal::MutexLock lock(&mu_);
    pb::Hello* h = hello.mutable_hello();
    h->set_process_name(options_.process_name.empty() ? ThisProcessName() : options_.process_name);
    h->set_pid(getpid());
    h->set_host(HostName());
    h->mutable_labels()->insert(options_.labels.begin(), options_.labels.end());
    h->set_previous_session_id(previous_session_id_);
  }
  pb::SessionResponse response;
  if (stream->Write(hello) && stream->Read(&response) && response.has_welcome()) {
    internal::MutexLock lock(&mu_);
    stream_ = stream.get();
    connected_ = true;
    ++generation_;
    session_id_ = response.welcome().session_id();
    previous_session_id_ = session_id_;
    heartbeat_interval_ =
        std::max(FromProto(response.welcome().heartbeat_interval()), absl::Milliseconds(50));
    lease_timeout_ =
        std::max(FromProto(response.welcome().lease_timeout()), 2 * heartbeat_interval_);
    last_heard_ = absl::Now();
    // Everything live is registered again; what finished while away is
    // forgotten (a new daemon never knew it; the old one marked it lost).
    pb::SessionRequest again;
    std::vector<std::shared_ptr<OpRecord>> records;
    for (auto& [ref, record] : by_ref_) records.push_back(record);
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a->ref < b->ref; });  // parents first
    for (auto& record : records) {
      if (record->finished) {
        ForgetLocked(*record);
        continue;
      }
      record->register_sent = false;
      record->ready = false;
      RegisterLocked(*record, *again.mutable_register_());
    }
    if (again.has_register_()) WriteLocked(std::move(again));
    changed_.SignalAll();
    Log(LogLevel::kInfo, "connected to canceld",
        {{"endpoint", endpoint_}, {"session", absl::StrCat(session_id_)}});
    response.Clear();
  } else {
    response.Clear();
  }
  bool was_connected;
  {
    internal::MutexLock lock(&mu_);
    was_connected = connected_;
  }
  while (was_connected && stream->Read(&response)) {
    {
      internal::MutexLock lock(&mu_);
      handling_ = true;
    }
    HandleResponse(response);  // may run token callbacks for a while
    response.Clear();
    internal::MutexLock lock(&mu_);
    handling_ = false;
    last_heard_ = absl::Now();
  }
  {
    internal::MutexLock lock(&mu_);
    DetachStreamLocked();
    context_ = nullptr;
    if (connected_) {
      Log(LogLevel::kWarning, "lost the connection to canceld; reconnecting",
          {{"endpoint", endpoint_}});
    }
    connected_ = false;
    changed_.SignalAll();
  }
  context.TryCancel();
  {
    internal::MutexLock lock(&mu_);
    while (writing_) writable_.Wait(&mu_);
  }
  stream->Finish();
}

void ClientCore::HandleResponse(const pb::SessionResponse& response) {
  switch (response.kind_case()) {
    case pb::SessionResponse::kRegistered: {
      std::vector<std::pair<std::shared_ptr<OpRecord>, pb::CancelDetails>> cancelled;
      std::vector<std::shared_ptr<OpRecord>> registered;
      {
        internal::MutexLock lock(&mu_);
        for (const pb::RegisteredItem& item : response.registered().items()) {
          auto it = by_ref_.find(item.ref());
          if (it == by_ref_.end()) continue;
          std::shared_ptr<OpRecord> record = it->second;
          if (!record->id.empty() && record->id != item.operation_id()) by_id_.erase(record->id);
          record->id = item.operation_id();
          record->registered_generation = generation_;
          record->registration_error = absl::OkStatus();
          by_id_[record->id] = record;
          if (item.has_cancel()) cancelled.emplace_back(record, item.cancel());
          registered.push_back(record);
        }
      }
      // A start-cancel is applied before anyone is told the operation is ready.
      for (auto& [record, details] : cancelled) DeliverCancel(record, details);
      internal::MutexLock lock(&mu_);
      pb::SessionRequest children;
      for (auto& record : registered) {
        record->ready = true;
        MaybeSendFinishLocked(*record);
        // Children held back for this parent can now name it.
        auto waiting = waiting_by_parent_.find(record.get());
        if (waiting == waiting_by_parent_.end()) continue;
        std::vector<uint64_t> refs = std::move(waiting->second);
        waiting_by_parent_.erase(waiting);
        for (uint64_t ref : refs) {
          auto child = by_ref_.find(ref);
          if (child != by_ref_.end() && child->second->waiting_for_parent &&
              !child->second->finished) {
            RegisterLocked(*child->second, *children.mutable_register_());
          }
        }
      }
      if (children.has_register_()) WriteLocked(std::move(children));
      changed_.SignalAll();
      break;
    }
    case pb::SessionResponse::kCancel: {
      std::vector<std::pair<std::shared_ptr<OpRecord>, const pb::CancelDetails*>> targets;
      {
        internal::MutexLock lock(&mu_);
        for (const pb::CancelItem& item : response.cancel().items()) {
          auto it = by_id_.find(item.operation_id());
          if (it != by_id_.end()) targets.emplace_back(it->second, &item.cancel());
        }
      }
      // Deepest first: the daemon lists a cascade root first, and the local
      // parent links would otherwise cancel children with local records
      // before the daemon's own (with its ids and actor) arrive.
      for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
        DeliverCancel(it->first, *it->second);
      }
      break;
    }
    case pb::SessionResponse::kErrors: {
      internal::MutexLock lock(&mu_);
      for (const pb::SessionError& error : response.errors().items()) {
        Log(LogLevel::kWarning, absl::StrCat("canceld refused a request: ", error.message()),
            {{"operation_id", error.operation_id()}});
        if (error.ref() == 0) continue;
        auto it = by_ref_.find(error.ref());
        if (it == by_ref_.end()) continue;
        it->second->registration_error =
            absl::Status(static_cast<absl::StatusCode>(error.code()), error.message());
      }
      changed_.SignalAll();
      break;
    }
    default:
      break;  // heartbeats: the read itself shows the daemon is alive
  }
}

void ClientCore::DeliverCancel(const std::shared_ptr<OpRecord>& record,
                               const pb::CancelDetails& details) {
  // The daemon's record, with its cause chain, becomes the local token's.
  record->scope.token().CancelWithRecord(FromProto(details));
}

// --- The worker thread: heartbeats, coalesced progress, remote cancels. ---

void ClientCore::WorkerLoop() {
  absl::Time next_heartbeat = absl::Now();
  for (;;) {
    bool have_cancels = false;
    {
      internal::MutexLock lock(&mu_);
      if (stopping_) return;
      const absl::Time now = absl::Now();
      if (connected_) {
        pb::SessionRequest progress;
        for (auto it = progress_pending_.begin(); it != progress_pending_.end();) {
          auto found = by_ref_.find(*it);
          if (found == by_ref_.end() || !found->second->pending_progress.has_value()) {
            progress_pending_.erase(it++);  // forgotten, or sent with its finish
            continue;
          }
          const std::shared_ptr<OpRecord>& record = found->second;
          if (record->id.empty() || record->registered_generation != generation_) {
            ++it;  // once it is registered in this session
            continue;
          }
          progress_pending_.erase(it++);
          pb::ProgressItem* item = progress.mutable_progress()->add_items();
          item->set_operation_id(record->id);
          item->set_message(std::move(record->pending_progress->first));
          item->mutable_metadata()->insert(record->pending_progress->second.begin(),
                                           record->pending_progress->second.end());
          record->pending_progress.reset();
        }
        if (progress.has_progress()) WriteLocked(std::move(progress));
        if (now >= next_heartbeat) {
          pb::SessionRequest beat;
          beat.mutable_heartbeat();
          WriteLocked(std::move(beat));
          next_heartbeat = now + heartbeat_interval_;
        }
        if (!handling_ && now - last_heard_ > lease_timeout_ && context_ != nullptr) {
          // Stopped or hung: what is queued is dropped with the session, the
          // operations carry on locally and are registered again on reconnect.
          Log(LogLevel::kWarning, "canceld stopped answering; reconnecting",
              {{"endpoint", endpoint_}, {"silent_for", absl::FormatDuration(now - last_heard_)}});
          context_->TryCancel();
          last_heard_ = now;  // once per lease
        }
      }
      if (!connected_ && context_ != nullptr && now - attempt_started_ > lease_timeout_) {
        // A daemon that accepts the stream but never welcomes it is stuck too.
        context_->TryCancel();
        attempt_started_ = now;
      }
      for (const auto& [record, message] : remote_cancels_) {
        have_cancels |= connected_ && record->cancel_armed && !record->id.empty() &&
                        record->registered_generation == generation_;
      }
      if (!have_cancels) {
        const absl::Time wake = std::min(now + options_.progress_interval,
                                         connected_ ? next_heartbeat : now + absl::Seconds(1));
        changed_.WaitWithDeadline(&mu_, wake);
        continue;
      }
    }
    SendRemoteCancels();
  }
}

void ClientCore::SendRemoteCancels() {
  std::vector<std::pair<std::shared_ptr<OpRecord>, std::string>> cancels;
  {
    internal::MutexLock lock(&mu_);
    // Only operations registered in this session go out; the rest wait.
    for (auto it = remote_cancels_.begin(); it != remote_cancels_.end();) {
      if (!connected_ || !it->first->cancel_armed || it->first->id.empty() ||
          it->first->registered_generation != generation_) {
        ++it;
        continue;
      }
      cancels.push_back(std::move(*it));
      it = remote_cancels_.erase(it);
    }
  }
  for (const auto& [record, message] : cancels) {
    std::string id;
    {
      internal::MutexLock lock(&mu_);
      id = record->id;
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    pb::CancelRequest request;
    request.set_id(id);
    request.set_message(message);
    request.set_actor(absl::StrCat("sdk pid=", getpid()));
    pb::CancelResponse response;
    grpc::Status status = stub_->Cancel(&context, request, &response);
    if (!status.ok()) {
      Log(LogLevel::kWarning, absl::StrCat("could not cancel at canceld: ", status.error_message()),
          {{"operation_id", id}});
    }
    // Now the finish that waited for this cancel may go.
    internal::MutexLock lock(&mu_);
    record->cancel_pending = false;
    MaybeSendFinishLocked(*record);
  }
}

}  // namespace hother::cancelable::client_internal
