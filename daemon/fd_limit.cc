#include "daemon/fd_limit.h"

#include <sys/resource.h>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/log.h"

namespace hother::cancelable::daemon {

size_t RaiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? static_cast<size_t>(1) << 20
                                         : static_cast<size_t>(limit.rlim_cur);
}

absl::Status FitSessionsToFdLimit(size_t fd_limit, bool given, size_t& max_sessions) {
  if (max_sessions + kFdReserve <= fd_limit) return absl::OkStatus();
  if (fd_limit <= kFdReserve + 1) {
    return absl::FailedPreconditionError(absl::StrCat("the file descriptor limit is ", fd_limit,
                                                      "; canceld needs more than ", kFdReserve,
                                                      " (raise LimitNOFILE= or `ulimit -n`)"));
  }
  if (given) {
    return absl::FailedPreconditionError(
        absl::StrCat("--max-sessions ", max_sessions, " needs ", max_sessions + kFdReserve,
                     " file descriptors, but the limit is ", fd_limit,
                     " (raise LimitNOFILE= or `ulimit -n`, or lower --max-sessions to at most ",
                     fd_limit - kFdReserve, ")"));
  }
  const size_t fitted = fd_limit - kFdReserve;
  Log(LogLevel::kWarning, absl::StrCat("--max-sessions lowered from ", max_sessions, " to ", fitted,
                                       " to fit the file descriptor limit of ", fd_limit,
                                       " (raise LimitNOFILE= or `ulimit -n` for more)"));
  max_sessions = fitted;
  return absl::OkStatus();
}

}  // namespace hother::cancelable::daemon
