// Tests of sources/resource_condition_source.h and resource_usage.h against a
// fake /proc tree.
#include "hother/cancelable/sources/resource_condition_source.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "hother/cancelable/resource_usage.h"
#include "tests/lib/sources/source_test_util.h"

namespace hother::cancelable {
namespace {

class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("proc-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name) << text;
  }
  void Meminfo(int total_kib, int available_kib) {
    Write("meminfo", "MemTotal:       " + std::to_string(total_kib) +
                         " kB\nMemFree:  1 kB\nMemAvailable:   " + std::to_string(available_kib) +
                         " kB\n");
  }
  std::string root() const { return root_.string(); }
  std::filesystem::path root_;
};

TEST_F(FakeProc, ReadsMemoryUsage) {
  Meminfo(1000, 250);
  auto usage = ReadMemoryUsage(root());
  ASSERT_TRUE(usage.ok()) << usage.status();
  EXPECT_EQ(usage->total_bytes, 1000u * 1024);
  EXPECT_DOUBLE_EQ(usage->used_percent(), 75.0);
}

TEST_F(FakeProc, MissingOrMalformedMeminfoIsAClearError) {
  EXPECT_TRUE(absl::IsNotFound(ReadMemoryUsage(root()).status()));
  Write("meminfo", "garbage\n");
  auto usage = ReadMemoryUsage(root());
  EXPECT_TRUE(absl::IsDataLoss(usage.status()));
  EXPECT_NE(usage.status().message().find("meminfo"), absl::string_view::npos);
}

TEST_F(FakeProc, ReadsCpuTimesAndComputesBusyShare) {
  Write("stat", "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3\n");
  auto before = ReadCpuTimes(root());
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->total, 1000u);
  EXPECT_EQ(before->busy, 200u);
  Write("stat", "cpu  400 0 400 800 100 0 0 0 0 0\n");
  auto after = ReadCpuTimes(root());
  EXPECT_DOUBLE_EQ(CpuBusyPercent(*before, *after), 600.0 * 100 / 700);
}

TEST(ResourceUsage, ReadsTheRealDisk) {
  auto disk = ReadDiskUsage("/");
  ASSERT_TRUE(disk.ok()) << disk.status();
  EXPECT_GT(disk->total_bytes, 0u);
  EXPECT_TRUE(absl::IsNotFound(ReadDiskUsage("/no/such/path").status()));
}

TEST_F(FakeProc, FiresWhenMemoryThresholdIsExceeded) {
  Meminfo(1000, 50);  // 95% used
  FakeEnv e;
  FireRecorder rec;
  ResourceThresholds t;
  t.memory_percent = 90;
  t.proc_root = root();
  auto watch = ResourceConditionSource(t)->Start(e.env, rec.fn());
  ASSERT_TRUE(watch.ok());
  auto fired = rec.WaitFor(1);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].reason, CancelReason::kCondition);
  EXPECT_EQ(fired[0].message, "Resource threshold exceeded: memory 95.0% used > 90%");
}

TEST_F(FakeProc, UnsetThresholdsAreSkippedAndReadErrorsCountAsNotExceeded) {
  // No meminfo at all, and only a disk threshold that "/" will not exceed.
  FakeEnv e;
  FireRecorder rec;
  ResourceThresholds t;
  t.disk_percent = 100;
  t.proc_root = root();
  auto watch = ResourceConditionSource(t)->Start(e.env, rec.fn());
  ASSERT_TRUE(watch.ok());
  for (int i = 0; i < 3; ++i) e.clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(rec.fired().empty());
}

TEST(ResourceConditionSource, ValidatesThresholds) {
  EXPECT_EQ(ResourceConditionSource({})->Validate().message(),
            "At least one resource threshold is required");
  ResourceThresholds bad;
  bad.cpu_percent = 150;
  EXPECT_EQ(ResourceConditionSource(bad)->Validate().message(),
            "cpu_percent must be in (0, 100], got 150");
}

}  // namespace
}  // namespace hother::cancelable
