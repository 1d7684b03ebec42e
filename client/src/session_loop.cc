// ClientCore's session thread: connect, hello, welcome, re-register what is
// live, read the daemon's answers and cancels until the stream ends, back off,
// and again.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/src/client_core.h"
#include "hother/cancelable/internal/random.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/version.h"
#include "proto/wire.h"

namespace hother::cancelable::client_internal {

using wire::FromProto;

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

void ClientCore::SessionLoop() {
  absl::Duration backoff = options_.initial_backoff;
  for (;;) {
    {
      internal::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    const absl::Time started = clock_.Now();
    RunSession();
    if (clock_.Now() - started > absl::Seconds(10)) backoff = options_.initial_backoff;
    // Exponential backoff with full jitter, interrupted by Stop.
    absl::Duration sleep =
        backoff * std::uniform_real_distribution<double>(0.5, 1.0)(internal::ThreadRandom());
    backoff = std::min(backoff * 2, options_.max_backoff);
    const absl::Time wake = clock_.Now() + sleep;
    internal::MutexLock lock(&mu_);
    while (!stopping_ && !WaitUntilLocked(changed_, wake)) {
    }
  }
}

void ClientCore::RunSession() {
  // A verified connection first (daemon_channel.h): nothing is sent to a
  // socket another user may have bound.
  if (absl::Status dialed = Dial(); !dialed.ok()) {
    internal::MutexLock lock(&mu_);
    if (absl::IsPermissionDenied(dialed) && last_end_ != dialed.message()) {
      Log(LogLevel::kError, std::string(dialed.message()), {{"endpoint", endpoint_}});
    }
    last_end_ = std::string(dialed.message());
    ++failed_attempts_;
    changed_.SignalAll();
    return;
  }
  grpc::ClientContext context;
  {
    internal::MutexLock lock(&mu_);
    if (stopping_) return;
    context_ = &context;
    attempt_started_ = clock_.Now();
  }
  std::unique_ptr<Stream> stream = Stub()->Session(&context);
  pb::SessionResponse welcome;
  if (stream->Write(Hello()) && stream->Read(&welcome) && welcome.has_welcome()) {
    {
      internal::MutexLock lock(&mu_);
      BeginSessionLocked(stream.get(), welcome.welcome());
    }
    ReadResponses(*stream);
  }
  EndSession(context, *stream);
}

pb::SessionRequest ClientCore::Hello() const {
  pb::SessionRequest hello;
  pb::Hello* h = hello.mutable_hello();
  h->set_process_name(options_.process_name.empty() ? ThisProcessName() : options_.process_name);
  h->set_pid(getpid());
  h->set_host(HostName());
  h->set_sdk_version(kVersion);
  h->mutable_labels()->insert(options_.labels.begin(), options_.labels.end());
  internal::MutexLock lock(&mu_);
  h->set_previous_session_id(previous_session_id_);
  h->set_previous_session_secret(session_secret_);
  return hello;
}

void ClientCore::BeginSessionLocked(Stream* stream, const pb::Welcome& welcome) {
  stream_ = stream;
  connected_ = true;
  ++generation_;
  session_id_ = welcome.session_id();
  previous_session_id_ = session_id_;
  session_secret_ = welcome.session_secret();
  heartbeat_interval_ = std::max(FromProto(welcome.heartbeat_interval()), absl::Milliseconds(50));
  lease_timeout_ = std::max(FromProto(welcome.lease_timeout()), 2 * heartbeat_interval_);
  last_heard_ = clock_.Now();
  ReRegisterLocked();
  changed_.SignalAll();
  Log(LogLevel::kInfo, "connected to canceld",
      {{"endpoint", endpoint_},
       {"session", absl::StrCat(session_id_)},
       {"sdk_version", kVersion},
       {"daemon_version",
        welcome.daemon_version().empty() ? "unknown" : welcome.daemon_version()}});
}

void ClientCore::ReRegisterLocked() {
  // Everything live is registered again; what finished while away is
  // forgotten (a new daemon never knew it; the old one marked it lost).
  pb::SessionRequest again;
  std::vector<std::shared_ptr<OpRecord>> records;
  for (auto& [ref, record] : by_ref_) records.push_back(record);
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a->ref < b->ref; });  // parents first
  for (auto& record : records) {
    // A finish the daemon did not acknowledge goes again, after the
    // registration (the same id in a resumed session; a new daemon's history).
    if (record->ending == OpRecord::Ending::kFinishSent)
      record->ending = OpRecord::Ending::kFinished;
    if (record->finished() && (record->id.empty() || record->lost)) {
      ForgetLocked(*record);
      continue;
    }
    if (record->lost) continue;  // the application was told; it stays local
    record->registration = OpRecord::Registration::kNone;
    RegisterLocked(*record, *again.mutable_register_());
  }
  if (again.has_register_()) WriteLocked(std::move(again));
}

void ClientCore::ReadResponses(Stream& stream) {
  pb::SessionResponse response;
  while (stream.Read(&response)) {
    {
      internal::MutexLock lock(&mu_);
      handling_ = true;
    }
    HandleResponse(response);  // may run token callbacks for a while
    response.Clear();
    internal::MutexLock lock(&mu_);
    handling_ = false;
    last_heard_ = clock_.Now();
  }
}

void ClientCore::EndSession(grpc::ClientContext& context, Stream& stream) {
  {
    internal::MutexLock lock(&mu_);
    DetachStreamLocked();
    context_ = nullptr;
    if (connected_) {
      Log(LogLevel::kWarning, "lost the connection to canceld; reconnecting",
          {{"endpoint", endpoint_}});
    } else {
      ++failed_attempts_;
    }
    connected_ = false;
    changed_.SignalAll();
  }
  context.TryCancel();
  {
    internal::MutexLock lock(&mu_);
    while (writing_) writable_.Wait(&mu_);
  }
  const grpc::Status ended = stream.Finish();
  internal::MutexLock lock(&mu_);
  last_end_ = ended.ok() ? "the daemon ended the session" : ended.error_message();
}

void ClientCore::HandleResponse(const pb::SessionResponse& response) {
  switch (response.kind_case()) {
    case pb::SessionResponse::kRegistered:
      OnRegistered(response.registered());
      break;
    case pb::SessionResponse::kCancel:
      OnCancels(response.cancel());
      break;
    case pb::SessionResponse::kErrors:
      OnErrors(response.errors());
      break;
    case pb::SessionResponse::kFinished:
      OnFinished(response.finished());
      break;
    default:
      break;  // heartbeats: the read itself shows the daemon is alive
  }
}

void ClientCore::OnRegistered(const pb::Registered& batch) {
  std::vector<std::pair<std::shared_ptr<OpRecord>, pb::CancelDetails>> cancelled;
  std::vector<std::shared_ptr<OpRecord>> registered;
  {
    internal::MutexLock lock(&mu_);
    for (const pb::RegisteredItem& item : batch.items()) {
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
    record->registration = OpRecord::Registration::kReady;
    MaybeSendFinishLocked(*record);
    RegisterWaitingChildrenLocked(*record, *children.mutable_register_());
  }
  if (children.has_register_()) WriteLocked(std::move(children));
  changed_.SignalAll();
}

void ClientCore::RegisterWaitingChildrenLocked(const OpRecord& parent, pb::RegisterRequest& batch) {
  // Children held back for this parent can now name it.
  auto waiting = waiting_by_parent_.find(&parent);
  if (waiting == waiting_by_parent_.end()) return;
  std::vector<uint64_t> refs = std::move(waiting->second);
  waiting_by_parent_.erase(waiting);
  for (uint64_t ref : refs) {
    auto child = by_ref_.find(ref);
    if (child != by_ref_.end() &&
        child->second->registration == OpRecord::Registration::kWaitingForParent &&
        !child->second->finished()) {
      RegisterLocked(*child->second, batch);
    }
  }
}

void ClientCore::OnCancels(const pb::CancelNotice& batch) {
  std::vector<std::pair<std::shared_ptr<OpRecord>, const pb::CancelDetails*>> targets;
  {
    internal::MutexLock lock(&mu_);
    for (const pb::CancelItem& item : batch.items()) {
      auto it = by_id_.find(item.operation_id());
      // A cancel of one that has finished meanwhile changes nothing.
      if (it != by_id_.end() && !it->second->finished()) {
        targets.emplace_back(it->second, &item.cancel());
      }
    }
  }
  // Deepest first: the daemon lists a cascade root first, and the local
  // parent links would otherwise cancel children with local records
  // before the daemon's own (with its ids and actor) arrive.
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    DeliverCancel(it->first, *it->second);
  }
}

void ClientCore::OnFinished(const pb::Finished& batch) {
  internal::MutexLock lock(&mu_);
  for (const std::string& id : batch.operation_ids()) {
    auto it = by_id_.find(id);
    if (it != by_id_.end() && it->second->ending == OpRecord::Ending::kFinishSent) {
      ForgetLocked(*it->second);
    }
  }
}

void ClientCore::OnErrors(const pb::SessionErrors& errors) {
  internal::MutexLock lock(&mu_);
  for (const pb::SessionError& error : errors.items()) {
    Log(LogLevel::kWarning, absl::StrCat("canceld refused a request: ", error.message()),
        {{"operation_id", error.operation_id()}});
    if (error.ref() == 0) {
      // A refused finish is not sent again.
      auto it = by_id_.find(error.operation_id());
      if (it != by_id_.end() && it->second->ending == OpRecord::Ending::kFinishSent) {
        ForgetLocked(*it->second);
      }
      continue;
    }
    auto it = by_ref_.find(error.ref());
    if (it == by_ref_.end()) continue;
    OpRecord& record = *it->second;
    record.registration_error =
        absl::Status(static_cast<absl::StatusCode>(error.code()), error.message());
    // Registered again under the id the daemon gave it, and refused: it was
    // LOST while this process was away. The application is told (lost()).
    if (!record.id.empty() &&
        error.code() == static_cast<int>(absl::StatusCode::kFailedPrecondition)) {
      record.lost = true;
      if (record.finished()) ForgetLocked(record);
    }
  }
  changed_.SignalAll();
}

void ClientCore::DeliverCancel(const std::shared_ptr<OpRecord>& record,
                               const pb::CancelDetails& details) {
  // The daemon's record, with its cause chain, becomes the local token's.
  record->cancelled_by_daemon.store(true);
  // Through the scope: a Shield held on it holds the daemon's cancel back too.
  record->scope.CancelWithRecord(FromProto(details));
}

}  // namespace hother::cancelable::client_internal
