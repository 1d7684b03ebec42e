// File descriptors: canceld raises its soft RLIMIT_NOFILE to the hard limit
// at start (the shipped unit sets LimitNOFILE=), and keeps --max-sessions
// below it, each session being a connection, with kFdReserve descriptors
// left for listeners, watchers' and operators' connections, gRPC's own, and
// the files the daemon reads. A --max-sessions given on the command line that
// does not fit is an error naming both numbers; the default is lowered to fit,
// with a warning.
//
// Thread-safety: call at start, before serving.
#ifndef HOTHER_CANCELABLE_DAEMON_FD_LIMIT_H_
#define HOTHER_CANCELABLE_DAEMON_FD_LIMIT_H_

#include <cstddef>

#include "absl/status/status.h"

namespace hother::cancelable::daemon {

inline constexpr size_t kFdReserve = 128;

// The soft limit after raising it as far as the hard limit allows.
size_t RaiseFdLimit();

// OK when `max_sessions` + kFdReserve fit in `fd_limit`; otherwise lowers a
// default `max_sessions` to fit (a warning), or FAILED_PRECONDITION for one
// the operator gave.
absl::Status FitSessionsToFdLimit(size_t fd_limit, bool given, size_t& max_sessions);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_FD_LIMIT_H_
