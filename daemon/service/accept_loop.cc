#include "daemon/service/accept_loop.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "grpcpp/server.h"
#include "grpcpp/server_posix.h"
#include "hother/cancelable/log.h"

namespace hother::cancelable::daemon {
namespace {

absl::StatusOr<int> ListenOn(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  // 0660 from birth: no moment in which anyone else could connect.
  const mode_t old_umask = umask(0117);
  const int bound = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int bind_errno = errno;
  umask(old_umask);
  if (bound != 0 || listen(fd, SOMAXCONN) != 0) {
    const int error = bound != 0 ? bind_errno : errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("could not listen on unix:", path, ": ", std::strerror(error)));
  }
  return fd;
}

PeerCredentials ReadCredentials(int fd) {
  PeerCredentials peer;
  ucred cred = {};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    peer.pid = cred.pid;
    peer.uid = cred.uid;
    peer.gid = cred.gid;
  } else {
    peer.uid = static_cast<uid_t>(-1);  // unknown: no one's
    peer.gid = static_cast<gid_t>(-1);
  }
  std::vector<gid_t> groups(64);
  socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
  if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0 && errno == ERANGE) {
    groups.resize(glen / sizeof(gid_t));
    glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) != 0) glen = 0;
  }
  groups.resize(glen / sizeof(gid_t));
  peer.groups = std::move(groups);
  return peer;
}

}  // namespace

absl::StatusOr<std::unique_ptr<AcceptLoop>> AcceptLoop::Listen(
    const std::vector<std::string>& paths, Identity& identity) {
  std::unique_ptr<AcceptLoop> loop(new AcceptLoop);
  loop->identity_ = &identity;
  for (const std::string& path : paths) {
    absl::StatusOr<int> fd = ListenOn(path);
    if (!fd.ok()) return fd.status();  // the destructor closes the others
    loop->listeners_.push_back(*fd);
  }
  loop->wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  loop->reserve_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (loop->wake_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  }
  return loop;
}

AcceptLoop::~AcceptLoop() {
  Stop();
  if (wake_ >= 0) close(wake_);
  if (reserve_ >= 0) close(reserve_);
}

void AcceptLoop::Start(grpc::Server* server) {
  server_ = server;
  thread_ = std::thread([this] { Run(); });
}

void AcceptLoop::Stop() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!write(wake_, &one, sizeof(one));
    thread_.join();
  }
  for (int fd : listeners_) close(fd);
  listeners_.clear();
}

void AcceptLoop::Run() {
  std::vector<pollfd> fds;
  fds.push_back({.fd = wake_, .events = POLLIN, .revents = 0});
  for (int fd : listeners_) fds.push_back({.fd = fd, .events = POLLIN, .revents = 0});
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      Log(LogLevel::kError, absl::StrCat("accept loop: poll: ", std::strerror(errno)));
      return;
    }
    if (fds[0].revents != 0) return;  // Stop
    bool starved = false;
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents != 0) starved |= !AcceptFrom(fds[i].fd);
    }
    // Out of descriptors with no reserve left: the backlog would wake poll
    // at once, again and again; wait a little for descriptors to free.
    if (starved) poll(fds.data(), 1, 100);
    if (reserve_ < 0) reserve_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
}

bool AcceptLoop::AcceptFrom(int listener) {
  for (;;) {
    int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Serve(fd, /*out_of_descriptors=*/false);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if ((errno == EMFILE || errno == ENFILE) && reserve_ >= 0) {
      // Give the reserve up for one accept, to answer this caller at once.
      close(reserve_);
      reserve_ = -1;
      fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) Serve(fd, /*out_of_descriptors=*/true);
      reserve_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd >= 0) continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) return true;
    // Out of descriptors with the reserve spent: callers wait in the
    // backlog until some are freed (said once per connection refused above).
    if (error == EMFILE || error == ENFILE) return false;
    Log(LogLevel::kWarning, absl::StrCat("accept: ", std::strerror(error)));
    return true;
  }
}

void AcceptLoop::Serve(int fd, bool out_of_descriptors) {
  const PeerCredentials peer = ReadCredentials(fd);
  if (out_of_descriptors) {
    const Principal who = UnixPrincipal(peer, identity_->admin_group());
    if (!who.admin) {
      Log(LogLevel::kWarning,
          "refused a connection: canceld is out of file descriptors (raise LimitNOFILE= or "
          "lower --max-sessions); root and the admin group are still let in",
          {{"peer", who.Text()}});
      close(fd);
      return;
    }
  }
  identity_->Connected(fd, peer);
  grpc::AddInsecureChannelFromFd(server_, fd);
}

}  // namespace hother::cancelable::daemon
