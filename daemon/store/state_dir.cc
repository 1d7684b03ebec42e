#include "daemon/store/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace hother::cancelable::daemon {
namespace {

// Creates `dir` and its missing parents (0700 for what it creates).
bool MakeDirs(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
  const size_t slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0 && !MakeDirs(dir.substr(0, slash))) return false;
  return mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST;
}

bool Writable(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) == 0)
    return S_ISDIR(st.st_mode) && access(dir.c_str(), W_OK | X_OK) == 0;
  const std::string parent = dir.substr(0, dir.rfind('/'));
  return access(parent.c_str(), W_OK | X_OK) == 0;
}

}  // namespace

std::string DefaultStateDir() {
  if (Writable("/var/lib/canceld")) return "/var/lib/canceld";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && xdg[0] == '/') {
    return absl::StrCat(xdg, "/canceld");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr && home[0] != '\0' ? home : "/tmp", "/.local/state/canceld");
}

std::string StateFile(const std::string& dir) { return absl::StrCat(dir, "/state.db"); }

absl::StatusOr<std::unique_ptr<StateDirLock>> StateDirLock::Acquire(const std::string& dir) {
  if (!MakeDirs(dir)) {
    return absl::PermissionDeniedError(
        absl::StrCat("--state-dir ", dir, ": cannot create it: ", std::strerror(errno)));
  }
  const std::string path = absl::StrCat(dir, "/canceld.lock");
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("--state-dir ", dir, ": cannot open ", path, ": ", std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buffer[32] = {};
    ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
    close(fd);
    int pid = 0;
    std::string holder =
        n > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(buffer, n)), &pid)
            ? absl::StrCat(" (pid ", pid, ")")
            : "";
    return absl::FailedPreconditionError(
        absl::StrCat("the state directory ", dir, " is held by another canceld", holder,
                     "; stop it first or use another --state-dir"));
  }
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message of a second daemon is poorer.
  }
  return std::unique_ptr<StateDirLock>(new StateDirLock(fd));
}

StateDirLock::~StateDirLock() { close(fd_); }

absl::StatusOr<std::vector<std::string>> ResetState(const std::string& dir, absl::Time now) {
  absl::StatusOr<std::unique_ptr<StateDirLock>> lock = StateDirLock::Acquire(dir);
  if (!lock.ok()) return lock.status();
  const std::string stamp = absl::FormatTime("%Y-%m-%dT%H-%M-%S", now, absl::UTCTimeZone());
  std::vector<std::string> moved;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string from = absl::StrCat(StateFile(dir), suffix);
    const std::string to = absl::StrCat(StateFile(dir), ".", stamp, suffix);
    if (access(from.c_str(), F_OK) != 0) continue;
    if (rename(from.c_str(), to.c_str()) != 0) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot move ", from, " to ", to, ": ", std::strerror(errno)));
    }
    moved.push_back(to);
  }
  return moved;
}

}  // namespace hother::cancelable::daemon
