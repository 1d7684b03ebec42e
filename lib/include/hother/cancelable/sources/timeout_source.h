// Timeout and deadline sources: cancel with reason timeout when the time comes.
//
//   SourcePtr t = TimeoutSource(absl::Seconds(5));   // 5 s after the scope starts
//   SourcePtr d = DeadlineSource(absl::Now() + absl::Minutes(1));
//
// Several on one scope: the earliest fires first and wins. They run on the
// scope's Scheduler (so a FakeClock drives them in tests) and work inside
// AnyOfSource / AllOfSource like any other source.
#ifndef HOTHER_CANCELABLE_SOURCES_TIMEOUT_SOURCE_H_
#define HOTHER_CANCELABLE_SOURCES_TIMEOUT_SOURCE_H_

#include "absl/time/time.h"
#include "hother/cancelable/source.h"

namespace hother::cancelable {

// Fires `timeout` after Start with "Operation timed out after <s>s".
// INVALID_ARGUMENT unless positive: "Timeout must be positive, got <s>".
SourcePtr TimeoutSource(absl::Duration timeout);

// Fires at clock time `deadline` (at once if already past) with
// "Operation timed out: deadline <time> reached".
SourcePtr DeadlineSource(absl::Time deadline);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_SOURCES_TIMEOUT_SOURCE_H_
