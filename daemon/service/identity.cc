#include "daemon/service/identity.h"

#include <grp.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "grpcpp/server_context.h"

namespace hother::cancelable::daemon {

gid_t GroupId(const std::string& name) {
  if (name.empty()) return static_cast<gid_t>(-1);
  long size = sysconf(_SC_GETGR_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  group entry;
  group* found = nullptr;
  while (getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) == ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  return found == nullptr ? static_cast<gid_t>(-1) : found->gr_gid;
}

Principal Identity::Connected(int fd, const PeerCredentials& peer) {
  Principal principal = UnixPrincipal(peer, admin_group_);
  internal::MutexLock lock(&mu_);
  by_fd_[fd] = principal;
  return principal;
}

Principal Identity::OfPeer(absl::string_view peer) const {
  absl::string_view rest = peer;
  int fd = 0;
  if (absl::ConsumePrefix(&rest, "fd:") && absl::SimpleAtoi(rest, &fd)) {
    internal::MutexLock lock(&mu_);
    if (auto it = by_fd_.find(fd); it != by_fd_.end()) return it->second;
  }
  Principal unverified;
  unverified.address = std::string(peer);
  return unverified;
}

Principal Identity::Of(const grpc::CallbackServerContext& context) const {
  return OfPeer(context.peer());
}

}  // namespace hother::cancelable::daemon
