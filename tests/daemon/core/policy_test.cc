// The default policy (docs/SECURITY.md): owners, admins, a narrowed
// cancel-all, token creators, and the verbs' names.
#include "daemon/core/policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hother::cancelable::daemon {
namespace {

using ::testing::HasSubstr;

Principal Local(uid_t uid, bool admin = false) {
  Principal p;
  p.kind = Principal::Kind::kUnix;
  p.uid = uid;
  p.pid = 77;
  p.user = uid == 1000 ? "alice" : "";
  p.admin = admin;
  return p;
}

TEST(Policy, OnlyTheOwnerOrAnAdminMayActOnAnOperation) {
  Policy policy;
  policy.set_admin_group_name("ops");
  const Owner alices{1, "svc", 42, "h", "uid:1000", 1000, "alice"};
  EXPECT_TRUE(policy.MayActOn(Local(1000), Verb::kCancel, "00000001-1", alices).ok());
  EXPECT_TRUE(policy.MayActOn(Local(0, /*admin=*/true), Verb::kCancel, "00000001-1", alices).ok());
  const absl::Status refused = policy.MayActOn(Local(1001), Verb::kDeadline, "00000001-1", alices);
  EXPECT_TRUE(absl::IsPermissionDenied(refused)) << refused;
  EXPECT_EQ(refused.message(),
            "uid=1001 pid=77 may not deadline operation 00000001-1, owned by uid:1000; granted "
            "to its owner, root and the group ops");
  // An owner not recorded (a store from before principals): admins only.
  const Owner unknown{1, "svc", 42, "h"};
  EXPECT_THAT(std::string(policy.MayActOn(Local(1000), Verb::kCancel, "x", unknown).message()),
              HasSubstr("owned by an unknown principal"));
}

TEST(Policy, UnverifiedCallersShareOnePrincipal) {
  Policy policy;
  Principal tcp;
  tcp.address = "ipv4:127.0.0.1:5555";
  EXPECT_EQ(tcp.Key(), "unverified");
  EXPECT_EQ(tcp.Text(), "unverified peer ipv4:127.0.0.1:5555");
  const Owner theirs{1, "svc", 0, "h", "unverified", -1, ""};
  EXPECT_TRUE(policy.MayActOn(tcp, Verb::kCancel, "x", theirs).ok());
  EXPECT_FALSE(policy.MayActOn(tcp, Verb::kCancel, "x", Owner{1, "", 0, "", "uid:0"}).ok());
}

TEST(Policy, ACancelAllIsNarrowedToTheCallersOwnUnlessAdmin) {
  Policy policy;
  OperationFilter filter;
  policy.Narrow(Local(1000), filter);
  EXPECT_EQ(filter.principal, "uid:1000");
  OperationFilter all;
  policy.Narrow(Local(0, /*admin=*/true), all);
  EXPECT_EQ(all.principal, "");
}

TEST(Policy, ATokenIsItsCreators) {
  Policy policy;
  TokenView token;
  token.name = "deploy-1";
  token.creator = "uid:1000";
  EXPECT_TRUE(policy.MayActOnToken(Local(1000), Verb::kTokenCancel, token).ok());
  const absl::Status refused = policy.MayActOnToken(Local(1001), Verb::kTokenLink, token);
  EXPECT_TRUE(absl::IsPermissionDenied(refused));
  EXPECT_THAT(std::string(refused.message()),
              HasSubstr("may not token-link token 'deploy-1', created by uid:1000"));
  EXPECT_TRUE(policy.MayActOnToken(Local(5, /*admin=*/true), Verb::kTokenDelete, token).ok());
}

TEST(Policy, VerbsAreNamedAndAnUnknownOneListsThem) {
  for (absl::string_view name : {"cancel", "cancel-all", "deadline", "token-create", "token-cancel",
                                 "token-link", "token-delete", "watch", "list"}) {
    absl::StatusOr<Verb> verb = VerbNamed(name);
    ASSERT_TRUE(verb.ok()) << name;
    EXPECT_EQ(VerbName(*verb), name);
  }
  const absl::Status unknown = VerbNamed("explode").status();
  EXPECT_TRUE(absl::IsInvalidArgument(unknown));
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("'explode' is not one of cancel, "));
}

TEST(Principal, AdminIsRootOrAMemberOfTheAdminGroup) {
  PeerCredentials peer{.pid = 9, .uid = 1000, .gid = 1000, .groups = {27, 100}};
  EXPECT_FALSE(UnixPrincipal(peer, 50).admin);
  EXPECT_TRUE(UnixPrincipal(peer, 100).admin);
  EXPECT_FALSE(UnixPrincipal(peer, static_cast<gid_t>(-1)).admin);
  peer.uid = 0;
  EXPECT_TRUE(UnixPrincipal(peer, static_cast<gid_t>(-1)).admin);
  EXPECT_EQ(UnixPrincipal(peer, 0).Text(), "uid=0(root) pid=9");
  EXPECT_EQ(UnixPrincipal(peer, 0).Key(), "uid:0");
}

}  // namespace
}  // namespace hother::cancelable::daemon
