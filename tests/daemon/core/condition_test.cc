// Tests of daemon/core/condition.h and condition_evaluator.h.
#include "daemon/core/condition.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "daemon/core/condition_evaluator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/clock.h"
#include "tests/lib/test_util.h"
#include "tests/support/process.h"

namespace hother::cancelable::daemon {
namespace {

using ::testing::HasSubstr;

TEST(ParseCondition, EveryKindRoundTrips) {
  for (const char* text :
       {"file_exists(/tmp/x)", "file_absent(/tmp/x)", "memory_available_below(5%)",
        "load_average_above(8.5)", "disk_free_below(/var, 10%)", "process_exited(42)"}) {
    absl::StatusOr<Condition> c = ParseCondition(text);
    ASSERT_TRUE(c.ok()) << text << ": " << c.status();
    EXPECT_EQ(c->ToString(), text);
  }
  EXPECT_EQ(*ParseCondition("memory_available_below(512MiB)")->bytes, 512u << 20);
  EXPECT_EQ(ParseCondition("  file_exists( /a/b )  ")->ToString(), "file_exists(/a/b)");
}

TEST(ParseCondition, BadInputSaysWhat) {
  EXPECT_TRUE(absl::IsNotFound(ParseCondition("disk_full").status()));  // a configured name?
  EXPECT_THAT(std::string(ParseCondition("file_exists(relative)").status().message()),
              HasSubstr("expected an absolute path"));
  EXPECT_THAT(std::string(ParseCondition("memory_available_below(120%)").status().message()),
              HasSubstr("(0, 100]"));
  EXPECT_THAT(std::string(ParseCondition("reboot(now)").status().message()),
              HasSubstr("unknown kind"));
  EXPECT_THAT(std::string(ParseCondition("command(/bin/true)").status().message()),
              HasSubstr("only be defined in canceld's configuration"));
  EXPECT_TRUE(absl::IsInvalidArgument(ParseCondition("file_exists(/x").status()));
}

class ConditionCheck : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name)) << text;
  }
  Observation Must(const std::string& text) {
    absl::StatusOr<Observation> o = Check(*ParseCondition(text), dir_.path());
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? *o : Observation{};
  }
  test_support::TempDir dir_;
};

TEST_F(ConditionCheck, FilesExistAndDisappear) {
  EXPECT_FALSE(Must("file_exists(" + Path("flag") + ")").met);
  EXPECT_TRUE(Must("file_absent(" + Path("flag") + ")").met);
  Write("flag", "");
  EXPECT_TRUE(Must("file_exists(" + Path("flag") + ")").met);
  EXPECT_EQ(Must("file_exists(" + Path("flag") + ")").value, "exists");
}

TEST_F(ConditionCheck, MemoryAndLoadFromAFakeProc) {
  Write("meminfo", "MemTotal: 1000 kB\nMemAvailable: 32 kB\n");
  Observation low = Must("memory_available_below(5%)");
  EXPECT_TRUE(low.met);
  EXPECT_EQ(low.value, "3.2% available");
  EXPECT_FALSE(Must("memory_available_below(1%)").met);
  EXPECT_TRUE(Must("memory_available_below(1MiB)").met);
  Write("loadavg", "9.50 3.00 1.00 1/100 4242\n");
  EXPECT_TRUE(Must("load_average_above(8)").met);
  EXPECT_FALSE(Must("load_average_above(10)").met);
  // A missing /proc file is an error, which callers count as "not met".
  std::filesystem::remove(Path("loadavg"));
  EXPECT_TRUE(
      absl::IsNotFound(Check(*ParseCondition("load_average_above(1)"), dir_.path()).status()));
}

TEST_F(ConditionCheck, DiskAndProcesses) {
  EXPECT_FALSE(Must("disk_free_below(/, 0.0001%)").met);
  EXPECT_TRUE(absl::IsNotFound(Check(*ParseCondition("disk_free_below(/no/such, 5%)")).status()));
  pid_t child = fork();
  if (child == 0) _exit(0);
  EXPECT_FALSE(Must("process_exited(" + std::to_string(getpid()) + ")").met);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(Must("process_exited(" + std::to_string(child) + ")").met);
}

TEST_F(ConditionCheck, CommandsAreMetOnExitZeroAndTimeOut) {
  Condition c;
  c.kind = ConditionKind::kCommand;
  c.command = {"/bin/true"};
  EXPECT_TRUE(Check(c)->met);
  c.command = {"/bin/sh", "-c", "exit 3"};
  EXPECT_EQ(Check(c)->value, "exit status 3");
  c.command = {"/bin/sleep", "5"};
  c.command_timeout = absl::Milliseconds(100);
  EXPECT_TRUE(absl::IsDeadlineExceeded(Check(c).status()));
}

TEST(ConditionEvaluator, OneEvaluationServesManySubscribersAndMetCancelsThemAll) {
  test_support::TempDir dir;
  const std::string counter = dir.path() + "/runs";
  const std::string flag = dir.path() + "/flag";
  FakeClock clock;
  Scheduler scheduler(clock);
  std::mutex mu;
  std::vector<std::string> cancelled;
  std::string message;
  ConditionEvaluator evaluator(scheduler, [&](const std::vector<std::string>& ids,
                                              const std::string&, const std::string& m) {
    std::lock_guard<std::mutex> lock(mu);
    cancelled.insert(cancelled.end(), ids.begin(), ids.end());
    message = m;
  });
  // A configured command that counts its runs and is met once `flag` exists.
  Condition counting;
  counting.kind = ConditionKind::kCommand;
  counting.command = {"/bin/sh", "-c", "echo run >> " + counter + "; test -e " + flag};
  evaluator.SetConfigured({{"counting", counting}});
  ASSERT_EQ(*evaluator.Resolve("counting"), "counting");
  EXPECT_TRUE(absl::IsInvalidArgument(evaluator.Resolve("nothing").status()));
  std::vector<std::unique_ptr<OperationResource>> subscriptions;
  for (int i = 0; i < 50; ++i) {
    subscriptions.push_back(
        evaluator.Subscribe("op-" + std::to_string(i), "counting", absl::Seconds(1)));
  }
  auto lines = [&] {
    std::ifstream in(counter);
    int n = 0;
    for (std::string line; std::getline(in, line);) ++n;
    return n;
  };
  int advances = 0;
  ASSERT_TRUE(Eventually([&] {
    if (lines() < 3) {
      clock.Advance(absl::Seconds(1));
      ++advances;
    }
    return lines() >= 3;
  }));
  // One run per tick serves all 50 subscribers (per subscriber it would be
  // 50 runs at the very first tick).
  EXPECT_LE(lines(), advances + 1);
  std::vector<ConditionStatus> listed = evaluator.List();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].subscribers, 50u);
  EXPECT_EQ(listed[0].last_value, "exit status 1");
  // A destroyed subscription (its operation ended) no longer counts, nor is
  // cancelled.
  subscriptions.resize(40);
  EXPECT_EQ(evaluator.List()[0].subscribers, 40u);
  std::ofstream(flag) << "";
  ASSERT_TRUE(Eventually([&] {
    clock.Advance(absl::Seconds(1));
    std::lock_guard<std::mutex> lock(mu);
    return cancelled.size() == 40;
  }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(message, "counting: exit status 0");
}

TEST(ConditionEvaluator, ASubscriptionMayOutliveTheEvaluator) {
  FakeClock clock;
  Scheduler scheduler(clock);
  std::unique_ptr<OperationResource> subscription;
  {
    ConditionEvaluator evaluator(scheduler, [](const auto&, const auto&, const auto&) {});
    subscription = evaluator.Subscribe("op-1", *evaluator.Resolve("file_exists(/nonexistent)"),
                                       absl::Seconds(1));
    EXPECT_EQ(evaluator.List()[0].subscribers, 1u);
  }
  subscription.reset();  // does nothing, and does not crash
}

}  // namespace
}  // namespace hother::cancelable::daemon
