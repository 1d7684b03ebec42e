#include "daemon/stderr_log.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hother/cancelable/internal/json_escape.h"

namespace hother::cancelable::daemon {
using internal::JsonEscape;

std::optional<LogLevel> ParseLogLevel(absl::string_view text) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarning, LogLevel::kError}) {
    if (ToString(level) == text) return level;
  }
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(absl::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

void StderrLog::Write(const LogRecord& record) {
  if (record.level < min_level_) return;
  const std::string time =
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::string line;
  if (format_ == LogFormat::kJson) {
    absl::StrAppend(&line, "{\"time\":\"", time, "\",\"level\":\"", ToString(record.level),
                    "\",\"msg\":\"", JsonEscape(record.message), "\"");
    for (const auto& [key, value] : record.fields) {
      absl::StrAppend(&line, ",\"", JsonEscape(key), "\":\"", JsonEscape(value), "\"");
    }
    line += "}\n";
  } else {
    absl::StrAppend(&line, time, " ", ToString(record.level), " ", record.message);
    for (const auto& [key, value] : record.fields) absl::StrAppend(&line, " ", key, "=", value);
    line += "\n";
  }
  internal::MutexLock lock(&mu_);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace hother::cancelable::daemon
