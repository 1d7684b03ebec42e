#include "hother/cancelable/resource_usage.h"

#include <string.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace hother::cancelable {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

double Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

double MemoryUsage::used_percent() const {
  return Percent(total_bytes - std::min(available_bytes, total_bytes), total_bytes);
}

double DiskUsage::used_percent() const {
  return Percent(total_bytes - std::min(available_bytes, total_bytes), total_bytes);
}

absl::StatusOr<MemoryUsage> ReadMemoryUsage(const std::string& proc_root) {
  const std::string path = proc_root + "/meminfo";
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  MemoryUsage usage;
  bool have_total = false, have_available = false;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (parts.size() < 2) continue;
    uint64_t kib = 0;
    if (parts[0] == "MemTotal:" && absl::SimpleAtoi(parts[1], &kib)) {
      usage.total_bytes = kib * 1024;
      have_total = true;
    } else if (parts[0] == "MemAvailable:" && absl::SimpleAtoi(parts[1], &kib)) {
      usage.available_bytes = kib * 1024;
      have_available = true;
    }
  }
  if (!have_total || !have_available) {
    return absl::DataLossError(absl::StrCat(path, ": no MemTotal/MemAvailable lines"));
  }
  return usage;
}

absl::StatusOr<CpuTimes> ReadCpuTimes(const std::string& proc_root) {
  const std::string path = proc_root + "/stat";
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  absl::string_view first = *text;
  first = first.substr(0, first.find('\n'));
  std::vector<absl::string_view> parts = absl::StrSplit(first, ' ', absl::SkipEmpty());
  if (parts.size() < 5 || parts[0] != "cpu") {
    return absl::DataLossError(absl::StrCat(path, ": first line is not the cpu line"));
  }
  CpuTimes times;
  for (size_t i = 1; i < parts.size(); ++i) {
    uint64_t value = 0;
    if (!absl::SimpleAtoi(parts[i], &value)) {
      return absl::DataLossError(absl::StrCat(path, ": bad number '", parts[i], "'"));
    }
    times.total += value;
    // Fields: user nice system idle iowait irq softirq steal guest guest_nice.
    if (i != 4 && i != 5) times.busy += value;
  }
  return times;
}

double CpuBusyPercent(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy) return 0.0;
  return Percent(after.busy - before.busy, after.total - before.total);
}

absl::StatusOr<DiskUsage> ReadDiskUsage(const std::string& path) {
  struct statvfs fs;
  if (statvfs(path.c_str(), &fs) != 0) {
    std::string message = absl::StrCat("statvfs(", path, "): ", strerror(errno));
    return errno == ENOENT ? absl::NotFoundError(message) : absl::InternalError(message);
  }
  DiskUsage usage;
  usage.total_bytes = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
  // Used = total - free (as df computes it); available to users is f_bavail.
  uint64_t free_bytes = static_cast<uint64_t>(fs.f_bfree) * fs.f_frsize;
  usage.available_bytes = free_bytes;
  return usage;
}

}  // namespace hother::cancelable
