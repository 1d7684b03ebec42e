// Daemon: canceld as a library. Binds its listeners, serves the Canceld
// service (plus grpc.health.v1.Health and server reflection), and drains on
// request. `main.cc` only turns flags into DaemonOptions and calls
// RunDaemon; tests start a Daemon in-process on a socket in a temp dir.
//
//   DaemonOptions options;
//   options.listen = {"unix:/tmp/t/canceld.sock"};
//   absl::StatusOr<std::unique_ptr<Daemon>> d = Daemon::Start(options);
//   ...
//   (*d)->Shutdown();   // health NOT_SERVING, streams end UNAVAILABLE, stop
//
// Unix sockets are created read-write for owner and group only; a stale
// socket file is replaced; a live one (another daemon answers on it) makes
// Start fail with FAILED_PRECONDITION.
//
// Thread-safety: Shutdown and Wait may be called from any thread.
#ifndef HOTHER_CANCELABLE_DAEMON_DAEMON_H_
#define HOTHER_CANCELABLE_DAEMON_DAEMON_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/service/accept_loop.h"
#include "daemon/service/daemon_state.h"
#include "daemon/stderr_log.h"
#include "daemon/store/state_dir.h"
#include "daemon/store/store.h"
#include "hother/cancelable/clock.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace hother::cancelable::daemon {

class CanceldService;

struct DaemonOptions {
  std::vector<std::string> listen;  // empty: the resolved default endpoint
  DaemonLimits limits;
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  absl::Duration drain_timeout = absl::Seconds(3);
  std::string config_path;          // TOML (config.h); empty: none
  bool max_sessions_given = false;  // --max-sessions was on the command line (fd_limit.h)
  // Where the durable state lives (store/state_dir.h): a directory, "none"
  // (nothing survives a restart), or empty for the configuration file's
  // [state] dir, else DefaultStateDir() (what canceld does without
  // --state-dir).
  std::string state_dir = kNoStateDir;
  std::optional<Durability> durability;  // unset: the configuration's, else sync
  absl::Duration cancel_retention = absl::Hours(24);
  absl::Duration history_age = absl::Hours(24 * 7);
  // Root and the members of this group may do everything (--admin-group);
  // a group that does not exist makes only root an admin.
  std::string admin_group = "canceld-admin";
  // Plaintext TCP listeners are refused without it: a TCP peer cannot be
  // verified (every one is the same unverified principal).
  bool insecure_tcp = false;
};

// The state directory `options` resolve to (see DaemonOptions::state_dir),
// or "none". An unreadable configuration file is an error.
[[nodiscard]] absl::StatusOr<std::string> ResolveStateDir(const DaemonOptions& options);
// `canceld --reset-state`: moves the store of the resolved state directory
// aside (state_dir.h, ResetState) and says where; the exit code.
int ResetStateDir(const DaemonOptions& options);

class Daemon {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Daemon>> Start(const DaemonOptions& options,
                                                                     Clock& clock = Clock::Real());
  ~Daemon();

  // The endpoints actually bound (a TCP port 0 replaced by the chosen port).
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  DaemonState& state() { return *state_; }

  // Drains and stops; idempotent. Returns once the server has stopped.
  void Shutdown();

  // Re-reads the configuration file. On an error (reported with line and
  // column) the running configuration is kept.
  [[nodiscard]] absl::Status ReloadConfig();

 private:
  Daemon() = default;

  DaemonOptions options_;
  std::unique_ptr<StateDirLock> state_lock_;
  std::unique_ptr<Store> store_;  // outlives the state: the graph appends to it
  std::unique_ptr<DaemonState> state_;
  std::unique_ptr<CanceldService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<AcceptLoop> accept_loop_;  // the unix sockets
  std::vector<std::string> endpoints_;
  std::vector<std::string> socket_paths_;
  std::atomic<bool> stopped_{false};
};

// Runs canceld until SIGTERM or SIGINT, then drains. Logs to stderr. Returns
// the process exit code (0 after a clean drain, 1 if it could not start).
// Raises the fd limit and fits --max-sessions to it (fd_limit.h) first.
int RunDaemon(DaemonOptions options);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_DAEMON_H_
