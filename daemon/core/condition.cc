#include "daemon/core/condition.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "daemon/core/labels.h"
#include "hother/cancelable/internal/enum_names.h"
#include "hother/cancelable/resource_usage.h"

extern char** environ;

namespace hother::cancelable::daemon {
namespace {

constexpr std::pair<ConditionKind, absl::string_view> kKinds[] = {
    {ConditionKind::kFileExists, "file_exists"},
    {ConditionKind::kFileAbsent, "file_absent"},
    {ConditionKind::kMemoryAvailableBelow, "memory_available_below"},
    {ConditionKind::kLoadAverageAbove, "load_average_above"},
    {ConditionKind::kDiskFreeBelow, "disk_free_below"},
    {ConditionKind::kProcessExited, "process_exited"},
    {ConditionKind::kCommand, "command"},
};

absl::string_view KindName(ConditionKind kind) { return internal::NameOf(kKinds, kind); }

absl::Status Bad(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("condition ", Quote(text), ": ", why));
}

// "5%" -> percent, "512MiB" / "1GiB" / "1048576" -> bytes.
absl::Status ParseAmount(absl::string_view text, absl::string_view arg, Condition& out) {
  arg = absl::StripAsciiWhitespace(arg);
  double number = 0;
  if (absl::ConsumeSuffix(&arg, "%")) {
    if (!absl::SimpleAtod(arg, &number) || number <= 0 || number > 100) {
      return Bad(text, "the percentage must be in (0, 100]");
    }
    out.percent = number;
    return absl::OkStatus();
  }
  uint64_t scale = 1;
  for (const auto& [suffix, factor] : {std::pair<absl::string_view, uint64_t>{"GiB", 1ull << 30},
                                       {"MiB", 1ull << 20},
                                       {"KiB", 1ull << 10}}) {
    if (absl::ConsumeSuffix(&arg, suffix)) {
      scale = factor;
      break;
    }
  }
  if (!absl::SimpleAtod(arg, &number) || number <= 0) {
    return Bad(text, "expected a percentage (5%) or a size (512MiB)");
  }
  out.bytes = static_cast<uint64_t>(number * static_cast<double>(scale));
  return absl::OkStatus();
}

std::string FormatBytes(uint64_t bytes) {
  return absl::StrFormat("%.1fMiB", static_cast<double>(bytes) / (1 << 20));
}

// Starts `command` with posix_spawn (no code of ours runs between fork and
// exec, where the daemon's other threads may hold locks), in its own process
// group, with /dev/null as stdin, stdout and stderr.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attr);
  for (int fd : {0, 1, 2}) posix_spawn_file_actions_addopen(&files, fd, "/dev/null", O_RDWR, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int error = posix_spawnp(&pid, argv[0], &files, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&files);
  if (error == ENOENT) return absl::NotFoundError(absl::StrCat("cannot run '", command[0], "'"));
  if (error != 0) {
    return absl::InternalError(
        absl::StrCat("cannot run '", command[0], "': ", std::strerror(error)));
  }
  return pid;
}

absl::StatusOr<Observation> RunCommand(const Condition& c) {
  absl::StatusOr<pid_t> spawned = Spawn(c.command);
  if (!spawned.ok()) return spawned.status();
  const pid_t pid = *spawned;
  const absl::Time give_up = absl::Now() + c.command_timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (absl::Now() > give_up) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(
          absl::StrCat("command did not finish within ", absl::FormatDuration(c.command_timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));  // bounded by the command timeout
  }
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code == 127) return absl::NotFoundError(absl::StrCat("cannot run '", c.command[0], "'"));
    return Observation{code == 0, absl::StrCat("exit status ", code)};
  }
  return Observation{false, absl::StrCat("killed by signal ", WTERMSIG(status))};
}

}  // namespace

std::string Condition::ToString() const {
  switch (kind) {
    case ConditionKind::kFileExists:
    case ConditionKind::kFileAbsent:
      return absl::StrCat(KindName(kind), "(", path, ")");
    case ConditionKind::kMemoryAvailableBelow:
      return absl::StrCat(KindName(kind), "(",
                          percent ? absl::StrCat(*percent, "%") : absl::StrCat(*bytes), ")");
    case ConditionKind::kLoadAverageAbove:
      return absl::StrCat(KindName(kind), "(", load, ")");
    case ConditionKind::kDiskFreeBelow:
      return absl::StrCat(KindName(kind), "(", path, ", ", *percent, "%)");
    case ConditionKind::kProcessExited:
      return absl::StrCat(KindName(kind), "(", pid, ")");
    case ConditionKind::kCommand:
      return absl::StrCat("command(", absl::StrJoin(command, " "), ")");
  }
  return "unknown";
}

absl::StatusOr<Condition> ParseCondition(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  size_t open = text.find('(');
  if (open == absl::string_view::npos) {
    return absl::NotFoundError(absl::StrCat(Quote(text), " is not a built-in condition"));
  }
  if (text.back() != ')') return Bad(text, "expected ')' at the end");
  absl::string_view kind_name = absl::StripAsciiWhitespace(text.substr(0, open));
  absl::string_view args = text.substr(open + 1, text.size() - open - 2);
  Condition c;
  std::optional<ConditionKind> kind = internal::ValueOf<ConditionKind>(kKinds, kind_name);
  if (kind.has_value()) c.kind = *kind;
  if (!kind.has_value()) {
    return Bad(text,
               "unknown kind; use file_exists, file_absent, memory_available_below, "
               "load_average_above, disk_free_below or process_exited");
  }
  switch (c.kind) {
    case ConditionKind::kFileExists:
    case ConditionKind::kFileAbsent:
      c.path = std::string(absl::StripAsciiWhitespace(args));
      if (c.path.empty() || c.path[0] != '/') return Bad(text, "expected an absolute path");
      break;
    case ConditionKind::kMemoryAvailableBelow:
      if (absl::Status s = ParseAmount(text, args, c); !s.ok()) return s;
      break;
    case ConditionKind::kLoadAverageAbove:
      if (!absl::SimpleAtod(absl::StripAsciiWhitespace(args), &c.load) || c.load <= 0) {
        return Bad(text, "expected a positive load average");
      }
      break;
    case ConditionKind::kDiskFreeBelow: {
      std::vector<absl::string_view> parts = absl::StrSplit(args, ',');
      if (parts.size() != 2) return Bad(text, "expected (path, percent%)");
      c.path = std::string(absl::StripAsciiWhitespace(parts[0]));
      if (c.path.empty() || c.path[0] != '/') return Bad(text, "expected an absolute path");
      if (absl::Status s = ParseAmount(text, parts[1], c); !s.ok()) return s;
      if (!c.percent) return Bad(text, "expected a percentage, like 10%");
      break;
    }
    case ConditionKind::kProcessExited:
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(args), &c.pid) || c.pid <= 0) {
        return Bad(text, "expected a process id");
      }
      break;
    case ConditionKind::kCommand:
      return Bad(text, "command conditions can only be defined in canceld's configuration file");
  }
  return c;
}

absl::StatusOr<Observation> Check(const Condition& c, const std::string& proc_root) {
  switch (c.kind) {
    case ConditionKind::kFileExists:
    case ConditionKind::kFileAbsent: {
      struct stat st;
      bool exists = stat(c.path.c_str(), &st) == 0;
      if (!exists && errno != ENOENT && errno != ENOTDIR) {
        return absl::PermissionDeniedError(
            absl::StrCat("stat(", c.path, "): ", std::strerror(errno)));
      }
      return Observation{exists == (c.kind == ConditionKind::kFileExists),
                         exists ? "exists" : "absent"};
    }
    case ConditionKind::kMemoryAvailableBelow: {
      absl::StatusOr<MemoryUsage> m = ReadMemoryUsage(proc_root);
      if (!m.ok()) return m.status();
      double available = 100.0 - m->used_percent();
      if (c.percent) {
        return Observation{available < *c.percent, absl::StrFormat("%.1f%% available", available)};
      }
      return Observation{m->available_bytes < *c.bytes,
                         absl::StrCat(FormatBytes(m->available_bytes), " available")};
    }
    case ConditionKind::kLoadAverageAbove: {
      std::ifstream in(proc_root + "/loadavg");
      double load = 0;
      if (!(in >> load)) {
        return absl::NotFoundError(absl::StrCat("cannot read ", proc_root, "/loadavg"));
      }
      return Observation{load > c.load, absl::StrFormat("load average %.2f", load)};
    }
    case ConditionKind::kDiskFreeBelow: {
      absl::StatusOr<DiskUsage> d = ReadDiskUsage(c.path);
      if (!d.ok()) return d.status();
      double free = 100.0 - d->used_percent();
      return Observation{free < *c.percent, absl::StrFormat("%.1f%% free", free)};
    }
    case ConditionKind::kProcessExited: {
      bool alive = kill(static_cast<pid_t>(c.pid), 0) == 0 || errno == EPERM;
      return Observation{!alive, alive ? "running" : "exited"};
    }
    case ConditionKind::kCommand:
      return RunCommand(c);
  }
  return absl::InternalError("unknown condition kind");
}

}  // namespace hother::cancelable::daemon
