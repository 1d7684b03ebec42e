// Tests of daemon/config.h.
#include "daemon/config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hother::cancelable::daemon {
namespace {

using ::testing::HasSubstr;

TEST(Config, NamedConditionsOfEveryKind) {
  absl::StatusOr<DaemonConfig> config = ParseConfig(R"(
[conditions.disk_full]
kind = "disk_free_below"
path = "/var"
percent = 5

[conditions.low_memory]
kind = "memory_available_below"
bytes = "256MiB"

[conditions.maintenance]
kind = "command"
command = ["/usr/local/bin/in-maintenance", "--quiet"]
timeout = "2s"

[conditions.flag]
kind = "command"
command = "test -e /run/stop"
)",
                                                    "canceld.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->conditions.at("disk_full").ToString(), "disk_free_below(/var, 5%)");
  EXPECT_EQ(*config->conditions.at("low_memory").bytes, 256u << 20);
  EXPECT_EQ(config->conditions.at("maintenance").command_timeout, absl::Seconds(2));
  EXPECT_THAT(config->conditions.at("flag").command,
              ::testing::ElementsAre("/bin/sh", "-c", "test -e /run/stop"));
}

TEST(Config, ErrorsNameTheFileLineAndColumn) {
  absl::Status syntax = ParseConfig("[conditions.x]\nkind = \n", "canceld.toml").status();
  EXPECT_TRUE(absl::IsInvalidArgument(syntax));
  EXPECT_THAT(std::string(syntax.message()), HasSubstr("canceld.toml:2:"));
  absl::Status kind = ParseConfig("\n[conditions.x]\nkind = \"reboot\"\n", "canceld.toml").status();
  EXPECT_THAT(std::string(kind.message()),
              HasSubstr("canceld.toml:3:8: conditions.x: unknown kind 'reboot'"));
  absl::Status missing = ParseConfig("[conditions.y]\nkind = \"file_exists\"\n", "c.toml").status();
  EXPECT_THAT(std::string(missing.message()), HasSubstr("needs 'path'"));
  absl::Status section = ParseConfig("[listen]\nx = 1\n", "c.toml").status();
  EXPECT_THAT(std::string(section.message()), HasSubstr("unknown section 'listen'"));
  EXPECT_TRUE(absl::IsNotFound(LoadConfig("/no/such/canceld.toml").status()));
}

}  // namespace
}  // namespace hother::cancelable::daemon
