// End-to-end: what canceld keeps across a crash (kill -9) and a restart, with
// the real binaries and a state directory in a temp dir.
#include <signal.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_fixture.h"

namespace hother::cancelable::e2e {
namespace {

// The operation id `cancelctl run` printed on its stderr.
std::string IdIn(const std::string& err) {
  for (absl::string_view line : absl::StrSplit(err, '\n')) {
    if (absl::ConsumePrefix(&line, "cancelctl: run: operation ")) return std::string(line);
  }
  return "";
}

TEST_F(E2E, TokensLinksDeadlinesAndTheHistorySurviveAKill9) {
  ASSERT_EQ(Ctl({"tokens", "create", "release", "-l", "team=a", "--timeout", "1h"}).exit_code, 0);
  ASSERT_EQ(Ctl({"tokens", "create", "deploy-42"}).exit_code, 0);
  ASSERT_EQ(Ctl({"tokens", "link", "release", "deploy-42"}).exit_code, 0);
  ASSERT_EQ(Ctl({"tokens", "create", "old"}).exit_code, 0);
  ASSERT_EQ(Ctl({"tokens", "cancel", "old", "-m", "retired"}).exit_code, 0);
  Result quick = Ctl({"run", "--name", "quick", "--", "true"});
  ASSERT_EQ(quick.exit_code, 0) << quick.err;
  const std::string quick_id = IdIn(quick.err);
  ASSERT_FALSE(quick_id.empty()) << quick.err;
  const std::string release_before = Ctl({"tokens", "get", "release", "-o", "json"}).out;

  KillDaemon();
  StartDaemon();

  const std::string release = Ctl({"tokens", "get", "release", "-o", "json"}).out;
  EXPECT_THAT(release, HasSubstr("\"team\":\"a\""));
  EXPECT_THAT(release, HasSubstr("\"targets\":[\"deploy-42\"]"));
  // The same deadline, to the nanosecond.
  auto deadline_of = [](const std::string& json) {
    size_t at = json.find("\"deadline\"");
    return at == std::string::npos ? std::string() : json.substr(at, 40);
  };
  EXPECT_FALSE(deadline_of(release).empty());
  EXPECT_EQ(deadline_of(release), deadline_of(release_before));
  EXPECT_THAT(Ctl({"tokens", "get", "old"}).out, HasSubstr("retired"));
  EXPECT_THAT(GetJson(quick_id), HasSubstr("\"status\":\"completed\""));
  EXPECT_THAT(Ctl({"list", "--all"}).out, HasSubstr(quick_id));
  // The link still cascades.
  auto linked = Run({"--name", "linked", "--token", "deploy-42", "--", "sleep", "1000"});
  IdOf(*linked);
  ASSERT_EQ(Ctl({"tokens", "cancel", "release"}).exit_code, 0);
  EXPECT_EQ(linked->Wait(absl::Seconds(15)), 124);
}

TEST_F(E2E, ACancelAllWhileAnOwnerIsAwayReachesItWhenItComesBack) {
  auto away = Run({"--name", "away", "-l", "team=a", "--", "sleep", "1000"});
  auto other = Run({"--name", "other", "-l", "team=b", "--", "sleep", "1000"});
  const std::string away_id = IdOf(*away);
  IdOf(*other);
  away->Signal(SIGSTOP);  // it cannot register again until it continues
  KillDaemon();
  StartDaemon();
  Result all = Ctl({"cancel-all", "-l", "team=a", "--yes", "-m", "team a stops"});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  away->Signal(SIGCONT);
  EXPECT_EQ(away->Wait(absl::Seconds(30)), 124) << away->err();
  EXPECT_THAT(GetJson(away_id), HasSubstr("team a stops"));
  EXPECT_TRUE(other->running());
}

TEST_F(E2E, AChildWhoseProcessComesBackBeforeItsParentsStillFollowsIt) {
  auto parent = Run({"--name", "parent", "--", "sleep", "1000"});
  const std::string parent_id = IdOf(*parent);
  auto child = Run({"--name", "child", "--parent", parent_id, "--", "sleep", "1000"});
  const std::string child_id = IdOf(*child);
  parent->Signal(SIGSTOP);  // the child's process reconnects first
  KillDaemon();
  StartDaemon();
  ASSERT_TRUE(Eventually([&] { return Ctl({"get", child_id}).exit_code == 0; })) << child->err();
  parent->Signal(SIGCONT);
  ASSERT_TRUE(Eventually([&] { return Ctl({"get", parent_id}).exit_code == 0; }));
  EXPECT_THAT(GetJson(parent_id), HasSubstr(child_id));
  ASSERT_EQ(Ctl({"cancel", parent_id, "-m", "stop the tree"}).exit_code, 0);
  EXPECT_EQ(child->Wait(absl::Seconds(15)), 124);
  EXPECT_THAT(GetJson(child_id), HasSubstr("stop the tree"));
}

TEST_F(E2E, AStoreThatCannotWriteIsReportedAndCancelsStillReachTheirOwners) {
  StopDaemon();
  // A file-size limit (in KiB) stands in for a full disk.
  daemon_ = std::make_unique<Process>(
      std::vector<std::string>{"/bin/sh", "-c",
                               absl::StrCat("ulimit -f 256 && exec ", CANCELD_PATH, " --state-dir ",
                                            dir_.path(), "/full --listen ", endpoint_)},
      dir_.path() + "/full-daemon");
  ASSERT_TRUE(Eventually([&] { return Ctl({"health"}).exit_code == 0; })) << daemon_->err();
  auto run = Run({"--name", "still-cancellable", "--", "sleep", "1000"});
  const std::string id = IdOf(*run);
  Result created;
  for (int i = 0; i < 2000 && created.exit_code != 5; ++i) {
    created = Ctl({"tokens", "create", absl::StrCat("t", i), "-l",
                   absl::StrCat("filler=", std::string(60, 'x'))});
  }
  EXPECT_THAT(created.err, HasSubstr("state store"));
  EXPECT_THAT(created.err, HasSubstr(dir_.path() + "/full/state.db"));
  Result health = Ctl({"health"});
  EXPECT_NE(health.exit_code, 0);
  EXPECT_THAT(health.err, HasSubstr("state store is failing"));
  // The cancel is delivered from memory; only its OK says it was not kept.
  Result cancel = Ctl({"cancel", id});
  EXPECT_NE(cancel.exit_code, 0);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 124);
  EXPECT_TRUE(daemon_->running());
}

TEST_F(E2E, AWatchFollowsTheDaemonAcrossACrashSayingWhatWasLost) {
  auto watch = std::make_unique<Process>(
      std::vector<std::string>{CANCELCTL_PATH, "--endpoint", endpoint_, "watch"},
      dir_.path() + "/watch");
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(watch->err(), "watching from"); }));
  auto before = Run({"--name", "before-crash", "--", "sleep", "1000"});
  IdOf(*before);
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(watch->out(), "before-crash"); }));
  KillDaemon();
  StartDaemon();
  auto after = Run({"--name", "after-crash", "--", "sleep", "1000"});
  IdOf(*after);
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(watch->out(), "after-crash"); }))
      << watch->err();
  EXPECT_THAT(watch->err(), HasSubstr("events were lost"));
  // The state after the RESYNC shows what is live: the first run, back again.
  EXPECT_TRUE(watch->running());
  EXPECT_THAT(watch->err(), Not(HasSubstr("ahead of the current sequence")));
}

TEST_F(E2E, ADaemonPausedForTwiceTheLeaseChangesNoIdAndCancelsNothing) {
  StopDaemon();
  StartDaemon({"--lease-timeout", "2s", "--heartbeat-interval", "500ms"});
  auto parent = Run({"--name", "parent", "--", "sleep", "1000"});
  const std::string parent_id = IdOf(*parent);
  auto child = Run({"--name", "child", "--parent", parent_id, "--", "sleep", "1000"});
  const std::string child_id = IdOf(*child);
  daemon_->Signal(SIGSTOP);
  // The pause itself (a VM pause, heavy swapping): its length is the test.
  absl::SleepFor(absl::Seconds(4));
  daemon_->Signal(SIGCONT);
  // The clients gave up on the silent daemon and come back, resuming their
  // sessions: the same ids, nothing lost, nothing cancelled.
  ASSERT_TRUE(Eventually([&] {
    Result list = Ctl({"list"});
    return absl::StrContains(list.out, parent_id) && absl::StrContains(list.out, child_id) &&
           !absl::StrContains(list.out, "disconnected");
  })) << Ctl({"list", "--all"}).out;
  EXPECT_THAT(GetJson(parent_id), HasSubstr("\"status\":\"running\""));
  EXPECT_THAT(GetJson(child_id), HasSubstr("\"status\":\"running\""));
  EXPECT_THAT(Ctl({"list", "--all"}).out, Not(HasSubstr("lost")));
  EXPECT_TRUE(parent->running());
  EXPECT_TRUE(child->running());
  // And the tree still works under the same ids.
  ASSERT_EQ(Ctl({"cancel", parent_id}).exit_code, 0);
  EXPECT_EQ(child->Wait(absl::Seconds(15)), 124);
}

TEST_F(E2E, ADamagedStoreIsRefusedAtStartAndResetStateMovesItAside) {
  ASSERT_EQ(Ctl({"tokens", "create", "kept"}).exit_code, 0);
  StopDaemon();
  const std::string state = dir_.path() + "/state";
  {
    std::ofstream damage(state + "/state.db", std::ios::trunc);
    damage << std::string(8192, 'x');
  }
  const std::vector<std::string> start = {CANCELD_PATH, "--state-dir", state, "--listen",
                                          endpoint_};
  Result refused = RunToCompletion(start, dir_.path() + "/refused");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr(state + "/state.db"));
  EXPECT_THAT(refused.err, HasSubstr("--reset-state"));
  EXPECT_EQ(ReadFile(state + "/state.db"), std::string(8192, 'x'));  // untouched
  Result printed = RunToCompletion({CANCELD_PATH, "--state-dir", state, "--print-state-dir"},
                                   dir_.path() + "/print");
  EXPECT_EQ(printed.out, state + "\n");
  Result reset = RunToCompletion({CANCELD_PATH, "--state-dir", state, "--reset-state"},
                                 dir_.path() + "/reset");
  EXPECT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_THAT(reset.out, HasSubstr("Moved the state store aside: " + state + "/state.db."));
  StartDaemon();  // an empty store now
  EXPECT_EQ(Ctl({"tokens", "get", "kept"}).exit_code, 3);
}

}  // namespace
}  // namespace hother::cancelable::e2e
