// ClientCore's worker thread: progress reports (coalesced, the latest wins),
// heartbeats, the watch on a silent daemon, and the Cancel RPCs that carry
// this process's own cancels to the daemon.
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/src/client_core.h"
#include "hother/cancelable/log.h"
#include "proto/wire.h"

namespace hother::cancelable::client_internal {

void ClientCore::WorkerLoop() {
  absl::Time next_heartbeat = clock_.Now();
  absl::Time last_turn = absl::Now();
  for (;;) {
    {
      internal::MutexLock lock(&mu_);
      if (stopping_) return;
      const absl::Time now = clock_.Now();
      // This loop wakes at least every heartbeat: a turn that comes far later
      // in real time means this process was not running (stopped, paused,
      // swapped out). The daemon's silence meanwhile is not the daemon's
      // fault: it does not count against the daemon's lease. (On an injected
      // clock, time is the test's to move: no stall is guessed.)
      const absl::Time real_now = absl::Now();
      const absl::Duration late = real_now - last_turn - heartbeat_interval_;
      if (&clock_ == &Clock::Real() && late > lease_timeout_ / 2) last_heard_ += late;
      last_turn = real_now;
      if (connected_) {
        QueueProgressLocked();
        if (now >= next_heartbeat) {
          pb::SessionRequest beat;
          beat.mutable_heartbeat();
          WriteLocked(std::move(beat));
          next_heartbeat = now + heartbeat_interval_;
        }
      }
      GiveUpOnASilentDaemonLocked(now);
      if (!RemoteCancelReadyLocked()) {
        const absl::Time wake = std::min(now + options_.progress_interval,
                                         connected_ ? next_heartbeat : now + absl::Seconds(1));
        WaitUntilLocked(changed_, wake);
        continue;
      }
    }
    SendRemoteCancels();
  }
}

void ClientCore::QueueProgressLocked() {
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
    item->set_message(
        wire::Shorten(std::move(record->pending_progress->first), wire::kMaxProgressMessageBytes));
    item->mutable_metadata()->insert(record->pending_progress->second.begin(),
                                     record->pending_progress->second.end());
    record->pending_progress.reset();
  }
  if (progress.has_progress()) WriteLocked(std::move(progress));
}

void ClientCore::GiveUpOnASilentDaemonLocked(absl::Time now) {
  if (connected_ && !handling_ && now - last_heard_ > lease_timeout_ && context_ != nullptr) {
    // Stopped or hung: what is queued is dropped with the session, the
    // operations carry on locally and are registered again on reconnect.
    Log(LogLevel::kWarning, "canceld stopped answering; reconnecting",
        {{"endpoint", endpoint_}, {"silent_for", absl::FormatDuration(now - last_heard_)}});
    context_->TryCancel();
    last_heard_ = now;  // once per lease
  }
  if (!connected_ && context_ != nullptr && now - attempt_started_ > lease_timeout_) {
    // A daemon that accepts the stream but never welcomes it is stuck too.
    context_->TryCancel();
    attempt_started_ = now;
  }
}

bool ClientCore::RemoteCancelReadyLocked() const {
  for (const auto& [record, message] : remote_cancels_) {
    if (connected_ && record->local_cancel == OpRecord::LocalCancel::kArmed &&
        !record->id.empty() && record->registered_generation == generation_) {
      return true;
    }
  }
  return false;
}

void ClientCore::SendRemoteCancels() {
  std::vector<std::pair<std::shared_ptr<OpRecord>, std::string>> cancels;
  {
    internal::MutexLock lock(&mu_);
    // Only operations registered in this session go out; the rest wait.
    for (auto it = remote_cancels_.begin(); it != remote_cancels_.end();) {
      if (!connected_ || it->first->local_cancel != OpRecord::LocalCancel::kArmed ||
          it->first->id.empty() || it->first->registered_generation != generation_) {
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
    const std::shared_ptr<pb::Canceld::Stub> stub = Stub();
    grpc::Status status = stub != nullptr
                              ? stub->Cancel(&context, request, &response)
                              : grpc::Status(grpc::StatusCode::UNAVAILABLE, "not connected");
    if (!status.ok()) {
      Log(LogLevel::kWarning, absl::StrCat("could not cancel at canceld: ", status.error_message()),
          {{"operation_id", id}});
    }
    // Now the finish that waited for this cancel may go.
    internal::MutexLock lock(&mu_);
    record->local_cancel = OpRecord::LocalCancel::kNone;
    MaybeSendFinishLocked(*record);
  }
}

}  // namespace hother::cancelable::client_internal
