// Who may cancel what, with the real binaries and real uids: the daemon runs
// as root, and cancelctl as other users (setpriv). Needs root to switch
// uids; elsewhere each test skips saying so.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace hother::cancelable::e2e {
namespace {

constexpr const char* kOwnerUid = "65534";  // nobody
constexpr const char* kOtherUid = "65533";  // a uid with no name
constexpr const char* kAdminGroupName = "users";
constexpr const char* kAdminGid = "100";  // users, on Debian

class Authz : public E2E {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to run cancelctl as other uids (CI does)";
    E2E::SetUp();
    StartAs();
  }
  // The socket open to everyone (the directory is root's temp dir), so that
  // only the daemon's own checks stand between the users.
  void StartAs(const std::string& admin_group = kAdminGroupName) {
    StopDaemon();
    StartDaemon({"--admin-group", admin_group});
    chmod(dir_.path().c_str(), 0711);
    // The other users run copies in the temp dir: the build tree may be in a
    // directory only root can enter (a fresh clone in a 0700 mktemp dir).
    mkdir((dir_.path() + "/bin").c_str(), 0755);
    for (const auto& [from, to] :
         {std::pair{CANCELCTL_PATH, &cancelctl_}, {CANCELD_PATH, &canceld_}}) {
      *to = dir_.path() + "/bin/" + std::filesystem::path(from).filename().string();
      std::filesystem::copy_file(from, *to, std::filesystem::copy_options::overwrite_existing);
      chmod(to->c_str(), 0755);
    }
    chmod((dir_.path() + "/canceld.sock").c_str(), 0666);
  }
  // cancelctl ARGS as `uid` (with `groups` as its supplementary groups).
  std::vector<std::string> As(const std::string& uid, std::vector<std::string> args,
                              const std::string& groups = "") {
    std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + uid};
    if (groups.empty()) {
      argv.push_back("--clear-groups");
    } else {
      argv.push_back("--groups=" + groups);
    }
    argv.insert(argv.end(), {"/usr/bin/env", "USER=alice", cancelctl_, "--endpoint", endpoint_});
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  std::string cancelctl_, canceld_;  // copies other users can run
  Result CtlAs(const std::string& uid, std::vector<std::string> args,
               const std::string& groups = "") {
    return RunToCompletion(As(uid, std::move(args), groups),
                           absl::StrCat(dir_.path(), "/ctl", commands_++));
  }
  // `cancelctl run` as the owner uid, in the background; its operation's id.
  std::unique_ptr<Process> RunAs(const std::string& uid, const std::string& name) {
    auto run = std::make_unique<Process>(As(uid, {"run", "--name", name, "--", "sleep", "600"}),
                                         absl::StrCat(dir_.path(), "/run", commands_++));
    return run;
  }
};

TEST_F(Authz, AnotherUserCannotCancelSetADeadlineOnOrCancelAllSomeoneElsesOperations) {
  auto run = RunAs(kOwnerUid, "owned");
  const std::string id = IdOf(*run);
  // The owner is what the kernel said, not what the client claims.
  EXPECT_THAT(GetJson(id), HasSubstr("\"principal\":\"uid:65534\""));
  EXPECT_THAT(GetJson(id), HasSubstr("\"user\":\"nobody\""));

  Result cancel = CtlAs(kOtherUid, {"cancel", id, "--message", "gotcha"});
  EXPECT_EQ(cancel.exit_code, 4) << cancel.out << cancel.err;
  EXPECT_THAT(cancel.err, HasSubstr("uid=65533"));
  EXPECT_THAT(cancel.err, HasSubstr("may not cancel operation " + id));
  EXPECT_THAT(cancel.err, HasSubstr("owned by uid:65534"));
  EXPECT_THAT(cancel.err, HasSubstr("users"));  // the group that would grant it

  Result deadline = CtlAs(kOtherUid, {"deadline", id, "--in", "1s"});
  EXPECT_EQ(deadline.exit_code, 4) << deadline.out << deadline.err;
  EXPECT_THAT(deadline.err, HasSubstr("may not deadline operation " + id));

  // cancel-all reaches only the caller's own operations: none here.
  Result all = CtlAs(kOtherUid, {"cancel-all", "--all", "--yes"});
  EXPECT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_THAT(GetJson(id), HasSubstr("\"status\":\"running\""));
  EXPECT_TRUE(run->running());

  // The owner may.
  Result own = CtlAs(kOwnerUid, {"cancel", id, "--message", "mine"});
  EXPECT_EQ(own.exit_code, 0) << own.out << own.err;
  EXPECT_NE(run->Wait(absl::Seconds(30)), 0);
}

TEST_F(Authz, AnAdminGroupMemberAndRootMayCancelAnyone) {
  auto first = RunAs(kOwnerUid, "first");
  auto second = RunAs(kOwnerUid, "second");
  const std::string a = IdOf(*first), b = IdOf(*second);
  Result admin = CtlAs(kOtherUid, {"cancel", a, "--message", "as admin"}, kAdminGid);
  EXPECT_EQ(admin.exit_code, 0) << admin.out << admin.err;
  EXPECT_THAT(GetJson(a), HasSubstr("uid=65533"));
  Result root = Ctl({"cancel", b});
  EXPECT_EQ(root.exit_code, 0) << root.out << root.err;
  EXPECT_THAT(GetJson(b), HasSubstr("uid=0(root)"));
}

TEST_F(Authz, TheRecordedActorIsTheVerifiedUserNotWhatTheClientClaims) {
  auto run = RunAs(kOwnerUid, "claims");
  const std::string id = IdOf(*run);
  // USER=alice in its environment, and a name of its own in the request.
  Result own = CtlAs(kOwnerUid, {"cancel", id, "--message", "done"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  const std::string json = GetJson(id);
  EXPECT_THAT(json, HasSubstr("uid=65534(nobody)"));
  EXPECT_THAT(json, HasSubstr("client's words: cancelctl"));
  EXPECT_THAT(json, Not(HasSubstr("alice")));
}

TEST_F(Authz, ANamedTokenIsItsCreatorsToCancelLinkAndDelete) {
  ASSERT_EQ(CtlAs(kOwnerUid, {"tokens", "create", "deploy-1"}).exit_code, 0);
  ASSERT_EQ(CtlAs(kOtherUid, {"tokens", "create", "theirs"}).exit_code, 0);
  EXPECT_THAT(Ctl({"tokens", "get", "deploy-1", "-o", "json"}).out,
              HasSubstr("\"creator\":\"uid:65534\""));
  Result cancel = CtlAs(kOtherUid, {"tokens", "cancel", "deploy-1"});
  EXPECT_EQ(cancel.exit_code, 4) << cancel.out << cancel.err;
  EXPECT_THAT(cancel.err, HasSubstr("may not token-cancel token 'deploy-1', created by uid:65534"));
  EXPECT_EQ(CtlAs(kOtherUid, {"tokens", "delete", "deploy-1"}).exit_code, 4);
  EXPECT_EQ(CtlAs(kOtherUid, {"deadline", "--token", "deploy-1", "--in", "1s"}).exit_code, 4);
  // A link is checked on its target: the other user may have the owner's
  // token cancel its own, not its own cancel the owner's.
  Result into = CtlAs(kOtherUid, {"tokens", "link", "theirs", "deploy-1"});
  EXPECT_EQ(into.exit_code, 4) << into.out << into.err;
  EXPECT_THAT(into.err, HasSubstr("may not token-link token 'deploy-1'"));
  Result from = CtlAs(kOtherUid, {"tokens", "link", "deploy-1", "theirs"});
  EXPECT_EQ(from.exit_code, 0) << from.out << from.err;
  EXPECT_THAT(Ctl({"tokens", "get", "deploy-1", "-o", "json"}).out, Not(HasSubstr("\"cancel\"")));
  // Its creator may.
  Result own = CtlAs(kOwnerUid, {"tokens", "cancel", "deploy-1", "--message", "rollback"});
  EXPECT_EQ(own.exit_code, 0) << own.out << own.err;
  EXPECT_THAT(Ctl({"tokens", "get", "theirs", "-o", "json"}).out, HasSubstr("rollback"));
}

TEST_F(Authz, ACanceldOfAnotherUserIsRefusedBeforeAnythingIsSent) {
  // Another user's canceld, on a socket in a directory of theirs.
  const std::string theirs = dir_.path() + "/theirs";
  ASSERT_EQ(mkdir(theirs.c_str(), 0755), 0);
  ASSERT_EQ(chown(theirs.c_str(), 65533, 65533), 0);
  const std::string impostor = absl::StrCat("unix:", theirs, "/canceld.sock");
  Process other({"/usr/bin/setpriv", "--reuid=65533", "--regid=65533", "--clear-groups", canceld_,
                 "--state-dir", "none", "--listen", impostor},
                dir_.path() + "/impostor");
  ASSERT_TRUE(Eventually([&] {
    return ReadFile(dir_.path() + "/impostor.err").find("canceld serving") != std::string::npos;
  })) << other.err();
  chmod((theirs + "/canceld.sock").c_str(), 0666);
  auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {CANCELCTL_PATH, "--endpoint", impostor});
    return RunToCompletion(args, absl::StrCat(dir_.path(), "/ctl", commands_++));
  };
  // As root (or any user who is not 65533): refused, saying who it is.
  Result list = ctl({"list"});
  EXPECT_EQ(list.exit_code, 4) << list.out << list.err;
  EXPECT_THAT(list.err, HasSubstr("runs as uid 65533"));
  EXPECT_THAT(list.err, HasSubstr("--trust-uid 65533"));
  // `run` does not register with it; the command runs unregistered, and says why.
  Result run = ctl({"run", "--", "true"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.err, HasSubstr("runs as uid 65533"));
  EXPECT_EQ(Ctl({"list"}).out.find("cancelctl-run"), std::string::npos);
  // Trusted explicitly, it is used.
  Result trusted = ctl({"--trust-uid", "65533", "list"});
  EXPECT_EQ(trusted.exit_code, 0) << trusted.err;
  other.Terminate(absl::Seconds(10));
}

TEST_F(Authz, CanIAnswersWithTheReasonWithoutDoingIt) {
  auto run = RunAs(kOwnerUid, "asked");
  const std::string id = IdOf(*run);
  Result no = CtlAs(kOtherUid, {"auth", "can-i", "cancel", id});
  EXPECT_EQ(no.exit_code, 4) << no.err;
  EXPECT_THAT(no.out, HasSubstr("no\n"));
  EXPECT_THAT(no.out, HasSubstr("owned by uid:65534"));
  EXPECT_THAT(no.out, HasSubstr("you are uid=65533"));
  Result yes = CtlAs(kOwnerUid, {"auth", "can-i", "cancel", id});
  EXPECT_EQ(yes.exit_code, 0) << yes.err;
  EXPECT_THAT(yes.out, HasSubstr("yes\nallowed: the operation's owner"));
  Result admin = CtlAs(kOtherUid, {"auth", "can-i", "deadline", id}, kAdminGid);
  EXPECT_EQ(admin.exit_code, 0) << admin.err;
  EXPECT_THAT(admin.out, HasSubstr("an admin"));
  EXPECT_THAT(CtlAs(kOtherUid, {"auth", "can-i", "cancel-all"}).out,
              HasSubstr("over the operations they own"));
  // Asked, not done; and a bad verb is a usage error naming the verbs.
  EXPECT_THAT(GetJson(id), HasSubstr("\"status\":\"running\""));
  Result bad = CtlAs(kOtherUid, {"auth", "can-i", "explode", id});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_THAT(bad.err, HasSubstr("'explode' is not one of cancel, cancel-all"));
  EXPECT_EQ(CtlAs(kOtherUid, {"auth", "can-i", "cancel", "00000000-77"}).exit_code, 3);
}

TEST_F(Authz, AnAdminGroupThatDoesNotExistLeavesOnlyRoot) {
  StartAs("no-such-group-here");
  auto run = RunAs(kOwnerUid, "owned");
  const std::string id = IdOf(*run);
  Result member = CtlAs(kOtherUid, {"cancel", id}, kAdminGid);
  EXPECT_EQ(member.exit_code, 4) << member.out << member.err;
  EXPECT_THAT(member.err, HasSubstr("no-such-group-here"));
  EXPECT_EQ(Ctl({"cancel", id}).exit_code, 0);
}

}  // namespace
}  // namespace hother::cancelable::e2e
