// SessionReactor: the daemon's end of one client process's Session stream.
//
// The first message must be a Hello; it opens a session (and its lease) and
// is answered with a Welcome. Then registrations, progress, finishes and
// heartbeats are applied to the graph, and the graph's cancellations of this
// session's operations are pushed back. When the stream ends, for whatever
// reason, the session's unfinished operations become LOST (unless the daemon
// itself is draining: their owners will register them again).
//
// Bounds (docs/DAEMON.md): a stream that sends no Hello within the handshake
// timeout is ended, and at most max_handshakes_per_peer wait per client
// connection; past kReadPauseBytes of unread replies the daemon stops reading
// the client's requests (so a client that does not read cannot make it
// queue more) and the lease is renewed only by progress (a request read or a
// reply taken), so a client that stops reading loses its lease; past
// session_queue_bytes the session is ended RESOURCE_EXHAUSTED.
//
// Requests arrive as bytes (raw_message.h): one that does not parse ends the
// stream INVALID_ARGUMENT. The protocol's status codes are a table in the
// proto's comments (service Canceld, rpc Session).
//
// Reactions never block: the graph and the table only take short locks.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_SESSION_REACTOR_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_SESSION_REACTOR_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "daemon/core/operation.h"
#include "daemon/service/daemon_state.h"
#include "daemon/service/write_queue.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/v1/cancelable.pb.h"

namespace hother::cancelable::daemon {

namespace pb = ::hother::cancelable::v1;

// Unread replies past which the daemon stops reading a session's requests,
// until they are down to half of it.
inline constexpr size_t kReadPauseBytes = 1 << 20;

class SessionReactor : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  SessionReactor(DaemonState& state, grpc::CallbackServerContext* context);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  class Channel;
  friend class WriteQueue<SessionReactor>;

  // Applies one request; false when the stream is finishing.
  bool Handle(const pb::SessionRequest& request);
  // The next read, unless too many replies wait unread (then OnWriteDone
  // reads once they are taken).
  void ReadNext();
  void EndHandshake();
  // False when the session was refused (the stream is finishing).
  bool HandleHello(const pb::Hello& hello);
  void HandleRegister(const pb::RegisterRequest& request);
  void RegisterInOrder(const pb::RegisterRequest& request);
  void HandleProgress(const pb::ProgressRequest& request);
  void HandleFinish(const pb::FinishRequest& request);

  DaemonState& state_;
  grpc::CallbackServerContext* const context_;  // valid until OnDone returns
  const std::string peer_;
  WriteQueue<SessionReactor> writes_;
  std::shared_ptr<Channel> channel_;
  grpc::ByteBuffer read_;
  // Set by the Hello; only touched by reactions, which gRPC serialises for
  // reads, and by OnDone, which comes after all of them.
  std::unique_ptr<SessionLease> lease_;        // set by the Hello; closes the session
  std::atomic<SessionLease*> renew_{nullptr};  // lease_, for OnWriteDone's thread
  bool handshaking_ = false;                   // admitted, no Hello yet
  Scheduler::Timer handshake_timer_;           // ends a stream without a Hello
  internal::Mutex read_mu_;
  bool read_paused_ ABSL_GUARDED_BY(read_mu_) = false;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_SESSION_REACTOR_H_
