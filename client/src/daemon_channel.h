// Internal, shared by the SDK and cancelctl: a channel to canceld that this
// process has verified. For a unix socket the client connects itself, asks
// the kernel who listens there (SO_PEERCRED), and only then hands the
// connected socket to gRPC (grpc::CreateCustomInsecureChannelFromFd): a
// socket that another user bound first is refused before anything is sent.
// Such a channel lives as long as its connection; callers dial again for
// each session. TCP endpoints get an ordinary channel.
#ifndef HOTHER_CANCELABLE_CLIENT_SRC_DAEMON_CHANNEL_H_
#define HOTHER_CANCELABLE_CLIENT_SRC_DAEMON_CHANNEL_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace hother::cancelable::client_internal {

struct DaemonTrust {
  // Besides root, the `canceld` user and the caller's own uid.
  std::vector<uid_t> extra_uids;
  // The endpoint was given (--endpoint, CANCELD_ENDPOINT, the option): the
  // socket's directory is not checked, the daemon still is.
  bool explicit_endpoint = false;
};

// The uids a daemon may run as for this process: 0, `canceld`'s, getuid(),
// and `trust.extra_uids`.
std::vector<uid_t> TrustedDaemonUids(const DaemonTrust& trust);

// A channel to canceld at `endpoint`. UNAVAILABLE when nothing accepts
// there; PERMISSION_DENIED, saying why and what to do, when the socket's
// directory could be another user's or the process listening is not a
// trusted daemon.
absl::StatusOr<std::shared_ptr<grpc::Channel>> DialDaemon(
    const std::string& endpoint, const DaemonTrust& trust,
    const grpc::ChannelArguments& args = grpc::ChannelArguments());

}  // namespace hother::cancelable::client_internal

#endif  // HOTHER_CANCELABLE_CLIENT_SRC_DAEMON_CHANNEL_H_
