// Internal, shared by every layer: where canceld listens, resolved the same
// way by the daemon, the SDK and cancelctl (the SDK's public name for it is
// hother/cancelable/client/endpoint.h):
//   1. the explicit endpoint (a --endpoint / --listen flag, or the option),
//   2. else $CANCELD_ENDPOINT,
//   3. else unix:/run/canceld/canceld.sock when that socket exists (the
//      system daemon's; its group may use it) or /run/canceld is writable
//      (the daemon that will create it),
//   4. else unix:$XDG_RUNTIME_DIR/canceld.sock,
//   5. else unix:/tmp/canceld-$UID/canceld.sock: in a directory of the
//      user's own (mode 0700; canceld creates it, and clients refuse a
//      socket in a directory another user could write).
//
// Endpoints are gRPC targets: "unix:/path/to.sock" or "host:port". A bare
// absolute path is taken as a unix socket.
//
// Thread-safety: stateless functions (they read the environment).
#ifndef HOTHER_CANCELABLE_INTERNAL_ENDPOINT_H_
#define HOTHER_CANCELABLE_INTERNAL_ENDPOINT_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace hother::cancelable {

inline constexpr const char kSystemSocket[] = "/run/canceld/canceld.sock";
// "/tmp/canceld-$UID": the last resort's directory.
std::string PerUserSocketDir();

// The endpoint to use, `explicit_endpoint` winning when not empty.
std::string ResolveEndpoint(absl::string_view explicit_endpoint = "");

// "unix:/x" for "/x"; anything else unchanged.
std::string NormalizeEndpoint(absl::string_view endpoint);

// The socket path of a "unix:" endpoint, or nullopt for TCP.
std::optional<std::string> UnixSocketPath(absl::string_view endpoint);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_INTERNAL_ENDPOINT_H_
