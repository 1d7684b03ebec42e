#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace hother::cancelable::test_support {

Process::Process(const std::vector<std::string>& argv, const std::string& output_prefix,
                 const std::vector<std::string>& env, const std::string& cwd)
    : out_path_(output_prefix + ".out"), err_path_(output_prefix + ".err") {
  pid_ = fork();
  if (pid_ == 0) {
    int out = open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = open("/dev/null", O_RDONLY);
    dup2(out, 1);
    dup2(err, 2);
    dup2(null, 0);
    for (const std::string& kv : env) putenv(const_cast<char*>(kv.c_str()));
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (!exit_code_.has_value() && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void Process::Signal(int signo) const { kill(pid_, signo); }

std::optional<int> Process::Terminate(absl::Duration grace) {
  if (!exit_code_.has_value()) Signal(SIGTERM);
  return Wait(grace);
}

std::optional<int> Process::Wait(absl::Duration timeout) {
  if (exit_code_.has_value()) return exit_code_;
  // Await the exit itself: a pidfd becomes readable when the process ends.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    pollfd fd = {pidfd, POLLIN, 0};
    int ms = timeout == absl::InfiniteDuration()
                 ? -1
                 : static_cast<int>(absl::ToInt64Milliseconds(timeout));
    poll(&fd, 1, ms);
    close(pidfd);
  }
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return exit_code_;
}

bool Process::running() { return !Wait(absl::ZeroDuration()).has_value(); }

std::string Process::out() const { return ReadFile(out_path_); }
std::string Process::err() const { return ReadFile(err_path_); }

Result RunToCompletion(const std::vector<std::string>& argv, const std::string& output_prefix,
                       const std::vector<std::string>& env) {
  Process p(argv, output_prefix, env);
  Result r;
  r.exit_code = p.Wait(absl::Seconds(30)).value_or(-1);
  r.out = p.out();
  r.err = p.err();
  return r;
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  // Short: unix socket paths are limited to 107 bytes.
  path_ = absl::StrCat("/tmp/ce2e-", getpid(), "-", counter++);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() { std::filesystem::remove_all(path_); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace hother::cancelable::test_support
