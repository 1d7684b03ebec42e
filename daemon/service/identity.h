// Identity: who a call comes from, as canceld verified it (principal.h).
// Local clients reach canceld through its accept loop (accept_loop.h),
// which records each connection's peer credentials here; TLS clients are
// named by their certificate; anything else is unverified.
//
// Thread-safety: thread-safe.
#ifndef HOTHER_CANCELABLE_DAEMON_SERVICE_IDENTITY_H_
#define HOTHER_CANCELABLE_DAEMON_SERVICE_IDENTITY_H_

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "daemon/core/principal.h"
#include "hother/cancelable/internal/mutex.h"

namespace grpc {
class CallbackServerContext;
}

namespace hother::cancelable::daemon {

// The admin group's gid, or -1 when no group of that name exists.
gid_t GroupId(const std::string& name);

class Identity {
 public:
  // Root and members of `admin_group` (a gid, -1 for none) are admins.
  explicit Identity(gid_t admin_group = static_cast<gid_t>(-1)) : admin_group_(admin_group) {}
  void set_admin_group(gid_t group) { admin_group_ = group; }
  gid_t admin_group() const { return admin_group_; }

  // The accept loop: connection `fd` has these credentials (from now until
  // another connection gets the same descriptor number). Resolves the
  // principal (its user name) once, here. Returns it.
  Principal Connected(int fd, const PeerCredentials& peer);

  // The principal of the call on `context`.
  Principal Of(const grpc::CallbackServerContext& context) const;
  // ... of the connection named by a gRPC peer string ("fd:N"; others are
  // unverified).
  Principal OfPeer(absl::string_view peer) const;

 private:
  gid_t admin_group_;
  mutable internal::Mutex mu_;
  absl::flat_hash_map<int, Principal> by_fd_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_SERVICE_IDENTITY_H_
