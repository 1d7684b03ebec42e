#include "client/src/daemon_channel.h"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/create_channel_posix.h"
#include "grpcpp/security/credentials.h"
#include "hother/cancelable/internal/endpoint.h"

namespace hother::cancelable::client_internal {
namespace {

std::string NameOf(uid_t uid) {
  passwd entry;
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr) return "";
  return found->pw_name;
}

std::string UidText(uid_t uid) {
  const std::string name = NameOf(uid);
  return name.empty() ? absl::StrCat("uid ", uid) : absl::StrCat("uid ", uid, " (", name, ")");
}

// The socket's directory must be one no other user can put a socket in:
// owned by root or the caller, writable by no one else.
absl::Status CheckDirectory(const std::string& path) {
  const std::string dir = path.substr(0, std::max<size_t>(path.rfind('/'), 1));
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) {
    return absl::UnavailableError(absl::StrCat(dir, ": ", std::strerror(errno)));
  }
  if ((st.st_uid != 0 && st.st_uid != getuid()) || (st.st_mode & 022) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "not using the canceld socket ", path, ": its directory ", dir, " is owned by ",
        UidText(st.st_uid), absl::StrFormat(" with mode %04o", st.st_mode & 07777),
        ", so another user could have put a socket there; remove the directory (canceld "
        "creates it 0700 as its user) or name the endpoint explicitly (--endpoint, "
        "CANCELD_ENDPOINT)"));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<uid_t> TrustedDaemonUids(const DaemonTrust& trust) {
  std::vector<uid_t> uids = {0, getuid()};
  passwd entry;
  passwd* found = nullptr;
  char buffer[4096];
  if (getpwnam_r("canceld", &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
    uids.push_back(found->pw_uid);
  }
  uids.insert(uids.end(), trust.extra_uids.begin(), trust.extra_uids.end());
  return uids;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> DialDaemon(const std::string& endpoint,
                                                          const DaemonTrust& trust,
                                                          const grpc::ChannelArguments& args) {
  const std::optional<std::string> path = UnixSocketPath(endpoint);
  if (!path.has_value()) {
    grpc::ChannelArguments copy = args;
    return grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), copy);
  }
  if (!trust.explicit_endpoint) {
    if (absl::Status dir = CheckDirectory(*path); !dir.ok()) return dir;
  }
  sockaddr_un addr = {};
  if (path->size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("the socket path ", *path, " is too long"));
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path->c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int error = errno;
    close(fd);
    const std::string why = error == EAGAIN ? "its backlog is full" : std::strerror(error);
    // EACCES too: the socket's mode keeps this user out, which is not a
    // daemon to distrust (callers say which group grants access).
    return absl::UnavailableError(absl::StrCat(endpoint, ": ", why));
  }
  ucred cred = {};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    const int error = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat(endpoint, ": SO_PEERCRED: ", std::strerror(error)));
  }
  const std::vector<uid_t> trusted = TrustedDaemonUids(trust);
  if (std::find(trusted.begin(), trusted.end(), cred.uid) == trusted.end()) {
    close(fd);
    std::vector<std::string> names;
    for (uid_t uid : trusted) names.push_back(UidText(uid));
    return absl::PermissionDeniedError(
        absl::StrCat("not talking to the process listening on ", endpoint, ": it runs as ",
                     UidText(cred.uid), " (pid ", cred.pid, "), and a canceld must run as one of ",
                     absl::StrJoin(names, ", "), "; if you trust it, add --trust-uid ", cred.uid));
  }
  grpc::ChannelArguments copy = args;
  return grpc::CreateCustomInsecureChannelFromFd(endpoint, fd, copy);
}

}  // namespace hother::cancelable::client_internal
