#include "tests/bench/library_benchmarks.h"

#include <sstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"

namespace hother::cancelable::bench {

absl::StatusOr<LibraryTimes> RunLibraryBenchmarks(const std::string& binary, double min_time,
                                                  const std::string& dir) {
  test_support::Process run(
      {binary, "--benchmark_format=csv", absl::StrCat("--benchmark_min_time=", min_time)},
      dir + "/lib_bench");
  std::optional<int> exit_code = run.Wait(absl::Minutes(10));
  if (exit_code != 0) {
    return absl::InternalError(
        absl::StrCat(binary, " failed (exit ", exit_code.value_or(-1), "): ", run.err()));
  }
  // name,iterations,real_time,cpu_time,time_unit,...  (the name is quoted)
  LibraryTimes times;
  std::istringstream csv(run.out());
  for (std::string line; std::getline(csv, line);) {
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (cells.size() < 5 || cells[0] == "name") continue;
    std::string name = cells[0];
    if (name.size() >= 2 && name.front() == '"') name = name.substr(1, name.size() - 2);
    double real_time = 0;
    if (!absl::SimpleAtod(cells[2], &real_time)) continue;
    const std::string& unit = cells[4];
    const double to_ns = unit == "ms" ? 1e6 : unit == "us" ? 1e3 : unit == "s" ? 1e9 : 1;
    times[name] = real_time * to_ns;
  }
  if (times.empty()) return absl::InternalError(absl::StrCat(binary, " printed no results"));
  return times;
}

}  // namespace hother::cancelable::bench
