// canceld's command-line flags, bound to DaemonOptions (CLI11).
//
//   --listen ENDPOINT (repeatable; alias --endpoint)  unix:/path or host:port;
//       default: resolved
//   --history N (finished operations kept, default 10000)
//   --heartbeat-interval 2s  --lease-timeout 10s
//   --max-operations N  --max-sessions N
//   --log-level debug|info|warning|error  --log-format text|json  --version
//   --print-endpoint (print where it would listen, and exit)
//   --state-dir DIR|none  --durability sync|batch  --cancel-retention 24h
//   --history-age 168h  --print-state-dir  --reset-state
//
// Durations are written as absl parses them: "300ms", "2s", "1m30s".
#ifndef HOTHER_CANCELABLE_DAEMON_FLAGS_H_
#define HOTHER_CANCELABLE_DAEMON_FLAGS_H_

#include "CLI/CLI.hpp"
#include "daemon/daemon.h"

namespace hother::cancelable::daemon {

// Adds the flags to `app`; values land in `options` when `app` parses.
struct MainFlags {
  bool version = false;
  bool print_endpoint = false;
  bool print_state_dir = false;
  bool reset_state = false;
};
void AddDaemonFlags(CLI::App& app, DaemonOptions& options, MainFlags& main_flags);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_FLAGS_H_
