// Reading the host's resource usage: memory and CPU from /proc, disk from
// statvfs. Used by ResourceConditionSource; the /proc root is a parameter so
// tests can point it at a fake tree.
//
// Thread-safety: the functions are stateless and thread-safe.
#ifndef HOTHER_CANCELABLE_RESOURCE_USAGE_H_
#define HOTHER_CANCELABLE_RESOURCE_USAGE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace hother::cancelable {

struct MemoryUsage {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;  // MemAvailable
  double used_percent() const;
};

struct CpuTimes {
  uint64_t busy = 0;   // jiffies not idle or iowait
  uint64_t total = 0;  // all jiffies
};

struct DiskUsage {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;  // to unprivileged users
  double used_percent() const;
};

// From <proc_root>/meminfo. NOT_FOUND / DATA_LOSS when missing or malformed,
// naming the file.
absl::StatusOr<MemoryUsage> ReadMemoryUsage(const std::string& proc_root = "/proc");

// The aggregate "cpu" line of <proc_root>/stat.
absl::StatusOr<CpuTimes> ReadCpuTimes(const std::string& proc_root = "/proc");

// Busy share of the CPU between two readings, 0..100 (0 if no time passed).
double CpuBusyPercent(const CpuTimes& before, const CpuTimes& after);

// statvfs(path). NOT_FOUND / INTERNAL with the path and the OS error.
absl::StatusOr<DiskUsage> ReadDiskUsage(const std::string& path);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_RESOURCE_USAGE_H_
