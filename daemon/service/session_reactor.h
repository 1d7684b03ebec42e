// SessionReactor: the daemon's end of one client process's Session stream.
//
// The first message must be a Hello; it opens a session (and its lease) and
// is answered with a Welcome. Then registrations, progress, finishes and
// heartbeats are applied to the graph, and the graph's cancellations of this
// session's operations are pushed back. When the stream ends, for whatever
// reason, the session's unfinished operations become LOST (unless the daemon
// itself is draining: their owners will register them again).
//
// Reactions never block: the graph and the table only take short locks.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_SESSION_REACTOR_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_SESSION_REACTOR_H_

#include <memory>
#include <optional>

#include "daemon/core/operation.h"
#include "daemon/service/daemon_state.h"
#include "daemon/service/write_queue.h"
#include "grpcpp/support/server_callback.h"
#include "hother/cancelable/v1/cancelable.pb.h"

namespace hother::cancelable::daemon {

namespace pb = ::hother::cancelable::v1;

class SessionReactor : public grpc::ServerBidiReactor<pb::SessionRequest, pb::SessionResponse> {
 public:
  explicit SessionReactor(DaemonState& state);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override { writes_.WriteDone(ok); }
  void OnCancel() override;
  void OnDone() override;

 private:
  class Channel;
  friend class WriteQueue<SessionReactor, pb::SessionResponse>;

  // False when the session was refused (the stream is finishing).
  bool HandleHello(const pb::Hello& hello);
  void HandleRegister(const pb::RegisterRequest& request);
  void RegisterInOrder(const pb::RegisterRequest& request);
  void HandleProgress(const pb::ProgressRequest& request);
  void HandleFinish(const pb::FinishRequest& request);

  DaemonState& state_;
  WriteQueue<SessionReactor, pb::SessionResponse> writes_{this};
  std::shared_ptr<Channel> channel_;
  pb::SessionRequest request_;
  // Set by the Hello; only touched by reactions, which gRPC serialises for
  // reads, and by OnDone, which comes after all of them.
  std::unique_ptr<SessionLease> lease_;  // set by the Hello; closes the session
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_SESSION_REACTOR_H_
