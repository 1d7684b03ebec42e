// The fixture of the end-to-end tests: the real canceld and cancelctl
// binaries, on a unix socket in a temp dir, with a state directory there.
// Each test gets its own daemon.
#ifndef HOTHER_CANCELABLE_TESTS_E2E_E2E_FIXTURE_H_
#define HOTHER_CANCELABLE_TESTS_E2E_E2E_FIXTURE_H_

#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/lib/test_util.h"
#include "tests/support/process.h"

namespace hother::cancelable::e2e {

using test_support::Process;
using test_support::ReadFile;
using test_support::Result;
using test_support::RunToCompletion;
using test_support::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

class E2E : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = absl::StrCat("unix:", dir_.path(), "/canceld.sock");
    StartDaemon();
  }

  // `extra`: more flags, e.g. a short lease.
  void StartDaemon(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {CANCELD_PATH, "--state-dir", dir_.path() + "/state",
                                     "--listen",   endpoint_,     "--log-level",
                                     "debug"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Process>(argv, absl::StrCat(dir_.path(), "/canceld", daemons_++));
    ASSERT_TRUE(Eventually([&] { return Ctl({"health"}).exit_code == 0; })) << daemon_->err();
  }

  // kill -9: no drain, no clean close of the store.
  void KillDaemon() {
    daemon_->Signal(SIGKILL);
    ASSERT_EQ(daemon_->Wait(absl::Seconds(10)), 128 + SIGKILL);
  }

  void StopDaemon() { ASSERT_EQ(daemon_->Terminate(absl::Seconds(10)), 0) << daemon_->err(); }

  Result Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {CANCELCTL_PATH, "--endpoint", endpoint_});
    return RunToCompletion(args, absl::StrCat(dir_.path(), "/ctl", commands_++));
  }

  // `cancelctl run ARGS` in the background.
  std::unique_ptr<Process> Run(std::vector<std::string> args) {
    args.insert(args.begin(), {CANCELCTL_PATH, "--endpoint", endpoint_, "run"});
    return std::make_unique<Process>(args, absl::StrCat(dir_.path(), "/run", commands_++));
  }

  // The operation id a `run` printed, once it has.
  std::string IdOf(Process& run) {
    std::string id;
    EXPECT_TRUE(Eventually([&] {
      for (absl::string_view line : absl::StrSplit(run.err(), '\n')) {
        if (absl::ConsumePrefix(&line, "cancelctl: run: operation ")) id = std::string(line);
      }
      return !id.empty();
    })) << run.err();
    return id;
  }

  std::string GetJson(const std::string& id) { return Ctl({"get", id, "-o", "json"}).out; }

  TempDir dir_;
  std::string endpoint_;
  std::unique_ptr<Process> daemon_;
  int daemons_ = 0;
  int commands_ = 0;
};

}  // namespace hother::cancelable::e2e

#endif  // HOTHER_CANCELABLE_TESTS_E2E_E2E_FIXTURE_H_
