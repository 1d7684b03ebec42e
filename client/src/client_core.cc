#include "client/src/client_core.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/src/daemon_channel.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/internal/endpoint.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/signal_watcher.h"
#include "proto/wire.h"

namespace hother::cancelable::client_internal {

using wire::FromProto;
using wire::ToProto;

ClientCore::ClientCore(ClientOptions options)
    : options_(std::move(options)),
      endpoint_(ResolveEndpoint(options_.endpoint)),
      scheduler_(options_.scheduler != nullptr ? *options_.scheduler : Scheduler::Default()),
      clock_(scheduler_.clock()) {
  clock_moved_ = clock_.OnAdvance([this] {
    internal::MutexLock lock(&mu_);
    changed_.SignalAll();
  });
  // Our own backoff decides when to retry; keep gRPC's reconnect short.
  channel_args_.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                       static_cast<int>(absl::ToInt64Milliseconds(options_.max_backoff)));
  channel_args_.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
                       static_cast<int>(absl::ToInt64Milliseconds(options_.initial_backoff)));
}

absl::Status ClientCore::Dial() {
  DaemonTrust trust;
  trust.extra_uids.assign(options_.trust_uids.begin(), options_.trust_uids.end());
  const char* env = std::getenv("CANCELD_ENDPOINT");
  trust.explicit_endpoint = !options_.endpoint.empty() || (env != nullptr && *env != '\0');
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      DialDaemon(endpoint_, trust, channel_args_);
  if (!channel.ok()) return channel.status();
  auto stub = std::shared_ptr<pb::Canceld::Stub>(pb::Canceld::NewStub(*channel));
  internal::MutexLock lock(&mu_);
  stub_ = std::move(stub);
  return absl::OkStatus();
}

ClientCore::~ClientCore() {
  Stop();
  clock_moved_.reset();
}

bool ClientCore::WaitUntilLocked(internal::CondVar& cv, absl::Time when) {
  cv.WaitWithDeadline(&mu_, clock_.WakeTimeFor(when));
  return clock_.Now() >= when;
}

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

absl::Status ClientCore::ForkedError() const {
  return absl::FailedPreconditionError(absl::StrCat(
      "this Client belongs to process ", owner_pid_, ", and this is its forked child ", getpid(),
      ": a child must create its own Client (the parent's session is the parent's)"));
}

void ClientCore::Stop() {
  if (Forked()) {
    // The threads are the parent's; the child has none to join.
    for (std::thread* t : {&session_thread_, &worker_thread_, &writer_thread_}) {
      if (t->joinable()) t->detach();
    }
    return;
  }
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
  if (Forked()) {
    // A local operation only: nothing reaches the parent's session.
    record->registration_error = ForkedError();
    return record;
  }
  if (options.timeout.has_value()) {
    record->timeout = options.timeout;
    record->deadline = clock_.Now() + *options.timeout;
    // Enforced locally too, so the deadline holds while the daemon is away.
    record->local_deadline =
        scheduler_.At(*record->deadline, [scope = record->scope, timeout = *options.timeout] {
          scope.Cancel(CancelReason::kTimeout, TimeoutMessage(timeout));
        });
  }
  record->on_local_cancel.emplace(record->scope.token().OnCancel(
      [core = weak_from_this(),
       weak = std::weak_ptr<OpRecord>(record)](const CancellationDetails& d) {
        std::shared_ptr<ClientCore> c = core.lock();
        std::shared_ptr<OpRecord> r = weak.lock();
        if (c != nullptr && r != nullptr) c->OnLocalCancel(r, d);
      }));
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
  if (record.parent != nullptr && !record.parent->finished() &&
      (record.parent->id.empty() || record.parent->registered_generation != generation_ ||
       record.parent->registration != OpRecord::Registration::kReady)) {
    // Registered when the parent's reply arrives.
    record.registration = OpRecord::Registration::kWaitingForParent;
    waiting_by_parent_[record.parent.get()].push_back(record.ref);
    return;
  }
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
    absl::Duration left = std::max(*record.deadline - clock_.Now(), absl::Milliseconds(1));
    ToProto(left, item->mutable_timeout());
    ToProto(*record.timeout, item->mutable_stated_timeout());
  }
  item->set_previous_id(record.id);
  for (const std::string& token : record.tokens) item->add_tokens(token);
  for (int signo : record.signals) item->add_signals(SignalName(signo));
  for (const StartOptions::Condition& c : record.conditions) {
    pb::ConditionSubscription* sub = item->add_conditions();
    sub->set_condition(c.condition);
    ToProto(c.interval, sub->mutable_interval());
  }
  record.registration = OpRecord::Registration::kSent;
}

void ClientCore::AddFinishLocked(OpRecord& record, pb::FinishRequest& batch) {
  pb::FinishItem* item = batch.add_items();
  item->set_operation_id(record.id);
  item->set_status(record.final_status);
  item->set_error(record.final_error);
  record.ending = OpRecord::Ending::kFinishSent;
}

void ClientCore::ForgetLocked(const OpRecord& record) {
  by_ref_.erase(record.ref);
  if (!record.id.empty()) by_id_.erase(record.id);
}

std::string ClientCore::IdOf(const OpRecord& record) {
  if (Forked()) return "";
  internal::MutexLock lock(&mu_);
  return record.id;
}

bool ClientCore::WaitRegistered(const OpRecord& record, absl::Duration timeout) {
  if (Forked()) return false;
  const absl::Time deadline = absl::Now() + timeout;
  internal::MutexLock lock(&mu_);
  const auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return record.registration == OpRecord::Registration::kReady;
  };
  while (!ready() && record.registration_error.ok()) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return ready();
}

bool ClientCore::Lost(const OpRecord& record) {
  if (Forked()) return false;
  internal::MutexLock lock(&mu_);
  return record.lost;
}

absl::Status ClientCore::RegistrationError(const OpRecord& record) {
  if (Forked()) return ForkedError();
  internal::MutexLock lock(&mu_);
  return record.registration_error;
}

void ClientCore::ReportProgress(OpRecord& record, std::string message, Metadata metadata) {
  if (Forked()) return;
  internal::MutexLock lock(&mu_);
  if (record.finished()) return;
  record.pending_progress.emplace(std::move(message), std::move(metadata));
  progress_pending_.insert(record.ref);
}

void ClientCore::OnLocalCancel(const std::shared_ptr<OpRecord>& record,
                               const CancellationDetails& details) {
  if (record->cancelled_by_daemon.load()) return;
  // A timeout the daemon has too: it fires its own (one text, one reason).
  if (details.reason == CancelReason::kTimeout && record->deadline.has_value()) return;
  internal::MutexLock lock(&mu_);
  if (record->local_cancel != OpRecord::LocalCancel::kNone || record->finished()) return;
  record->local_cancel = OpRecord::LocalCancel::kArmed;
  remote_cancels_.emplace_back(record, details.message);
  changed_.SignalAll();
}

bool ClientCore::Cancel(std::shared_ptr<OpRecord> record, std::string message) {
  if (Forked()) return record->scope.Cancel(CancelReason::kManual, std::move(message));
  if (record->scope.IsCancelled()) return false;
  bool queued = false;
  {
    // Queued first, so a finish made by a callback of the local cancel waits
    // for it: the daemon must see the cancel (and cascade it) before the end.
    // Armed only once the local cancel is done, so the daemon's echo of it
    // cannot arrive first and make this call look like it lost.
    // One on its way is enough: a racing second Cancel queues nothing.
    internal::MutexLock lock(&mu_);
    queued = record->local_cancel == OpRecord::LocalCancel::kNone;
    if (queued) {
      record->local_cancel = OpRecord::LocalCancel::kQueued;
      remote_cancels_.emplace_back(record, message);
    }
  }
  const bool first = record->scope.Cancel(CancelReason::kManual, std::move(message));
  if (!queued) return first;
  internal::MutexLock lock(&mu_);
  record->local_cancel = OpRecord::LocalCancel::kArmed;
  changed_.SignalAll();
  return first;
}

void ClientCore::Finish(const std::shared_ptr<OpRecord>& record, const absl::Status& outcome) {
  if (Forked()) return;
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
  if (record->finished()) return;
  record->ending = OpRecord::Ending::kFinished;
  record->final_status = status;
  record->final_error = wire::Shorten(std::move(error), wire::kMaxFinishErrorBytes);
  record->pending_progress.reset();
  deadline = std::move(record->local_deadline);
  // Not yet registered: the Registered answer sends it; a cancel pending: the
  // worker sends it after the cancel. Disconnected: the next session sends it
  // (a resumed session keeps the operation; a new daemon registers it again
  // first). Lost, or never registered: there is nothing to tell.
  if (record->lost || (!connected_ && record->id.empty())) {
    ForgetLocked(*record);
    return;
  }
  MaybeSendFinishLocked(*record);
}

void ClientCore::MaybeSendFinishLocked(OpRecord& record) {
  if (record.ending != OpRecord::Ending::kFinished ||
      record.local_cancel != OpRecord::LocalCancel::kNone || record.id.empty() ||
      record.registered_generation != generation_) {
    return;
  }
  pb::SessionRequest request;
  AddFinishLocked(record, *request.mutable_finish());
  WriteLocked(std::move(request));  // kept until the daemon says it applied it
}

// --- Connection state. ---

bool ClientCore::connected() const {
  internal::MutexLock lock(&mu_);
  return connected_;
}

absl::Status ClientCore::status() const {
  if (Forked()) return ForkedError();
  internal::MutexLock lock(&mu_);
  if (!connected_) {
    return absl::UnavailableError(
        absl::StrCat("not connected to canceld at ", endpoint_,
                     last_end_.empty() ? "" : absl::StrCat(" (", last_end_, ")"),
                     "; reconnecting, operations run locally meanwhile"));
  }
  // Live operations the daemon refused (or lost): not cancellable from it.
  const OpRecord* first = nullptr;
  size_t refused = 0;
  for (const auto& [ref, record] : by_ref_) {
    if (record->finished() || record->registration_error.ok()) continue;
    if (first == nullptr || record->ref < first->ref) first = record.get();
    ++refused;
  }
  if (first == nullptr) return absl::OkStatus();
  return absl::Status(first->registration_error.code(),
                      absl::StrCat(refused, refused == 1 ? " operation is" : " operations are",
                                   " not registered with canceld (a cancel there cannot reach ",
                                   refused == 1 ? "it" : "them", "); the first, \"", first->name,
                                   "\": ", first->registration_error.message()));
}

bool ClientCore::WaitConnected(absl::Duration timeout, bool or_refused) const {
  const absl::Time deadline = absl::Now() + timeout;
  internal::MutexLock lock(&mu_);
  const uint64_t failed_before = failed_attempts_;
  while (!connected_ && !stopping_ && !(or_refused && failed_attempts_ > failed_before)) {
    if (changed_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return connected_;
}

uint64_t ClientCore::session_id() const {
  internal::MutexLock lock(&mu_);
  return connected_ ? session_id_ : 0;
}

}  // namespace hother::cancelable::client_internal
