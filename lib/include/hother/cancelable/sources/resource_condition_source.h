// Resource condition source: cancel with reason condition when the host runs
// short of memory, CPU or disk.
//
//   ResourceThresholds limits;
//   limits.memory_percent = 90;          // used memory above 90%
//   limits.disk_percent = 95;            // the filesystem of disk_path
//   limits.disk_path = "/var/lib/app";
//   SourcePtr r = ResourceConditionSource(limits);
//
// Thresholds left unset are not checked. Sampling runs on the scheduler's poll
// thread, never on the timer thread, so a slow statvfs (a hung network mount)
// cannot delay a timeout. A reading that fails is logged and counts as "not
// exceeded". CPU is the busy share between two consecutive samples, so it is
// first judged at the second sample.
#ifndef HOTHER_CANCELABLE_SOURCES_RESOURCE_CONDITION_SOURCE_H_
#define HOTHER_CANCELABLE_SOURCES_RESOURCE_CONDITION_SOURCE_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "hother/cancelable/source.h"

namespace hother::cancelable {

struct ResourceThresholds {
  std::optional<double> memory_percent;  // used memory, percent of total
  std::optional<double> cpu_percent;     // busy CPU, percent
  std::optional<double> disk_percent;    // used space of disk_path's filesystem
  std::string disk_path = "/";
  absl::Duration interval = absl::Seconds(1);
  std::string proc_root = "/proc";  // for tests
};

// INVALID_ARGUMENT (at Validate) when no threshold is set, a threshold is
// outside (0, 100], or the interval is not positive.
SourcePtr ResourceConditionSource(ResourceThresholds thresholds);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_SOURCES_RESOURCE_CONDITION_SOURCE_H_
