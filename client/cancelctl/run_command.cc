// cancelctl run: makes any program an operation of the daemon.
//
// Registers an operation, runs the command in its own process group, and
// when the operation is cancelled (by cancelctl cancel, its deadline, its
// parent, its owner...) sends SIGTERM to the group, then SIGKILL after the
// grace period. Exits with the command's status (128 + N if it died of signal
// N), or 124 when it was cancelled, like timeout(1). SIGINT or SIGTERM sent to
// cancelctl itself cancel the operation the same way.
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cancelctl/commands.h"
#include "hother/cancelable/client/client.h"
#include "hother/cancelable/signal_watcher.h"

namespace hother::cancelable::cancelctl {
namespace {

struct Child {
  std::mutex mu;
  std::condition_variable cv;
  bool exited = false;
  int status = 0;
  bool cancelled = false;
};

pid_t Spawn(const std::vector<std::string>& command) {
  // TRICKY: our SIGINT/SIGTERM handlers are inherited by the child until it
  // resets them; a SIGTERM in that window would be swallowed. Block every
  // signal across the fork; the child unblocks only after the reset.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pid_t pid = fork();
  if (pid != 0) {
    if (pid > 0) setpgid(pid, pid);  // also in the child: no race either way
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return pid;
  }
  setpgid(0, 0);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<char*> argv;
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::cerr << "cancelctl: run: cannot execute '" << command[0] << "': " << std::strerror(errno)
            << "\n";
  _exit(127);
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kError;
}

}  // namespace

int RunCommand(const GlobalOptions& global, const RunArgs& args) {
  if (args.command.empty()) {
    std::cerr << "cancelctl: run: no command given (cancelctl run [flags] -- CMD ARGS...)\n";
    return kUsage;
  }
  StartOptions start;
  start.name = args.name.empty() ? args.command[0] : args.name;
  std::map<std::string, std::string> labels;
  if (!ParseLabels(args.labels, "run: -l", &labels)) return kUsage;
  start.labels.insert(labels.begin(), labels.end());
  start.tokens = args.tokens;
  for (const std::string& name : args.signals) {
    std::optional<int> signo = ParseSignalName(name);
    if (!signo.has_value()) {
      std::cerr << "cancelctl: run: --signal '" << name
                << "' is not a signal name (TERM, INT, HUP, USR1, USR2, QUIT)\n";
      return kUsage;
    }
    start.signals.push_back(*signo);  // canceld refuses the ones it does not relay
  }
  for (const std::string& spec : args.conditions) {
    // SPEC or SPEC@INTERVAL: "file_exists(/run/stop)@200ms".
    StartOptions::Condition condition{spec};
    if (size_t at = spec.rfind('@'); at != std::string::npos && spec.back() != ')') {
      condition.condition = spec.substr(0, at);
      if (!ParseDurationFlag(absl::StrCat("run: --condition ", spec, ": the interval after @"),
                             spec.substr(at + 1), /*positive=*/true, &condition.interval)) {
        return kUsage;
      }
    }
    start.conditions.push_back(std::move(condition));
  }
  absl::Duration grace;
  if (!ParseDurationFlag("run: --grace", args.grace, /*positive=*/false, &grace)) return kUsage;
  if (!args.timeout.empty()) {
    absl::Duration timeout;
    if (!ParseDurationFlag("run: --timeout", args.timeout, /*positive=*/true, &timeout)) {
      return kUsage;
    }
    start.timeout = timeout;
  }
  start.parent_id = args.parent_id;

  ClientOptions options;
  options.endpoint = global.endpoint;
  options.process_name = absl::StrCat("cancelctl-run:", start.name).substr(0, 200);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) {
    std::cerr << "cancelctl: run: " << client.status().message() << "\n";
    return kError;
  }
  if (!(*client)->WaitConnected(global.timeout)) {
    std::cerr << "cancelctl: run: canceld is not reachable at " << global.endpoint
              << "; running with local deadlines until it is\n";
  }
  std::unique_ptr<RemoteOperation> op = (*client)->Start(start);
  if ((*client)->connected()) {
    if (!op->WaitRegistered(global.timeout) && !op->registration_error().ok()) {
      absl::Status error = op->registration_error();
      std::cerr << "cancelctl: run: canceld refused the operation: " << error.message() << "\n";
      op->Finish(absl::FailedPreconditionError("not registered"));
      return absl::IsNotFound(error) ? kNotFound : absl::IsInvalidArgument(error) ? kUsage : kError;
    }
    std::cerr << "cancelctl: run: operation " << op->id() << "\n";
  }

  if (op->IsCancelled()) {  // e.g. under a cancelled parent or token: never start it
    std::shared_ptr<const CancellationDetails> why = op->token().details();
    std::cerr << "cancelctl: run: cancelled before it started (" << ToString(why->reason) << ": "
              << why->message << ")\n";
    op->Finish(op->Check());
    return kRunCancelled;
  }
  Child child;
  CancellationCallback on_cancel(op->token(), [&](const CancellationDetails&) {
    std::lock_guard<std::mutex> lock(child.mu);
    child.cancelled = true;
    child.cv.notify_all();
  });
  auto signals = SignalWatcher::Default().Subscribe({SIGINT, SIGTERM}, [&](int signo) {
    op->Cancel(absl::StrCat("cancelctl run received ", SignalName(signo)));
  });

  const pid_t pid = Spawn(args.command);
  if (pid < 0) {
    std::cerr << "cancelctl: run: fork: " << std::strerror(errno) << "\n";
    op->Finish(absl::InternalError("fork failed"));
    return kError;
  }
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
  bool killed_by_us = false;
  if (!child.exited) {
    killed_by_us = true;
    std::shared_ptr<const CancellationDetails> why = op->token().details();
    std::cerr << "cancelctl: run: cancelled (" << ToString(why->reason) << ": " << why->message
              << "); sending SIGTERM to the command\n";
    kill(-pid, SIGTERM);
    if (!child.cv.wait_for(lock, absl::ToChronoNanoseconds(grace), [&] { return child.exited; })) {
      std::cerr << "cancelctl: run: still running after " << absl::FormatDuration(grace)
                << "; sending SIGKILL\n";
      kill(-pid, SIGKILL);
      child.cv.wait(lock, [&] { return child.exited; });
    }
  }
  const int status = child.status;
  lock.unlock();
  reaper.join();

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
