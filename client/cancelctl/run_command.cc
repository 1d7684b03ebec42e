// cancelctl run: makes any program an operation of the daemon.
//
// Registers an operation, runs the command in its own process group, and
// when the operation is cancelled (by cancelctl cancel, its deadline, its
// parent, its owner...) sends SIGTERM to the group, then SIGKILL after the
// grace period. Exits with the command's status (128 + N if it died of signal
// N), or 124 when it was cancelled, like timeout(1). SIGINT or SIGTERM sent to
// cancelctl itself cancel the operation the same way. With the daemon out of
// reach, the command starts at once and runs unregistered (its deadline kept
// locally) until the daemon appears.
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cancelctl/commands.h"
#include "client/cancelctl/json.h"
#include "hother/cancelable/client/client.h"
#include "hother/cancelable/signal_watcher.h"

extern char** environ;

namespace hother::cancelable::cancelctl {
namespace {

struct Child {
  std::mutex mu;
  std::condition_variable cv;
  bool exited = false;
  int status = 0;
  bool cancelled = false;
};

// The executable `name` names, searched in $PATH as execvp would; empty when
// there is none.
std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Forks and execs `command` in a new process group. Everything the child
// needs is made before the fork: between fork and exec the child calls only
// async-signal-safe functions (other threads may hold malloc's locks).
pid_t Spawn(const std::string& executable, const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const std::string exec_failed =
      absl::StrCat("cancelctl: run: cannot execute '", executable, "'\n");
  // TRICKY: our SIGINT/SIGTERM handlers are inherited by the child until it
  // resets them; a SIGTERM in that window would be swallowed. Block every
  // signal across the fork; the child unblocks only after the reset.
  sigset_t all, old, none;
  sigfillset(&all);
  sigemptyset(&none);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pid_t pid = fork();
  if (pid != 0) {
    if (pid > 0) setpgid(pid, pid);  // also in the child: no race either way
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return pid;
  }
  setpgid(0, 0);
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGINT, &dfl, nullptr);
  sigaction(SIGTERM, &dfl, nullptr);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(executable.c_str(), argv.data(), environ);
  const int code = errno == ENOENT ? 127 : 126;
  (void)!write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
  _exit(code);
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kError;
}

// The operation's StartOptions from the flags; nullopt (with a message) for
// bad input.
std::optional<StartOptions> StartOptionsOf(const RunArgs& args, std::ostream& err) {
  StartOptions start;
  start.name = args.name.empty() ? args.command[0] : args.name;
  std::map<std::string, std::string> labels;
  if (!ParseLabels(args.labels, "run: -l", &labels, err)) return std::nullopt;
  start.labels.insert(labels.begin(), labels.end());
  start.tokens = args.tokens;
  start.parent_id = args.parent_id;
  for (const std::string& name : args.signals) {
    std::optional<int> signo = ParseSignalName(name);
    if (!signo.has_value()) {
      err << "cancelctl: run: --signal '" << name
          << "' is not a signal name (TERM, INT, HUP, USR1, USR2, QUIT)\n";
      return std::nullopt;
    }
    start.signals.push_back(*signo);  // canceld refuses the ones it does not relay
  }
  for (const std::string& spec : args.conditions) {
    // SPEC or SPEC@INTERVAL: "file_exists(/run/stop)@200ms".
    StartOptions::Condition condition{spec};
    if (size_t at = spec.rfind('@'); at != std::string::npos && spec.back() != ')') {
      condition.condition = spec.substr(0, at);
      if (!ParseDurationFlag(absl::StrCat("run: --condition ", spec, ": the interval after @"),
                             spec.substr(at + 1), /*positive=*/true, &condition.interval, err)) {
        return std::nullopt;
      }
    }
    start.conditions.push_back(std::move(condition));
  }
  if (!args.timeout.empty()) {
    absl::Duration timeout;
    if (!ParseDurationFlag("run: --timeout", args.timeout, /*positive=*/true, &timeout, err)) {
      return std::nullopt;
    }
    start.timeout = timeout;
  }
  return start;
}

// Starts the operation: registered when the daemon is there (and refused
// with an exit code when it refuses), unregistered at once when it is not.
// Returns the operation, or sets `exit_code`.
std::unique_ptr<RemoteOperation> StartOperation(Client& client, const GlobalOptions& global,
                                                const StartOptions& start, Streams streams,
                                                int* exit_code) {
  if (!client.WaitConnectedOrRefused(global.rpc_timeout)) {
    streams.err << "cancelctl: run: canceld is not reachable at " << global.endpoint << " ("
                << client.status().message()
                << "); the command runs unregistered, with its deadline kept locally, until "
                   "canceld appears\n";
  }
  std::unique_ptr<RemoteOperation> op = client.Start(start);
  if (client.connected()) {
    if (!op->WaitRegistered(global.rpc_timeout) && !op->registration_error().ok()) {
      absl::Status error = op->registration_error();
      streams.err << "cancelctl: run: canceld refused the operation: " << error.message() << "\n";
      op->Finish(absl::FailedPreconditionError("not registered"));
      *exit_code = absl::IsNotFound(error)          ? kNotFound
                   : absl::IsInvalidArgument(error) ? kUsage
                                                    : kError;
      return nullptr;
    }
    streams.err << "cancelctl: run: operation " << op->id() << "\n";
  }
  if (global.format == Format::kJson) {
    google::protobuf::Value json;
    auto& fields = *json.mutable_struct_value()->mutable_fields();
    fields["operation_id"].set_string_value(op->id());
    fields["registered"].set_bool_value(!op->id().empty());
    streams.out << JsonText(json) << std::endl;
  }
  return op;
}

// Waits for the command to exit or the operation to be cancelled; on a
// cancel, ends the command (SIGTERM, then SIGKILL after `grace`). Returns
// whether it was ended by us and the command's wait status.
std::pair<bool, int> Supervise(RemoteOperation& op, pid_t pid, absl::Duration grace,
                               std::ostream& err) {
  Child child;
  CancellationCallback on_cancel(op.token(), [&](const CancellationDetails&) {
    std::lock_guard<std::mutex> lock(child.mu);
    child.cancelled = true;
    child.cv.notify_all();
  });
  std::thread reaper([&] {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::lock_guard<std::mutex> lock(child.mu);
    child.exited = true;
    child.status = status;
    child.cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(child.mu);
  child.cv.wait(lock, [&] { return child.exited || child.cancelled; });
  const bool killed_by_us = !child.exited;
  if (killed_by_us) {
    std::shared_ptr<const CancellationDetails> why = op.token().details();
    err << "cancelctl: run: cancelled (" << ToString(why->reason) << ": " << why->message
        << "); sending SIGTERM to the command\n";
    kill(-pid, SIGTERM);
    if (!child.cv.wait_for(lock, absl::ToChronoNanoseconds(grace), [&] { return child.exited; })) {
      err << "cancelctl: run: still running after " << absl::FormatDuration(grace)
          << "; sending SIGKILL\n";
      kill(-pid, SIGKILL);
      child.cv.wait(lock, [&] { return child.exited; });
    }
  }
  const int status = child.status;
  lock.unlock();
  reaper.join();
  return {killed_by_us, status};
}

}  // namespace

int RunCommand(const GlobalOptions& global, const RunArgs& args, Streams streams) {
  if (args.command.empty()) {
    streams.err << "cancelctl: run: no command given (cancelctl run [flags] -- CMD ARGS...)\n";
    return kUsage;
  }
  std::optional<StartOptions> start = StartOptionsOf(args, streams.err);
  absl::Duration grace;
  if (!start.has_value() ||
      !ParseDurationFlag("run: --grace", args.grace, /*positive=*/false, &grace, streams.err)) {
    return kUsage;
  }
  const std::string executable = FindExecutable(args.command[0]);
  if (executable.empty()) {
    streams.err << "cancelctl: run: '" << args.command[0] << "': command not found in $PATH\n";
    return 127;
  }
  ClientOptions options;
  // Resolved by the SDK the same way when not named, so that it checks the
  // socket's directory too.
  options.endpoint = global.explicit_endpoint ? global.endpoint : "";
  options.trust_uids = global.trust_uids;
  options.process_name = absl::StrCat("cancelctl-run:", start->name).substr(0, 200);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) {
    streams.err << "cancelctl: run: " << client.status().message() << "\n";
    return kError;
  }
  int exit_code = kOk;
  std::unique_ptr<RemoteOperation> op =
      StartOperation(**client, global, *start, streams, &exit_code);
  if (op == nullptr) return exit_code;
  if (op->IsCancelled()) {  // e.g. under a cancelled parent or token: never start it
    std::shared_ptr<const CancellationDetails> why = op->token().details();
    streams.err << "cancelctl: run: cancelled before it started (" << ToString(why->reason) << ": "
                << why->message << ")\n";
    op->Finish(op->Check());
    return kRunCancelled;
  }
  auto signals = SignalWatcher::Default().Subscribe({SIGINT, SIGTERM}, [&](int signo) {
    op->Cancel(absl::StrCat("cancelctl run received ", SignalName(signo)));
  });
  const pid_t pid = Spawn(executable, args.command);
  if (pid < 0) {
    streams.err << "cancelctl: run: fork: " << std::strerror(errno) << "\n";
    op->Finish(absl::InternalError("fork failed"));
    return kError;
  }
  auto [killed_by_us, status] = Supervise(*op, pid, grace, streams.err);
  if (killed_by_us || op->IsCancelled()) {
    op->Finish(op->Check());
    return kRunCancelled;
  }
  const int code = ExitCodeOf(status);
  op->Finish(code == 0 ? absl::OkStatus()
                       : absl::UnknownError(absl::StrCat("exited with status ", code)));
  return code;
}

}  // namespace hother::cancelable::cancelctl
