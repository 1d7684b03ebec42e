// Conditions the daemon polls on behalf of operations: what they are, how
// they are written, and how one is checked.
//
//   file_exists(/var/run/stop)         file_absent(/var/run/leader)
//   memory_available_below(5%)         memory_available_below(512MiB)
//   load_average_above(8.5)            disk_free_below(/var, 10%)
//   process_exited(4242)               disk_full   (a name from --config)
//
// A `command` condition (run a program with a timeout; met when it exits 0)
// can only be defined in the daemon's configuration file, never by a client:
// the daemon runs no code a client chose.
//
// Thread-safety: Condition is a value; Check is thread-safe.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_CONDITION_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_CONDITION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hother::cancelable::daemon {

enum class ConditionKind {
  kFileExists,
  kFileAbsent,
  kMemoryAvailableBelow,
  kLoadAverageAbove,
  kDiskFreeBelow,
  kProcessExited,
  kCommand,  // configuration file only
};

struct Condition {
  ConditionKind kind = ConditionKind::kFileExists;
  std::string path;                  // file_*, disk_free_below
  std::optional<double> percent;     // memory_available_below, disk_free_below
  std::optional<uint64_t> bytes;     // memory_available_below
  double load = 0;                   // load_average_above
  int64_t pid = 0;                   // process_exited
  std::vector<std::string> command;  // command: argv
  absl::Duration command_timeout = absl::Seconds(10);

  // The canonical text: "memory_available_below(5%)". Two subscribers of the
  // same text share one evaluation.
  std::string ToString() const;
};

// Parses a client's condition text (no `command`). INVALID_ARGUMENT saying
// what is wrong; a bare name is NOT a built-in and returns NOT_FOUND (the
// caller then looks it up among the configured ones).
absl::StatusOr<Condition> ParseCondition(absl::string_view text);

// What one check saw.
struct Observation {
  bool met = false;
  std::string value;  // "3.2% available", "exists", "exit status 1"
};

// Runs one check. Errors (an unreadable /proc file, a command that timed
// out) are returned as statuses; the caller counts them as "not met".
// `proc_root` replaces /proc for tests.
absl::StatusOr<Observation> Check(const Condition& condition,
                                  const std::string& proc_root = "/proc");

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_CONDITION_H_
