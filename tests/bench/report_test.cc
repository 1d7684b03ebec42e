// The benchmark report: its number formats, and the splice into
// docs/BENCHMARKS.md, which must leave the rest of the file untouched and
// refuse (changing nothing) when the markers are missing.
#include "tests/bench/report.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace hother::cancelable::bench {
namespace {

using ::testing::HasSubstr;

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

TEST(Fixed, GroupsThousandsAndKeepsDecimals) {
  EXPECT_EQ(Fixed(0, 0), "0");
  EXPECT_EQ(Fixed(999, 0), "999");
  EXPECT_EQ(Fixed(1000, 0), "1,000");
  EXPECT_EQ(Fixed(1234567.891, 1), "1,234,567.9");
  EXPECT_EQ(Fixed(-45678.5, 1), "-45,678.5");
  EXPECT_EQ(Fixed(0.0734, 3), "0.073");
  EXPECT_EQ(Fixed(std::nan(""), 1), "-");
}

TEST(Ratio, TwoDecimalsAndAnX) {
  EXPECT_EQ(Ratio(1.2345), "1.23x");
  EXPECT_EQ(Ratio(std::nan("")), "-");
}

TEST(Report, MarkdownHasATableWithAHeaderRowPerSection) {
  Report report;
  report.Add(
      {.title = "Latency", .header = {"", "p50"}, .rows = {{"bare", "1.0"}}, .notes = {"n"}});
  const std::string md = report.Markdown();
  EXPECT_THAT(md, HasSubstr("#### Latency\n\n|  | p50 |\n| --- | ---: |\n| bare | 1.0 |\n\nn\n"));
  EXPECT_THAT(report.Text(), HasSubstr("\n      p50\nbare  1.0\n"));
}

TEST(SpliceInto, ReplacesOnlyWhatLiesBetweenTheMarkers) {
  test_support::TempDir dir;
  const std::string path = dir.path() + "/BENCHMARKS.md";
  Write(path, absl::StrCat("# Title\nintro\n", kBeginMarker, "\nold table\n", kEndMarker,
                           "\nanalysis\n"));
  ASSERT_TRUE(SpliceInto(path, "new table").ok());
  EXPECT_EQ(
      test_support::ReadFile(path),
      absl::StrCat("# Title\nintro\n", kBeginMarker, "\nnew table\n", kEndMarker, "\nanalysis\n"));
  // Again: the result is stable.
  ASSERT_TRUE(SpliceInto(path, "new table").ok());
  EXPECT_EQ(
      test_support::ReadFile(path),
      absl::StrCat("# Title\nintro\n", kBeginMarker, "\nnew table\n", kEndMarker, "\nanalysis\n"));
}

TEST(SpliceInto, WithoutBothMarkersInOrderItRefusesAndChangesNothing) {
  test_support::TempDir dir;
  const std::string path = dir.path() + "/BENCHMARKS.md";
  for (const std::string& text :
       {std::string("# no markers\n"), absl::StrCat(kEndMarker, "\n", kBeginMarker, "\n"),
        absl::StrCat(kBeginMarker, "\nonly the first\n")}) {
    Write(path, text);
    absl::Status status = SpliceInto(path, "new table");
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(status.message(), HasSubstr(path));
    EXPECT_THAT(status.message(), HasSubstr(kBeginMarker));
    EXPECT_EQ(test_support::ReadFile(path), text);
  }
}

TEST(SpliceInto, AMissingFileIsNotFound) {
  EXPECT_EQ(SpliceInto("/nonexistent/BENCHMARKS.md", "x").code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace hother::cancelable::bench
