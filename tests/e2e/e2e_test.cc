// End-to-end: the real canceld and cancelctl binaries, on a unix socket in a
// temp dir. Each test gets its own daemon.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/version.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/lib/test_util.h"
#include "tests/support/process.h"

namespace hother::cancelable::e2e {
namespace {

// 1.
TEST_F(E2E, HealthSucceedsAndTheListIsEmpty) {
  Result health = Ctl({"health"});
  EXPECT_EQ(health.exit_code, 0);
  EXPECT_EQ(health.out, "SERVING\n");
  Result list = Ctl({"list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_EQ(list.out, "ID  NAME  STATUS  AGE  OWNER  LABELS\n");
}

// 2.
TEST_F(E2E, ARunIsListedAsRunningWithItsLabelsAndOwner) {
  auto run = Run({"--name", "sleeper", "-l", "team=a", "--", "sleep", "1000"});
  std::string id = IdOf(*run);
  Result list = Ctl({"list"});
  EXPECT_THAT(list.out, HasSubstr(id));
  EXPECT_THAT(list.out, HasSubstr("sleeper  running"));
  EXPECT_THAT(list.out, HasSubstr("team=a"));
  EXPECT_THAT(list.out, HasSubstr(absl::StrCat("cancelctl-run:sleeper/", run->pid())));
}

// 3.
TEST_F(E2E, CancelEndsTheCommandWithSigtermAndRecordsWhy) {
  const std::string marker = dir_.path() + "/got-term";
  auto run = Run({"--name", "trapper", "--", "/bin/sh", "-c",
                  absl::StrCat("trap 'echo term > ", marker,
                               "; exit 0' TERM; "
                               "while :; do sleep 0.05; done")});
  std::string id = IdOf(*run);
  Result cancel = Ctl({"cancel", id, "--message", "bad deploy"});
  EXPECT_EQ(cancel.exit_code, 0);
  EXPECT_THAT(cancel.out, HasSubstr("cancel requested"));
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 124) << run->err();
  EXPECT_EQ(ReadFile(marker), "term\n");
  std::string op = GetJson(id);
  EXPECT_THAT(op, HasSubstr("\"status\":\"cancelled\""));
  EXPECT_THAT(op, HasSubstr("\"reason\":\"manual\""));
  EXPECT_THAT(op, HasSubstr("\"message\":\"bad deploy\""));
}

// 4.
TEST_F(E2E, ATreeAcrossProcessesIsCancelledFromItsRoot) {
  auto parent = Run({"--name", "parent", "--", "sleep", "1000"});
  std::string parent_id = IdOf(*parent);
  auto child = Run({"--name", "child", "--parent", parent_id, "--", "sleep", "1000"});
  std::string child_id = IdOf(*child);
  EXPECT_EQ(Ctl({"cancel", parent_id}).exit_code, 0);
  EXPECT_EQ(parent->Wait(absl::Seconds(15)), 124);
  EXPECT_EQ(child->Wait(absl::Seconds(15)), 124);
  std::string op = GetJson(child_id);
  EXPECT_THAT(op, HasSubstr("\"reason\":\"parent\""));
  EXPECT_THAT(op, HasSubstr(absl::StrCat("\"origin_id\":\"", parent_id, "\"")));
  Result get = Ctl({"get", child_id});
  EXPECT_THAT(get.out, HasSubstr(absl::StrCat("Parent operation ", parent_id, " cancelled")));
}

// 5.
TEST_F(E2E, ATimeoutIsEnforcedByTheDaemon) {
  auto run = Run({"--name", "short", "--timeout", "300ms", "--", "sleep", "1000"});
  std::string id = IdOf(*run);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 124);
  std::string op = GetJson(id);
  EXPECT_THAT(op, HasSubstr("\"reason\":\"timeout\""));
  EXPECT_THAT(op, HasSubstr("\"status\":\"timeout\""));
}

// 6.
TEST_F(E2E, KillingAnOwnerLeavesItsOperationsLostAndCancelsChildrenElsewhere) {
  const std::string pid_file = dir_.path() + "/owner-child.pid";
  auto owner = Run({"--name", "owner", "--", "/bin/sh", "-c",
                    absl::StrCat("echo $$ > ", pid_file, "; exec sleep 30")});
  std::string owner_id = IdOf(*owner);
  auto child = Run({"--name", "dependent", "--parent", owner_id, "--", "sleep", "1000"});
  std::string child_id = IdOf(*child);
  owner->Signal(SIGKILL);
  ASSERT_EQ(owner->Wait(absl::Seconds(5)), 128 + SIGKILL);
  const absl::Time killed = absl::Now();
  ASSERT_TRUE(
      Eventually([&] { return absl::StrContains(GetJson(owner_id), "\"status\":\"lost\""); }));
  EXPECT_LT(absl::Now() - killed, absl::Seconds(1));
  EXPECT_EQ(child->Wait(absl::Seconds(15)), 124);
  EXPECT_THAT(GetJson(child_id), HasSubstr("\"reason\":\"owner_lost\""));
  // The killed owner's own command was orphaned: clean it up.
  std::string pid = ReadFile(pid_file);
  if (!pid.empty()) kill(std::stoi(pid), SIGKILL);
}

// 7.
TEST_F(E2E, AnSdkProcessSurvivesADaemonRestartAndCanBeCancelledAfterwards) {
  auto run = Run({"--name", "survivor", "--", "sleep", "1000"});
  std::string id = IdOf(*run);
  StopDaemon();
  EXPECT_TRUE(run->running());  // it keeps working without the daemon
  StartDaemon();
  // Registered again with the same id (after the SDK's reconnect backoff, up
  // to 5 s, on a machine that may be loaded).
  ASSERT_TRUE(Eventually(
      [&] {
        return Ctl({"get", id}).exit_code == 0;
      },
      absl::Seconds(30)))
      << run->err();
  EXPECT_EQ(Ctl({"cancel", id}).exit_code, 0);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 124);
}

// 8.
TEST_F(E2E, CancelAllDryRunListsExactlyTheMatchesAndYesCancelsExactlyThem) {
  auto a1 = Run({"--name", "a1", "-l", "team=a", "--", "sleep", "1000"});
  auto a2 = Run({"--name", "a2", "-l", "team=a", "--", "sleep", "1000"});
  auto b = Run({"--name", "b", "-l", "team=b", "--", "sleep", "1000"});
  std::string id1 = IdOf(*a1), id2 = IdOf(*a2), idb = IdOf(*b);
  Result dry = Ctl({"cancel-all", "-l", "team=a", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_THAT(dry.out, HasSubstr(id1));
  EXPECT_THAT(dry.out, HasSubstr(id2));
  EXPECT_THAT(dry.out, ::testing::Not(HasSubstr(idb)));
  EXPECT_THAT(dry.out, HasSubstr("2 operations would be cancelled"));
  EXPECT_THAT(Ctl({"list", "--status", "running"}).out, HasSubstr(id1));
  Result refused = Ctl({"cancel-all", "-l", "team=a"});  // no terminal, no -y
  EXPECT_EQ(refused.exit_code, 2);
  Result real = Ctl({"cancel-all", "-l", "team=a", "-y"});
  EXPECT_EQ(real.exit_code, 0);
  EXPECT_THAT(real.out, HasSubstr("Cancelled 2 operations"));
  EXPECT_EQ(a1->Wait(absl::Seconds(15)), 124);
  EXPECT_EQ(a2->Wait(absl::Seconds(15)), 124);
  EXPECT_TRUE(b->running());
  EXPECT_THAT(GetJson(idb), HasSubstr("\"status\":\"running\""));
}

// 9.
TEST_F(E2E, BadInputGetsClearErrorsAndExitCodes) {
  Result missing = Ctl({"get", "no-such-id"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, HasSubstr("no operation 'no-such-id'"));
  Result selector = Ctl({"list", "-l", "team in (a"});
  EXPECT_EQ(selector.exit_code, 2);
  EXPECT_THAT(selector.err, HasSubstr("position 11"));
  auto long_name = Run({"--name", std::string(300, 'x'), "--", "true"});
  EXPECT_EQ(long_name->Wait(absl::Seconds(15)), 2);
  EXPECT_THAT(long_name->err(), HasSubstr("register.items[0].name: longer than 256 bytes"));
  Result usage = Ctl({"cancel"});
  EXPECT_EQ(usage.exit_code, 2);

  // Garbage on the socket does not disturb other clients.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::string path = endpoint_.substr(5);
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const char junk[] = "GET / HTTP/1.1\r\n\r\n\x00\x01\x02garbage";
  ASSERT_GT(write(fd, junk, sizeof junk), 0);
  EXPECT_EQ(Ctl({"health"}).exit_code, 0);
  auto run = Run({"--name", "fine", "--", "true"});
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 0);
  close(fd);
  EXPECT_EQ(Ctl({"health"}).exit_code, 0);
}

// 10.
TEST_F(E2E, WatchSeesEventsInOrderAndResumesFromASequence) {
  auto watch =
      std::make_unique<Process>(std::vector<std::string>{CANCELCTL_PATH, "--endpoint", endpoint_,
                                                         "watch", "--count", "3", "-o", "json"},
                                dir_.path() + "/watch");
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(watch->out(), "\"type\":\"start\""); }));
  auto run = Run({"--name", "watched", "--", "sleep", "1000"});
  std::string id = IdOf(*run);
  EXPECT_EQ(Ctl({"cancel", id}).exit_code, 0);
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 124);
  ASSERT_EQ(watch->Wait(absl::Seconds(15)), 0) << watch->err();
  std::vector<std::string> lines = absl::StrSplit(watch->out(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << watch->out();
  EXPECT_THAT(lines[0], HasSubstr("\"type\":\"start\""));
  EXPECT_THAT(lines[1], HasSubstr("\"type\":\"registered\""));
  EXPECT_THAT(lines[2], HasSubstr("\"type\":\"cancel_requested\""));
  EXPECT_THAT(lines[3], HasSubstr("\"type\":\"finished\""));
  // From the second event on (inclusive): the two from there are replayed.
  Result resumed = Ctl({"watch", "--from-sequence", "2", "--count", "2", "-o", "json"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  std::vector<std::string> replayed = absl::StrSplit(resumed.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(replayed.size(), 3u) << resumed.out;
  EXPECT_THAT(replayed[1], HasSubstr("\"sequence\":2"));
  EXPECT_THAT(replayed[1], HasSubstr("\"type\":\"cancel_requested\""));
  EXPECT_THAT(replayed[2], HasSubstr("\"sequence\":3"));
  EXPECT_THAT(replayed[2], HasSubstr("\"type\":\"finished\""));
  Result too_old = Ctl({"watch", "--from-sequence", "99"});
  EXPECT_EQ(too_old.exit_code, 2);  // OUT_OF_RANGE: ahead of the daemon
}

// Issue 4: named tokens and deadlines.
TEST_F(E2E, CancellingATokenEndsRunsAttachedToItAndToALinkedToken) {
  ASSERT_EQ(Ctl({"tokens", "create", "release", "-l", "team=a"}).exit_code, 0);
  ASSERT_EQ(Ctl({"tokens", "create", "deploy-42"}).exit_code, 0);
  ASSERT_EQ(Ctl({"tokens", "link", "release", "deploy-42"}).exit_code, 0);
  Result cycle = Ctl({"tokens", "link", "deploy-42", "release"});
  EXPECT_EQ(cycle.exit_code, 1);
  EXPECT_THAT(cycle.err, HasSubstr("would close the cycle release -> deploy-42 -> release"));
  auto direct = Run({"--name", "direct", "--token", "release", "--", "sleep", "1000"});
  auto linked = Run({"--name", "linked", "--token", "deploy-42", "--", "sleep", "1000"});
  auto free = Run({"--name", "free", "--", "sleep", "1000"});
  std::string linked_id = IdOf(*linked);
  IdOf(*direct);
  IdOf(*free);
  EXPECT_THAT(Ctl({"tokens", "get", "deploy-42"}).out, HasSubstr(linked_id));
  Result cancel = Ctl({"tokens", "cancel", "release", "-m", "release pulled"});
  EXPECT_EQ(cancel.exit_code, 0);
  EXPECT_THAT(cancel.out, HasSubstr("release: cancelled (2 tokens, 2 operations)"));
  EXPECT_EQ(direct->Wait(absl::Seconds(15)), 124);
  EXPECT_EQ(linked->Wait(absl::Seconds(15)), 124);
  EXPECT_TRUE(free->running());
  Result get = Ctl({"get", linked_id});
  EXPECT_THAT(get.out, HasSubstr("parent: Token deploy-42 cancelled"));
  EXPECT_THAT(get.out, HasSubstr("<- parent: Linked token release cancelled"));
  EXPECT_THAT(get.out, HasSubstr("<- manual: release pulled"));
  // Registering under a cancelled token starts cancelled.
  auto late = Run({"--name", "late", "--token", "release", "--", "sleep", "1000"});
  EXPECT_EQ(late->Wait(absl::Seconds(15)), 124);
  EXPECT_EQ(Ctl({"tokens", "get", "missing"}).exit_code, 3);
}

TEST_F(E2E, ADeadlineMovedEarlierFiresEarly) {
  auto run = Run({"--name", "patient", "--timeout", "1h", "--", "sleep", "1000"});
  std::string id = IdOf(*run);
  EXPECT_THAT(Ctl({"get", id}).out, HasSubstr("(in 59m"));
  Result moved = Ctl({"deadline", id, "--in", "200ms"});
  EXPECT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(run->Wait(absl::Seconds(15)), 124);
  EXPECT_THAT(GetJson(id), HasSubstr("\"reason\":\"timeout\""));
  EXPECT_EQ(Ctl({"deadline", id, "--none"}).exit_code, 1);  // already cancelled
  EXPECT_EQ(Ctl({"deadline", id}).exit_code, 2);            // no --in/--at/--none
}

TEST_F(E2E, Sigusr1ToTheDaemonCancelsItsSubscribersOnly) {
  auto subscriber = Run({"--name", "on-usr1", "--signal", "USR1", "--", "sleep", "1000"});
  auto bystander = Run({"--name", "bystander", "--", "sleep", "1000"});
  std::string id = IdOf(*subscriber);
  IdOf(*bystander);
  daemon_->Signal(SIGUSR1);
  EXPECT_EQ(subscriber->Wait(absl::Seconds(15)), 124);
  std::string op = GetJson(id);
  EXPECT_THAT(op, HasSubstr("\"reason\":\"signal\""));
  EXPECT_THAT(op, HasSubstr("Received signal SIGUSR1 (10)"));
  EXPECT_TRUE(bystander->running());
  EXPECT_EQ(Ctl({"health"}).exit_code, 0);  // the daemon carries on
  auto refused = Run({"--name", "x", "--signal", "KILL", "--", "true"});
  EXPECT_EQ(refused->Wait(absl::Seconds(15)), 2);
  EXPECT_THAT(refused->err(), HasSubstr("is not one of SIGTERM"));
}

TEST_F(E2E, SigtermCancelsItsSubscribersBeforeTheDaemonDrains) {
  auto subscriber = Run({"--name", "on-term", "--signal", "TERM", "--", "sleep", "1000"});
  std::string id = IdOf(*subscriber);
  StopDaemon();
  EXPECT_EQ(subscriber->Wait(absl::Seconds(15)), 124) << subscriber->err();
  EXPECT_THAT(subscriber->err(), HasSubstr("Received signal SIGTERM (15)"));
}

TEST_F(E2E, CreatingAFileEndsTheOperationsWaitingOnFileExists) {
  const std::string flag = dir_.path() + "/stop-now";
  const std::string condition = "file_exists(" + flag + ")@100ms";
  auto a = Run({"--name", "a", "--condition", condition, "--", "sleep", "1000"});
  auto b = Run({"--name", "b", "--condition", condition, "--", "sleep", "1000"});
  std::string id = IdOf(*a);
  IdOf(*b);
  Result listed = Ctl({"conditions"});
  EXPECT_THAT(listed.out, HasSubstr("file_exists(" + flag + ")"));
  EXPECT_THAT(listed.out, HasSubstr("  2  "));  // one condition, two subscribers
  std::ofstream(flag) << "";
  EXPECT_EQ(a->Wait(absl::Seconds(15)), 124);
  EXPECT_EQ(b->Wait(absl::Seconds(15)), 124);
  std::string op = GetJson(id);
  EXPECT_THAT(op, HasSubstr("\"reason\":\"condition\""));
  EXPECT_THAT(op, HasSubstr("file_exists(" + flag + "): exists"));
  auto bad = Run({"--name", "bad", "--condition", "reboot(now)", "--", "true"});
  EXPECT_EQ(bad->Wait(absl::Seconds(15)), 2);
  EXPECT_THAT(bad->err(), HasSubstr("unknown kind"));
}

TEST(E2EConfig, NamedConditionsAndAReloadThatKeepsTheRunningConfigOnAnError) {
  TempDir dir;
  const std::string config = dir.path() + "/canceld.toml";
  const std::string flag = dir.path() + "/maintenance";
  std::ofstream(config) << "[conditions.maintenance]\nkind = \"command\"\ncommand = \"test -e "
                        << flag << "\"\n";
  const std::string endpoint = "unix:" + dir.path() + "/s.sock";
  Process daemon({CANCELD_PATH, "--state-dir", "none", "--listen", endpoint, "--config", config},
                 dir.path() + "/d");
  auto ctl = [&](std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), {CANCELCTL_PATH, "--endpoint", endpoint});
    return RunToCompletion(args, dir.path() + "/" + name);
  };
  ASSERT_TRUE(Eventually([&] { return ctl({"health"}, "h").exit_code == 0; }));
  // A broken file on SIGHUP is rejected with its line and column.
  std::ofstream(config) << "[conditions.maintenance]\nkind = \n";
  daemon.Signal(SIGHUP);
  ASSERT_TRUE(
      Eventually([&] { return absl::StrContains(daemon.err(), "configuration not reloaded"); }));
  EXPECT_THAT(daemon.err(), HasSubstr("canceld.toml:2:"));
  // The running definition still works.
  Process run({CANCELCTL_PATH, "--endpoint", endpoint, "run", "--condition", "maintenance@100ms",
               "--", "sleep", "1000"},
              dir.path() + "/run");
  ASSERT_TRUE(Eventually([&] { return absl::StrContains(run.err(), "operation "); }));
  std::ofstream(flag) << "";
  EXPECT_EQ(run.Wait(absl::Seconds(15)), 124) << run.err();
  EXPECT_EQ(daemon.Terminate(absl::Seconds(10)), 0);
}

TEST(E2ETcp, TcpListeningIsOptInAndPortZeroPicksAPort) {
  TempDir dir;
  // Plaintext TCP is refused unless asked for, naming the flag.
  Result refused = RunToCompletion({CANCELD_PATH, "--state-dir", "none", "--listen", "127.0.0.1:0"},
                                   dir.path() + "/refused");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("--insecure-tcp"));
  Process daemon({CANCELD_PATH, "--state-dir", "none", "--listen", "127.0.0.1:0", "--insecure-tcp"},
                 dir.path() + "/tcp");
  std::string endpoint;
  ASSERT_TRUE(Eventually([&] {
    std::string err = daemon.err();
    size_t at = err.find("endpoints=127.0.0.1:");
    if (at == std::string::npos) return false;
    endpoint = err.substr(at + 10, err.find('\n', at) - at - 10);
    return true;
  })) << daemon.err();
  EXPECT_NE(endpoint, "127.0.0.1:0");
  Result health =
      RunToCompletion({CANCELCTL_PATH, "--endpoint", endpoint, "health"}, dir.path() + "/health");
  EXPECT_EQ(health.exit_code, 0) << health.err;
  EXPECT_EQ(daemon.Terminate(absl::Seconds(10)), 0);
}

TEST_F(E2E, ASecondDaemonOnALiveSocketRefusesToStart) {
  Result second = RunToCompletion({CANCELD_PATH, "--state-dir", "none", "--listen", endpoint_},
                                  dir_.path() + "/second");
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.err, HasSubstr("another canceld is already listening"));
  EXPECT_EQ(Ctl({"health"}).exit_code, 0);
}

TEST_F(E2E, SigtermDrainsAndExitsZeroAndAStaleSocketIsReplaced) {
  StopDaemon();
  // A stale socket file (nobody listening) is replaced on the next start.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::string path = endpoint_.substr(5);
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
  StartDaemon();
  EXPECT_THAT(daemon_->err(), HasSubstr("replaced a stale socket"));
}

// Issue 9: what an operator meets first.
TEST_F(E2E, StartUpErrorsNameTheRealCause) {
  Result missing_dir = RunToCompletion({CANCELD_PATH, "--state-dir", "none", "--listen",
                                        absl::StrCat("unix:", dir_.path(), "/no/such/dir/c.sock")},
                                       dir_.path() + "/missing-dir");
  EXPECT_EQ(missing_dir.exit_code, 1);
  EXPECT_THAT(missing_dir.err, HasSubstr("/no/such/dir"));
  EXPECT_THAT(missing_dir.err, HasSubstr("No such file or directory"));
  Result no_config = RunToCompletion({CANCELD_PATH, "--state-dir", "none", "--listen",
                                      endpoint_ + ".2", "--config", dir_.path() + "/absent.toml"},
                                     dir_.path() + "/no-config");
  EXPECT_EQ(no_config.exit_code, 1);
  EXPECT_THAT(no_config.err, HasSubstr("cannot read the configuration file " + dir_.path() +
                                       "/absent.toml: No such file or directory"));
  // A lease no longer than two heartbeats would end sessions that are alive.
  Result short_lease =
      RunToCompletion({CANCELD_PATH, "--state-dir", "none", "--listen", endpoint_ + ".3",
                       "--lease-timeout", "3s", "--heartbeat-interval", "2s"},
                      dir_.path() + "/short-lease");
  EXPECT_EQ(short_lease.exit_code, 1);
  EXPECT_THAT(short_lease.err, HasSubstr("--lease-timeout 3s must be at least twice "
                                         "--heartbeat-interval (2s)"));
  // A --max-sessions that does not fit the file descriptor limit.
  Result too_many = RunToCompletion(
      {"/bin/sh", "-c",
       absl::StrCat("ulimit -n 512 && exec ", CANCELD_PATH, " --state-dir none --listen ",
                    endpoint_, ".4 --max-sessions 1000")},
      dir_.path() + "/too-many");
  EXPECT_EQ(too_many.exit_code, 1);
  EXPECT_THAT(too_many.err, HasSubstr("--max-sessions 1000 needs 1128 file descriptors, but the "
                                      "limit is 512"));
}

TEST_F(E2E, EndpointIsAnAliasOfListenAndVersionIsTheProjects) {
  const std::string other = endpoint_ + ".alias";
  Process second({CANCELD_PATH, "--state-dir", "none", "--endpoint", other},
                 dir_.path() + "/alias");
  EXPECT_TRUE(Eventually([&] {
    return RunToCompletion({CANCELCTL_PATH, "--endpoint", other, "health"},
                           dir_.path() + "/alias-health")
               .exit_code == 0;
  })) << second.err();
  Result version = RunToCompletion({CANCELD_PATH, "--version"}, dir_.path() + "/version");
  EXPECT_EQ(version.out, absl::StrCat("canceld ", kVersion, "\n"));
}

TEST_F(E2E, SighupWithoutAConfigIsAWarningAndChangesNothing) {
  auto run = Run({"--name", "hup", "--", "sleep", "1000"});
  std::string id = IdOf(*run);
  daemon_->Signal(SIGHUP);
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(daemon_->err(), "SIGHUP: no configuration file (--config) to reload");
  })) << daemon_->err();
  EXPECT_THAT(daemon_->err(), Not(HasSubstr("configuration not reloaded")));
  EXPECT_EQ(Ctl({"health"}).exit_code, 0);
}

// Needs a second uid: run as root, it tries cancelctl as nobody (65534).
TEST_F(E2E, PermissionDeniedOnTheSocketExitsFourAndNamesTheGroup) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root, to run cancelctl as another user";
  Result denied =
      RunToCompletion({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       CANCELCTL_PATH, "--endpoint", endpoint_, "list"},
                      dir_.path() + "/denied");
  EXPECT_EQ(denied.exit_code, 4) << denied.err;
  EXPECT_THAT(denied.err, HasSubstr("permission denied on " + endpoint_.substr(5)));
  EXPECT_THAT(denied.err, HasSubstr("members of the group root may use it"));
}

}  // namespace
}  // namespace hother::cancelable::e2e
