// Scenario 5: how late canceld's deadlines fire with many pending. The
// daemon's operation graph on the real clock (no gRPC) with `pending`
// operations whose deadlines are an hour away, plus `samples` operations whose
// deadlines fall due over about 2 s; lateness = the time recorded in each
// sample's cancel minus its deadline. The baseline is the same sample with
// nothing else pending, in the same run.
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_DEADLINES_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_DEADLINES_H_

#include <cstddef>

#include "tests/bench/samples.h"

namespace hother::cancelable::bench {

// Lateness in milliseconds of each sampled deadline.
Percentiles DeadlineLateness(size_t pending, size_t samples);

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_DEADLINES_H_
