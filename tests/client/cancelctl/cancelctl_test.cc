// cancelctl's commands, driven through Main with string streams against an
// in-process canceld on a socket in a temp dir: every command, and each
// behaviour an operator relies on (docs/CANCELCTL.md).
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/cancelctl/invocation.h"
#include "daemon/daemon.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/version.h"
#include "tests/lib/test_util.h"
#include "tests/support/process.h"

namespace hother::cancelable::cancelctl {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Output {
  int code = -1;
  std::string out;
  std::string err;
};

class CancelctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = absl::StrCat("unix:", dir_.path(), "/canceld.sock");
    daemon::DaemonOptions options;
    options.listen = {endpoint_};
    absl::StatusOr<std::unique_ptr<daemon::Daemon>> d = daemon::Daemon::Start(options);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = *std::move(d);
  }

  // cancelctl --endpoint <ours> ARGS, with `input` as its stdin.
  Output Ctl(std::vector<std::string> args, const std::string& input = "", bool terminal = false) {
    args.insert(args.begin(), {"cancelctl", "--endpoint", endpoint_});
    return CtlRaw(args, input, terminal);
  }
  static Output CtlRaw(const std::vector<std::string>& args, const std::string& input = "",
                       bool terminal = false) {
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    std::ostringstream out, err;
    std::istringstream in(input);
    Output result;
    result.code = Main(static_cast<int>(argv.size()), argv.data(), {out, err}, {in, terminal});
    result.out = out.str();
    result.err = err.str();
    return result;
  }

  daemon::OperationGraph& graph() { return daemon_->state().graph; }
  std::string Register(const std::string& name, const std::string& parent = "",
                       daemon::Labels labels = {}) {
    daemon::RegisterSpec spec{.name = name, .labels = std::move(labels), .parent_id = parent};
    auto r = graph().Register(daemon::Owner{7, "worker", 4242, "host"}, std::move(spec));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->id : "";
  }

  test_support::TempDir dir_;
  std::string endpoint_;
  std::unique_ptr<daemon::Daemon> daemon_;
};

// --- Parsing. ---

TEST_F(CancelctlTest, AnUnknownCommandNamesItselfAndSuggestsTheClosest) {
  Output r = Ctl({"lsit"});
  EXPECT_EQ(r.code, kUsage);
  EXPECT_EQ(r.err, "cancelctl: unknown command 'lsit' (did you mean 'list'?)\n");
  Output tokens = Ctl({"tokens", "craete", "x"});
  EXPECT_EQ(tokens.code, kUsage);
  EXPECT_THAT(tokens.err,
              HasSubstr("unknown command 'tokens craete' (did you mean 'tokens create'?)"));
  Output far = Ctl({"zzzzzzzz"});
  EXPECT_THAT(far.err, HasSubstr("the commands are: list, get"));
}

TEST_F(CancelctlTest, HelpExitsZeroAndListsTheCommands) {
  Output r = CtlRaw({"cancelctl", "--help"});
  EXPECT_EQ(r.code, kOk);
  EXPECT_THAT(r.out, AllOf(HasSubstr("list"), HasSubstr("cancel-all"), HasSubstr("--rpc-timeout")));
}

TEST_F(CancelctlTest, TimeoutIsNotAGlobalFlagAndRpcTimeoutIsChecked) {
  EXPECT_EQ(Ctl({"list", "--timeout", "5s"}).code, kUsage);
  Output bad = Ctl({"--rpc-timeout", "soon", "list"});
  EXPECT_EQ(bad.code, kUsage);
  EXPECT_THAT(bad.err, HasSubstr("--rpc-timeout 'soon' is not a positive duration"));
  EXPECT_EQ(Ctl({"--rpc-timeout", "2s", "list"}).code, kOk);
}

// --- list, get. ---

TEST_F(CancelctlTest, ListShowsLiveOperationsAndAllAddsFinishedOnes) {
  std::string running = Register("running-one");
  std::string done = Register("done-one");
  ASSERT_TRUE(graph().Finish(7, done, daemon::OpStatus::kCompleted, "").ok());
  Output live = Ctl({"list"});
  EXPECT_EQ(live.code, kOk);
  EXPECT_THAT(live.out, AllOf(StartsWith("ID"), HasSubstr(running), Not(HasSubstr(done))));
  Output all = Ctl({"list", "--all"});
  EXPECT_THAT(all.out, AllOf(HasSubstr(running), HasSubstr(done), HasSubstr("completed")));
  Output by_status = Ctl({"list", "--status", "completed"});
  EXPECT_THAT(by_status.out, AllOf(HasSubstr(done), Not(HasSubstr(running))));
  EXPECT_EQ(Ctl({"list", "--status", "sleeping"}).code, kUsage);
}

TEST_F(CancelctlTest, JsonListsPrintTheArrayEvenWhenEmpty) {
  Output r = Ctl({"list", "-o", "json"});
  EXPECT_EQ(r.code, kOk);
  EXPECT_EQ(r.out, "{\"next_page_token\":\"\",\"operations\":[]}\n");
}

TEST_F(CancelctlTest, JsonUsesTheTablesWordsAndNumbers) {
  std::string id = Register("j", "", {{"team", "a"}});
  Output r = Ctl({"get", id, "-o", "json"});
  EXPECT_EQ(r.code, kOk);
  EXPECT_THAT(r.out, AllOf(HasSubstr("\"status\":\"running\""), HasSubstr("\"pid\":4242"),
                           HasSubstr("\"session_id\":7"), HasSubstr("\"labels\":{\"team\":\"a\"}"),
                           HasSubstr("\"child_ids\":[]")));
}

TEST_F(CancelctlTest, GetOfAFinishedParentStillShowsItsChildren) {
  std::string parent = Register("parent");
  std::string child = Register("child", parent);
  ASSERT_TRUE(graph().Finish(7, child, daemon::OpStatus::kCompleted, "").ok());
  ASSERT_TRUE(graph().Finish(7, parent, daemon::OpStatus::kCompleted, "").ok());
  Output r = Ctl({"get", parent});
  EXPECT_EQ(r.code, kOk);
  EXPECT_THAT(r.out, AllOf(HasSubstr("completed"), HasSubstr(absl::StrCat("Children:  ", child))));
  EXPECT_EQ(Ctl({"get", "nope-1"}).code, kNotFound);
}

// --- cancel, cancel-all. ---

TEST_F(CancelctlTest, CancelSaysWhatItReachedAndASecondCancelChangesNothing) {
  std::string parent = Register("p");
  Register("c", parent);
  Output first = Ctl({"cancel", parent, "-m", "bad deploy"});
  EXPECT_EQ(first.code, kOk);
  EXPECT_EQ(first.out, absl::StrCat(parent, ": cancel requested (2 operations)\n"));
  Output again = Ctl({"cancel", parent, "-o", "json"});
  EXPECT_THAT(again.out, AllOf(HasSubstr("\"first\":false"), HasSubstr("\"reached\":0"),
                               HasSubstr("\"status\":\"cancelling\"")));
  Output get = Ctl({"get", parent});
  EXPECT_THAT(get.out, HasSubstr("manual: bad deploy (by uid="));
}

TEST_F(CancelctlTest, CancelAllNeedsASelectionAndRefusesWithoutYesOffATerminal) {
  std::string a = Register("a", "", {{"team", "a"}});
  std::string b = Register("b", "", {{"team", "b"}});
  EXPECT_EQ(Ctl({"cancel-all"}).code, kUsage);
  Output refused = Ctl({"cancel-all", "-l", "team=a"}, "y\n");
  EXPECT_EQ(refused.code, kUsage);
  EXPECT_THAT(refused.err, HasSubstr("refusing without -y"));
  Output dry = Ctl({"cancel-all", "-l", "team=a", "--dry-run"});
  EXPECT_THAT(dry.out, AllOf(HasSubstr(a), Not(HasSubstr(b)),
                             HasSubstr("Dry run: 1 operation would be cancelled")));
  Output real = Ctl({"cancel-all", "-l", "team=a", "-y"});
  EXPECT_THAT(real.out, HasSubstr("Cancelled 1 operation."));
  EXPECT_EQ(graph().Get(a)->status, daemon::OpStatus::kCancelling);
  EXPECT_EQ(graph().Get(b)->status, daemon::OpStatus::kRunning);
}

TEST_F(CancelctlTest, CancelAllOnATerminalShowsTheMatchesAndAsks) {
  std::string a = Register("a", "", {{"team", "a"}});
  Output no = Ctl({"cancel-all", "-l", "team=a"}, "n\n", /*terminal=*/true);
  EXPECT_EQ(no.code, kOk);
  EXPECT_THAT(no.out, AllOf(HasSubstr(a), HasSubstr("Cancel these 1 operations? [y/N] "),
                            HasSubstr("Nothing cancelled.")));
  EXPECT_EQ(graph().Get(a)->status, daemon::OpStatus::kRunning);
  Output yes = Ctl({"cancel-all", "-l", "team=a"}, "y\n", /*terminal=*/true);
  EXPECT_THAT(yes.out, HasSubstr("Cancelled 1 operation."));
  EXPECT_EQ(graph().Get(a)->status, daemon::OpStatus::kCancelling);
}

// --- watch. ---

TEST_F(CancelctlTest, WatchReplaysFromTheGivenSequenceInclusive) {
  std::string id = Register("w");                                   // 1 registered
  ASSERT_TRUE(graph().ReportProgress(7, id, "half way", {}).ok());  // 2 progress
  ASSERT_TRUE(graph().Cancel(id, "enough", "t", true).ok());        // 3 cancel_requested
  Output text = Ctl({"watch", "--from-sequence", "2", "--count", "2"});
  EXPECT_EQ(text.code, kOk) << text.err;
  EXPECT_THAT(text.err, HasSubstr("replaying from sequence 2 (now at 3)"));
  std::vector<std::string> lines = absl::StrSplit(text.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << text.out;
  EXPECT_THAT(lines[1], AllOf(StartsWith("2 "), HasSubstr("progress"), HasSubstr("half way")));
  EXPECT_THAT(lines[2],
              AllOf(StartsWith("3 "), HasSubstr("cancel_requested"), HasSubstr("enough")));
  // Columns line up with the header.
  EXPECT_EQ(lines[0].find("EVENT"), lines[1].find("progress"));
  Output json = Ctl({"watch", "--from-sequence", "1", "--count", "1", "-o", "json"});
  EXPECT_THAT(json.out, AllOf(HasSubstr("\"sequence\":1,"), HasSubstr("\"type\":\"registered\"")))
      << json.out;
  EXPECT_EQ(Ctl({"watch", "--from-sequence", "99"}).code, kUsage);  // ahead of the daemon
  EXPECT_EQ(Ctl({"watch", "--count", "-1"}).code, kUsage);
}

// --- health, version, conditions. ---

TEST_F(CancelctlTest, HealthInTextAndJson) {
  EXPECT_EQ(Ctl({"health"}).out, "SERVING\n");
  EXPECT_EQ(Ctl({"health", "-o", "json"}).out, "{\"status\":\"serving\"}\n");
}

TEST_F(CancelctlTest, VersionPrintsOursAndTheDaemons) {
  Output r = Ctl({"version"});
  EXPECT_EQ(r.code, kOk);
  EXPECT_THAT(r.out, AllOf(HasSubstr(absl::StrCat("cancelctl ", kVersion, "\n")),
                           HasSubstr(absl::StrCat("canceld ", kVersion, " (pid "))));
  Output json = Ctl({"version", "-o", "json"});
  EXPECT_THAT(json.out, AllOf(HasSubstr(absl::StrCat("\"cancelctl\":\"", kVersion, "\"")),
                              HasSubstr(absl::StrCat("\"version\":\"", kVersion, "\""))));
  Output alone = CtlRaw({"cancelctl", "--endpoint", "unix:" + dir_.path() + "/none.sock",
                         "--rpc-timeout", "1s", "version"});
  EXPECT_EQ(alone.code, kOk);
  EXPECT_THAT(alone.out, HasSubstr("canceld: not reachable at unix:"));
}

TEST_F(CancelctlTest, ConditionsListsNoneYet) {
  EXPECT_THAT(Ctl({"conditions"}).out, StartsWith("CONDITION"));
  EXPECT_EQ(Ctl({"conditions", "-o", "json"}).out, "{\"conditions\":[]}\n");
}

TEST_F(CancelctlTest, AnUnreachableDaemonExitsFiveAndSaysWhere) {
  Output r = CtlRaw({"cancelctl", "--endpoint", "unix:" + dir_.path() + "/none.sock", "list"});
  EXPECT_EQ(r.code, kUnavailable);
  EXPECT_THAT(r.err, HasSubstr("canceld is not reachable at unix:"));
}

// --- tokens, deadline. ---

TEST_F(CancelctlTest, TokensCreateGetListLinkAndCancel) {
  EXPECT_EQ(Ctl({"tokens", "create", "release", "-l", "team=a", "--timeout", "1h"}).code, kOk);
  EXPECT_EQ(Ctl({"tokens", "create", "deploy-42"}).code, kOk);
  EXPECT_EQ(Ctl({"tokens", "create", "release"}).code, kError);  // ALREADY_EXISTS
  Output link = Ctl({"tokens", "link", "release", "deploy-42"});
  EXPECT_EQ(link.out, "cancelling release now cancels deploy-42\n");
  EXPECT_EQ(Ctl({"tokens", "link", "deploy-42", "release"}).code, kError);  // a cycle
  EXPECT_THAT(Ctl({"tokens", "list"}).out, AllOf(HasSubstr("release"), HasSubstr("deploy-42")));
  EXPECT_THAT(Ctl({"tokens", "get", "release"}).out, HasSubstr("(in 59m"));
  Output cancel = Ctl({"tokens", "cancel", "release", "-m", "pulled"});
  EXPECT_EQ(cancel.out, "release: cancelled (2 tokens, 0 operations)\n");
  Output get = Ctl({"tokens", "get", "release"});
  EXPECT_THAT(get.out,
              AllOf(HasSubstr("cancelled"), HasSubstr("Deadline:    -"), Not(HasSubstr("(in "))));
  EXPECT_THAT(Ctl({"tokens", "get", "release", "-o", "json"}).out, Not(HasSubstr("deadline")));
  EXPECT_EQ(Ctl({"tokens", "get", "missing"}).code, kNotFound);
}

TEST_F(CancelctlTest, ADeadlineInThePastFiresAtOnceAndSaysSo) {
  std::string id = Register("late");
  Output r = Ctl({"deadline", id, "--at", "2020-01-01T00:00:00Z"});
  EXPECT_EQ(r.code, kOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("(had passed: cancelled now)"));
  Output get = Ctl({"get", id});
  EXPECT_THAT(get.out,
              HasSubstr("timeout: deadline 2020-01-01T00:00:00+00:00 had passed when it was set"));
  EXPECT_EQ(Ctl({"deadline", id}).code, kUsage);  // none of --in/--at/--none
  EXPECT_EQ(Ctl({"deadline", id, "--at", "tomorrow"}).code, kUsage);
}

// --- run. ---

TEST_F(CancelctlTest, RunRegistersTheCommandAndReturnsItsStatus) {
  Output ok = Ctl({"run", "--name", "quick", "--", "true"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_THAT(ok.err, HasSubstr("cancelctl: run: operation "));
  EXPECT_EQ(Ctl({"run", "--", "sh", "-c", "exit 3"}).code, 3);
  EXPECT_EQ(Ctl({"run", "--", "no-such-command-anywhere"}).code, 127);
  Output json = Ctl({"run", "-o", "json", "--", "true"});
  EXPECT_THAT(json.out,
              AllOf(StartsWith("{\"operation_id\":\""), HasSubstr("\"registered\":true")));
}

TEST_F(CancelctlTest, RunTimeoutIsTheOperationsDeadlineWithOneText) {
  Output r = Ctl({"run", "--name", "slow", "--timeout", "300ms", "--", "sleep", "30"});
  EXPECT_EQ(r.code, kRunCancelled) << r.err;
  EXPECT_THAT(r.err, HasSubstr("Operation timed out after 0.3s"));
  Output all = Ctl({"list", "--all", "-o", "json"});
  EXPECT_THAT(all.out, AllOf(HasSubstr("\"message\":\"Operation timed out after 0.3s\""),
                             HasSubstr("\"status\":\"timeout\"")));
}

TEST_F(CancelctlTest, RunWithoutADaemonStartsAtOnceAndSaysSoOnce) {
  const absl::Time start = absl::Now();
  Output r = CtlRaw({"cancelctl", "--endpoint", "unix:" + dir_.path() + "/none.sock", "run",
                     "--timeout", "1h", "--", "true"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));  // not the 5 s --rpc-timeout
  EXPECT_THAT(r.err, HasSubstr("canceld is not reachable at unix:"));
  EXPECT_EQ(r.err.find("not reachable"), r.err.rfind("not reachable"));
}

}  // namespace
}  // namespace hother::cancelable::cancelctl
