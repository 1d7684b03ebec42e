// Scenario 6: the in-process library's micro-benchmarks (lib_bench, Google
// Benchmark), run as a child process and read back from its CSV output.
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_LIBRARY_BENCHMARKS_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_LIBRARY_BENCHMARKS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace hother::cancelable::bench {

// Benchmark name -> real time per iteration in nanoseconds.
using LibraryTimes = std::map<std::string, double>;

// Runs `binary` with --benchmark_min_time=`min_time`; its output goes to
// files in `dir`.
absl::StatusOr<LibraryTimes> RunLibraryBenchmarks(const std::string& binary, double min_time,
                                                  const std::string& dir);

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_LIBRARY_BENCHMARKS_H_
