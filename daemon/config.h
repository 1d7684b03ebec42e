// The daemon's configuration file (TOML, `--config`), re-read on SIGHUP.
//
//   # /etc/canceld.toml
//   [conditions.disk_full]          # subscribers write just "disk_full"
//   kind = "disk_free_below"
//   path = "/var"
//   percent = 5
//
//   [state]                         # read at start; --state-dir and
//   dir = "/var/lib/canceld"        # --durability win over these
//   durability = "sync"
//
//   [conditions.maintenance]
//   kind = "command"                # only the configuration may define these
//   command = ["/usr/local/bin/in-maintenance", "--quiet"]
//   timeout = "5s"                  # met when the command exits 0
//
// Kinds and their keys: file_exists / file_absent (path),
// memory_available_below (percent or bytes, e.g. "512MiB"),
// load_average_above (load), disk_free_below (path, percent),
// process_exited (pid), command (command: a string run by /bin/sh -c, or an
// array; timeout, default 10s).
//
// Errors name the file, line and column: "canceld.toml:7:11: ...".
#ifndef HOTHER_CANCELABLE_DAEMON_CONFIG_H_
#define HOTHER_CANCELABLE_DAEMON_CONFIG_H_

#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "daemon/core/condition.h"

namespace hother::cancelable::daemon {

struct DaemonConfig {
  absl::flat_hash_map<std::string, Condition> conditions;
  // [state]: read at start only (the flags win).
  std::optional<std::string> state_dir;   // dir = "/var/lib/canceld" or "none"
  std::optional<std::string> durability;  // durability = "sync" or "batch"
};

// INVALID_ARGUMENT with file:line:column for a malformed file or value;
// NOT_FOUND when it cannot be read.
absl::StatusOr<DaemonConfig> LoadConfig(const std::string& path);
absl::StatusOr<DaemonConfig> ParseConfig(const std::string& text, const std::string& source_name);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CONFIG_H_
