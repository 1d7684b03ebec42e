// SessionTable: the client processes connected to the daemon, each with a
// lease that its messages renew.
//
// A session is opened by the first message of a Session stream (Hello) and
// closed when the stream ends cleanly. A stream that breaks leaves its
// session detached for the rest of its lease: a new stream of the same client
// presenting the session's id and secret (TakeOver) resumes it. Any message
// from the client renews the lease;
// a session silent for longer than the lease timeout is ended
// (SessionSink::End with DEADLINE_EXCEEDED), and the service then reports the
// end to the graph. The table also routes the graph's
// cancellations to the right session.
//
// The daemon's own stalls (a SIGSTOP, a VM pause, heavy swapping) are not
// counted against its clients: when the lease check finds that it ran late
// by more than a check interval, every lease is extended by the delay before
// any is judged.
//
// Thread-safety: thread-safe. Sinks are called without the table's lock.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_SESSION_TABLE_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_SESSION_TABLE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/core/operation.h"
#include "daemon/core/operation_graph.h"
#include "daemon/core/owner_watch.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {

// The daemon's side of one session stream.
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  // Cancellations of operations this session owns (at least once, in order).
  virtual void DeliverCancels(std::vector<CancelDelivery> items) = 0;
  // Ends the session's stream with `why` (lease expired, daemon shutting
  // down); with `flush`, after what is already queued is written.
  virtual void End(absl::Status why, bool flush) = 0;
};

class SessionTable;

// One open session: its owner (with the session id the table gave it) and
// its lease. Destroying it closes the session (its sink is released, cancels
// for it are dropped).
class SessionLease {
 public:
  ~SessionLease();
  SessionLease(const SessionLease&) = delete;
  SessionLease& operator=(const SessionLease&) = delete;

  const Owner& owner() const { return owner_; }
  uint64_t session_id() const { return owner_.session_id; }
  // What a new stream presents to resume this session (sent in the Welcome).
  const std::string& secret() const { return secret_; }
  // Renews the lease (any message from the client does).
  void Touch();

 private:
  friend class SessionTable;
  SessionLease(SessionTable* table, Owner owner, std::string secret)
      : table_(table), owner_(std::move(owner)), secret_(std::move(secret)) {}
  SessionTable* const table_;
  const Owner owner_;
  const std::string secret_;
  bool detached_ = false;  // SessionTable::Detach: the session outlives the lease object
};

class SessionTable : public CancelListener {
 public:
  // Checks leases every lease_timeout / 4 on `scheduler`.
  SessionTable(Scheduler& scheduler, absl::Duration lease_timeout, size_t max_sessions,
               size_t max_handshakes_per_peer = 100);
  ~SessionTable() override;

  // RESOURCE_EXHAUSTED at max_sessions. The lease (owner with its new
  // session id) must not outlive the table. With `watch_owner` (a client of
  // this host), the owner's pid is watched (OwnerWatch): its exit ends the
  // session without waiting for the lease.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<SessionLease>> Open(
      Owner owner, std::shared_ptr<SessionSink> sink, bool watch_owner = false);
  size_t size() const;
  // Stops checking leases and watching owners: no on_expired call starts
  // after it returns (before what on_expired uses is destroyed).
  void Stop();

  // A stream that will send its Hello: counted against max_sessions, and at
  // most max_handshakes_per_peer per `peer` (the client's connection as gRPC
  // names it); RESOURCE_EXHAUSTED naming the bound otherwise. Each admitted
  // one ends with EndHandshake (before Open).
  absl::Status BeginHandshake(const std::string& peer);
  void EndHandshake(const std::string& peer);
  size_t handshakes() const;
  // Every open session's sink (for shutdown).
  std::vector<std::shared_ptr<SessionSink>> Sinks() const;

  void DeliverCancels(uint64_t session_id, std::vector<CancelDelivery> items) override;

  // Keeps the session of `lease` (whose stream the daemon ended for a
  // protocol error) until its lease runs out, with no stream; then
  // `on_expired` is called with its owner (set once, before serving). Its
  // operations wait meanwhile for the same process to take them over.
  void Detach(std::unique_ptr<SessionLease> lease);
  void OnDetachedExpired(std::function<void(const Owner&)> on_expired);

  // Resumes session `previous_id` in a new one: when `secret` is its secret,
  // removes it from the table (its stream, if still open, is ended ABORTED)
  // and returns its owner, whose operations the caller hands over
  // (OperationGraph::ResumeSession). NOT_FOUND when it has ended;
  // PERMISSION_DENIED for a wrong secret, or when `principal` (the new
  // session's Owner::principal) is not the one that owns it.
  [[nodiscard]] absl::StatusOr<Owner> TakeOver(uint64_t previous_id, const std::string& secret,
                                               uint64_t new_id, const std::string& principal);
  // The owner's process is known to have exited: a detached session ends at
  // once (on_expired), an attached one when its stream ends (not detached).
  void OwnerExited(uint64_t session_id);
  // Whether OwnerExited was called for it.
  bool owner_exited(uint64_t session_id) const;
  // How long the daemon was found not running, in all (leases extended so).
  absl::Duration stalled() const;

 private:
  friend class SessionLease;
  void Touch(uint64_t session_id);
  void Close(uint64_t session_id);

  struct Session {
    Owner owner;
    std::shared_ptr<SessionSink> sink;
    absl::Time last_seen;
    bool expired = false;
    bool detached = false;  // no stream: the lease runs out, then on_expired_
    std::string secret;
    std::unique_ptr<OwnerWatch::Registration> watch;  // its owner's exit
  };
  void CheckLeases();
  absl::Duration CheckInterval() const;
  absl::Status FullLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Scheduler& scheduler_;
  const absl::Duration lease_timeout_;
  const size_t max_sessions_;
  const size_t max_handshakes_per_peer_;
  mutable internal::Mutex mu_;
  absl::flat_hash_map<std::string, size_t> handshakes_by_peer_ ABSL_GUARDED_BY(mu_);
  size_t handshakes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Session> sessions_ ABSL_GUARDED_BY(mu_);
  // When the lease check last ran (a late one is the daemon's stall).
  absl::Time last_check_ ABSL_GUARDED_BY(mu_);
  absl::Duration stalled_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::flat_hash_set<uint64_t> exited_ ABSL_GUARDED_BY(mu_);          // owner exited, stream open
  std::function<void(const Owner&)> on_expired_ ABSL_GUARDED_BY(mu_);  // set before serving
  // Its callbacks take mu_; Stop() ends it before the sessions go.
  std::unique_ptr<OwnerWatch> owner_watch_ ABSL_GUARDED_BY(mu_) = std::make_unique<OwnerWatch>();
  Scheduler::Timer lease_check_;  // last: stops before the rest is destroyed
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_SESSION_TABLE_H_
