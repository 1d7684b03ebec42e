// canceld's own accept loop for its unix sockets: gRPC 1.51 does not tell a
// handler who is calling, so canceld accepts each connection itself, reads
// the peer's credentials from the kernel (SO_PEERCRED, SO_PEERGROUPS) at
// that moment, records them under the connection's descriptor, and hands the
// connection to gRPC (grpc::AddInsecureChannelFromFd). A call's peer is then
// "fd:N", and Identity (identity.h) says who is on the other end.
//
// A descriptor number is reused only after gRPC closed the connection, which
// it does once no call on it is left; the entry is overwritten at the next
// accept, before gRPC sees the new connection. So a call never reads the
// credentials of a connection other than its own.
//
// When the process runs out of descriptors, a reserve descriptor is given up
// to accept the connection anyway: root and admin-group members are served
// (an operator can still get in), anyone else is refused at once and the
// refusal is logged, instead of the connection waiting in the backlog.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_ACCEPT_LOOP_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_ACCEPT_LOOP_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/service/identity.h"

namespace grpc {
class Server;
}

namespace hother::cancelable::daemon {

class AcceptLoop {
 public:
  // Binds and listens on each unix socket path (mode 0660 from birth), or
  // adopts already-listening descriptors (socket activation).
  static absl::StatusOr<std::unique_ptr<AcceptLoop>> Listen(const std::vector<std::string>& paths,
                                                            Identity& identity);
  ~AcceptLoop();  // Stop()

  // Starts accepting, handing each connection to `server` (started).
  void Start(grpc::Server* server);
  // Stops accepting and closes the listening sockets (their files stay).
  void Stop();

 private:
  AcceptLoop() = default;
  void Run();
  // Accepts what is waiting; false when descriptors ran out and nothing
  // could be done about it.
  bool AcceptFrom(int listener);
  // Hands an accepted connection over, or refuses it.
  void Serve(int fd, bool out_of_descriptors);

  Identity* identity_ = nullptr;
  std::vector<int> listeners_;
  int wake_ = -1;     // an eventfd: Stop wakes the loop through it
  int reserve_ = -1;  // given up to accept when descriptors run out
  grpc::Server* server_ = nullptr;
  std::thread thread_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_ACCEPT_LOOP_H_
