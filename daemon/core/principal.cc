#include "daemon/core/principal.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace hother::cancelable::daemon {

std::string Principal::Text() const {
  switch (kind) {
    case Kind::kUnix:
      return absl::StrCat("uid=", uid, user.empty() ? "" : absl::StrCat("(", user, ")"),
                          " pid=", pid);
    case Kind::kCertificate:
      return absl::StrCat("cert=", cert_name);
    case Kind::kUnverified:
      break;
  }
  return address.empty() ? "unverified" : absl::StrCat("unverified peer ", address);
}

std::string Principal::Key() const {
  switch (kind) {
    case Kind::kUnix:
      return absl::StrCat("uid:", uid);
    case Kind::kCertificate:
      return absl::StrCat("cert:", cert_name);
    case Kind::kUnverified:
      break;
  }
  return "unverified";
}

bool Principal::InGroup(gid_t group) const {
  return gid == group || std::find(groups.begin(), groups.end(), group) != groups.end();
}

std::string UserName(uid_t uid) {
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::string buffer(size > 0 ? static_cast<size_t>(size) : 16384, '\0');
  passwd entry;
  passwd* found = nullptr;
  if (getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return "";
  }
  return found->pw_name;
}

Principal UnixPrincipal(const PeerCredentials& peer, gid_t admin_group) {
  Principal p;
  p.kind = Principal::Kind::kUnix;
  p.uid = peer.uid;
  p.gid = peer.gid;
  p.groups = peer.groups;
  p.pid = peer.pid;
  p.user = UserName(peer.uid);
  p.admin = peer.uid == 0 || (admin_group != static_cast<gid_t>(-1) && p.InGroup(admin_group));
  return p;
}

}  // namespace hother::cancelable::daemon
