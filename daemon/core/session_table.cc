#include "daemon/core/session_table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hother/cancelable/internal/random.h"
#include "hother/cancelable/log.h"

namespace hother::cancelable::daemon {

SessionTable::SessionTable(Scheduler& scheduler, absl::Duration lease_timeout, size_t max_sessions,
                           size_t max_handshakes_per_peer)
    : scheduler_(scheduler),
      lease_timeout_(lease_timeout),
      max_sessions_(max_sessions),
      max_handshakes_per_peer_(max_handshakes_per_peer) {
  {
    internal::MutexLock lock(&mu_);
    last_check_ = scheduler_.clock().Now();
  }
  lease_check_ = scheduler_.Every(CheckInterval(), [this] {
    CheckLeases();
    return true;
  });
}

SessionTable::~SessionTable() { Stop(); }

void SessionTable::Stop() {
  lease_check_.Reset();
  std::unique_ptr<OwnerWatch> watch;
  {
    internal::MutexLock lock(&mu_);
    on_expired_ = nullptr;
    for (auto& [id, session] : sessions_) session.watch.reset();
    watch = std::move(owner_watch_);
  }
  watch.reset();  // joins its thread (outside the lock: a running callback takes it)
}

SessionLease::~SessionLease() {
  if (!detached_) table_->Close(owner_.session_id);
}

void SessionLease::Touch() { table_->Touch(owner_.session_id); }

absl::StatusOr<std::unique_ptr<SessionLease>> SessionTable::Open(Owner owner,
                                                                 std::shared_ptr<SessionSink> sink,
                                                                 bool watch_owner) {
  internal::MutexLock lock(&mu_);
  if (sessions_.size() + handshakes_ >= max_sessions_) return FullLocked();
  owner.session_id = next_id_++;
  std::mt19937_64& random = internal::ThreadRandom();
  std::string secret = absl::StrFormat("%016x%016x", random(), random());
  Session& session = sessions_[owner.session_id];
  session = Session{owner, std::move(sink), scheduler_.clock().Now(), false, false, secret};
  if (watch_owner) {
    // Lock order: the table, then the watch (its callback takes the table's
    // lock with none of the watch's held).
    if (owner_watch_ != nullptr) {
      session.watch =
          owner_watch_->Watch(owner.pid, [this, id = owner.session_id] { OwnerExited(id); });
    }
  }
  return std::unique_ptr<SessionLease>(new SessionLease(this, std::move(owner), std::move(secret)));
}

absl::Status SessionTable::FullLocked() const {
  return absl::ResourceExhaustedError(absl::StrCat(
      "the daemon holds its maximum of ", max_sessions_, " sessions (--max-sessions)",
      handshakes_ == 0 ? ""
                       : absl::StrCat("; ", handshakes_, " of them still in their handshake")));
}

absl::Status SessionTable::BeginHandshake(const std::string& peer) {
  internal::MutexLock lock(&mu_);
  if (sessions_.size() + handshakes_ >= max_sessions_) return FullLocked();
  size_t& from_peer = handshakes_by_peer_[peer];
  if (from_peer >= max_handshakes_per_peer_) {
    return absl::ResourceExhaustedError(
        absl::StrCat(from_peer,
                     " session streams of this connection have not sent their Hello "
                     "yet, the most allowed (--max-handshakes-per-peer)"));
  }
  ++from_peer;
  ++handshakes_;
  return absl::OkStatus();
}

void SessionTable::EndHandshake(const std::string& peer) {
  internal::MutexLock lock(&mu_);
  auto it = handshakes_by_peer_.find(peer);
  if (it == handshakes_by_peer_.end()) return;
  if (--it->second == 0) handshakes_by_peer_.erase(it);
  --handshakes_;
}

size_t SessionTable::handshakes() const {
  internal::MutexLock lock(&mu_);
  return handshakes_;
}

void SessionTable::Touch(uint64_t session_id) {
  internal::MutexLock lock(&mu_);
  auto it = sessions_.find(session_id);
  if (it != sessions_.end()) it->second.last_seen = scheduler_.clock().Now();
}

void SessionTable::Close(uint64_t session_id) {
  std::shared_ptr<SessionSink> sink;  // released outside the lock
  internal::MutexLock lock(&mu_);
  exited_.erase(session_id);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  sink = std::move(it->second.sink);
  sessions_.erase(it);
}

size_t SessionTable::size() const {
  internal::MutexLock lock(&mu_);
  return sessions_.size();
}

std::vector<std::shared_ptr<SessionSink>> SessionTable::Sinks() const {
  internal::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<SessionSink>> sinks;
  for (const auto& [id, session] : sessions_) {
    if (session.sink != nullptr) sinks.push_back(session.sink);
  }
  return sinks;
}

void SessionTable::DeliverCancels(uint64_t session_id, std::vector<CancelDelivery> items) {
  std::shared_ptr<SessionSink> sink;
  {
    internal::MutexLock lock(&mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;  // gone: its operations are LOST
    sink = it->second.sink;
  }
  // Detached: the records stay on the operations; a Register that takes one
  // over answers with its cancel.
  if (sink != nullptr) sink->DeliverCancels(std::move(items));
}

void SessionTable::Detach(std::unique_ptr<SessionLease> lease) {
  std::shared_ptr<SessionSink> sink;  // released outside the lock
  lease->detached_ = true;            // its end no longer closes the session
  internal::MutexLock lock(&mu_);
  auto it = sessions_.find(lease->session_id());
  if (it != sessions_.end()) {
    it->second.detached = true;
    sink = std::move(it->second.sink);
  }
}

void SessionTable::OnDetachedExpired(std::function<void(const Owner&)> on_expired) {
  internal::MutexLock lock(&mu_);
  on_expired_ = std::move(on_expired);
}

absl::Duration SessionTable::CheckInterval() const {
  return std::max(lease_timeout_ / 4, absl::Milliseconds(10));
}

absl::StatusOr<Owner> SessionTable::TakeOver(uint64_t previous_id, const std::string& secret,
                                             uint64_t new_id, const std::string& principal) {
  std::shared_ptr<SessionSink> sink;  // ended and released outside the lock
  Owner owner;
  {
    internal::MutexLock lock(&mu_);
    auto it = sessions_.find(previous_id);
    if (it == sessions_.end()) {
      return absl::NotFoundError(absl::StrCat("session ", previous_id, " has ended"));
    }
    if (it->second.secret != secret || secret.empty()) {
      return absl::PermissionDeniedError(absl::StrCat("wrong secret for session ", previous_id));
    }
    // A secret is not enough: the same principal must present it.
    if (it->second.owner.principal != principal) {
      return absl::PermissionDeniedError(absl::StrCat("session ", previous_id, " belongs to ",
                                                      it->second.owner.principal, ", not ",
                                                      principal));
    }
    owner = it->second.owner;
    sink = std::move(it->second.sink);
    exited_.erase(previous_id);
    sessions_.erase(it);
  }
  if (sink != nullptr) {
    sink->End(absl::AbortedError(absl::StrCat("session resumed by session ", new_id)),
              /*flush=*/false);
  }
  return owner;
}

void SessionTable::OwnerExited(uint64_t session_id) {
  std::function<void(const Owner&)> on_expired;
  Owner owner;
  {
    internal::MutexLock lock(&mu_);
    auto it = sessions_.find(session_id);
    if (it == sessions_.end()) return;
    if (!it->second.detached) {
      exited_.insert(session_id);  // its stream ends soon: then it is not kept
      return;
    }
    owner = it->second.owner;
    sessions_.erase(it);
    on_expired = on_expired_;
  }
  if (on_expired) on_expired(owner);
}

absl::Duration SessionTable::stalled() const {
  internal::MutexLock lock(&mu_);
  return stalled_;
}

bool SessionTable::owner_exited(uint64_t session_id) const {
  internal::MutexLock lock(&mu_);
  return exited_.contains(session_id);
}

void SessionTable::CheckLeases() {
  std::vector<std::shared_ptr<SessionSink>> expired;
  std::vector<Owner> detached;
  std::function<void(const Owner&)> on_expired;
  {
    internal::MutexLock lock(&mu_);
    const absl::Time now = scheduler_.clock().Now();
    // Late by more than an interval: the daemon was not running (stopped,
    // paused, swapped out). Its clients were; their leases do not pay for it.
    const absl::Duration late = now - last_check_ - CheckInterval();
    last_check_ = now;
    if (late > CheckInterval()) {
      for (auto& [id, session] : sessions_) session.last_seen += late;
      stalled_ += late;
      Log(LogLevel::kWarning, "canceld was not running for a while; leases extended by as much",
          {{"stalled_for", absl::FormatDuration(late)}});
    }
    const absl::Time cutoff = now - lease_timeout_;
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      Session& session = it->second;
      if (session.detached && session.last_seen < cutoff) {
        detached.push_back(session.owner);
        sessions_.erase(it++);
        continue;
      }
      if (!session.expired && session.last_seen < cutoff) {
        session.expired = true;
        expired.push_back(session.sink);
      }
      ++it;
    }
    on_expired = on_expired_;
  }
  for (const Owner& owner : detached) {
    if (on_expired) on_expired(owner);
  }
  for (auto& sink : expired) {
    sink->End(
        absl::DeadlineExceededError(absl::StrCat("lease expired: no message from the client for ",
                                                 absl::FormatDuration(lease_timeout_))),
        /*flush=*/false);  // a stuck client may never read what is queued
  }
}

}  // namespace hother::cancelable::daemon
