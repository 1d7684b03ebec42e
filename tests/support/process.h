// Test support shared by the tests and the benchmarks: a temp dir, the real
// binaries as child processes, and commands whose exit code and output are
// captured.
#ifndef HOTHER_CANCELABLE_TESTS_SUPPORT_PROCESS_H_
#define HOTHER_CANCELABLE_TESTS_SUPPORT_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace hother::cancelable::test_support {

// A child process with stdout and stderr in files, started in `cwd` (empty:
// this process's). Killed (SIGKILL) and reaped on destruction if still
// running.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& output_prefix,
          const std::vector<std::string>& env = {}, const std::string& cwd = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signo) const;
  // The exit code (128 + N for signal N) once exited within `timeout`.
  std::optional<int> Wait(absl::Duration timeout);
  // Asks it to end (SIGTERM) and waits for that, for at most `grace`.
  std::optional<int> Terminate(absl::Duration grace);
  bool running();
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
};

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs argv to completion (at most 30 s).
Result RunToCompletion(const std::vector<std::string>& argv, const std::string& output_prefix,
                       const std::vector<std::string>& env = {});

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

}  // namespace hother::cancelable::test_support

#endif  // HOTHER_CANCELABLE_TESTS_SUPPORT_PROCESS_H_
