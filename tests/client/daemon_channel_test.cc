// The SDK's and cancelctl's check of the daemon they talk to
// (client/src/daemon_channel.h): a socket in a directory another user could
// write is refused unless named explicitly, nothing there is UNAVAILABLE,
// and a listener of a trusted uid is used. (A listener of another uid is
// refused: tests/e2e/authz_test.cc, as root.)
#include "client/src/daemon_channel.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace hother::cancelable::client_internal {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// A listening unix socket at `path` (this process's uid), closed when done.
class Listener {
 public:
  explicit Listener(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
  }
  ~Listener() { close(fd_); }

 private:
  int fd_ = -1;
};

TEST(DaemonChannel, ASocketInADirectoryOthersCanWriteIsRefusedUnlessNamed) {
  test_support::TempDir dir;
  const std::string shared = dir.path() + "/shared";
  ASSERT_EQ(mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(chmod(shared.c_str(), 0777), 0);  // whatever the umask
  Listener listener(shared + "/canceld.sock");
  const std::string endpoint = absl::StrCat("unix:", shared, "/canceld.sock");
  auto refused = DialDaemon(endpoint, DaemonTrust{});
  ASSERT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr(shared));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("mode 0777"));
  // Named explicitly: the directory is the caller's choice; the daemon (this
  // process's uid here) is still checked, and trusted.
  auto named = DialDaemon(endpoint, DaemonTrust{.explicit_endpoint = true});
  EXPECT_TRUE(named.ok()) << named.status();
}

TEST(DaemonChannel, APrivateDirectoryWithATrustedListenerIsUsed) {
  test_support::TempDir dir;  // 0700, this user's
  Listener listener(dir.path() + "/canceld.sock");
  auto channel = DialDaemon(absl::StrCat("unix:", dir.path(), "/canceld.sock"), DaemonTrust{});
  EXPECT_TRUE(channel.ok()) << channel.status();
}

TEST(DaemonChannel, NothingListeningIsUnavailable) {
  test_support::TempDir dir;
  auto channel = DialDaemon(absl::StrCat("unix:", dir.path(), "/none.sock"), DaemonTrust{});
  EXPECT_TRUE(absl::IsUnavailable(channel.status())) << channel.status();
  EXPECT_THAT(std::string(channel.status().message()), HasSubstr("none.sock"));
}

TEST(DaemonChannel, RootTheCallerAndExtraUidsAreTrusted) {
  const auto uids = TrustedDaemonUids(DaemonTrust{.extra_uids = {4242}});
  EXPECT_THAT(uids, Contains(0u));
  EXPECT_THAT(uids, Contains(getuid()));
  EXPECT_THAT(uids, Contains(4242u));
}

}  // namespace
}  // namespace hother::cancelable::client_internal
