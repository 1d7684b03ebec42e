// StderrLog: the daemon's log sink. One line per record on stderr, as text
// ("2026-11-30T04:31:02Z info session opened session=3 process=worker") or
// JSON ({"time":...,"level":"info","msg":"session opened","session":"3"}).
// Records below the minimum level are dropped.
//
// Thread-safety: thread-safe; lines are written whole.
#ifndef HOTHER_CANCELABLE_DAEMON_STDERR_LOG_H_
#define HOTHER_CANCELABLE_DAEMON_STDERR_LOG_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/log.h"

namespace hother::cancelable::daemon {

enum class LogFormat { kText, kJson };

std::optional<LogLevel> ParseLogLevel(absl::string_view text);
std::optional<LogFormat> ParseLogFormat(absl::string_view text);

class StderrLog : public LogSink {
 public:
  StderrLog(LogLevel min_level, LogFormat format) : min_level_(min_level), format_(format) {}
  void Write(const LogRecord& record) override;

 private:
  const LogLevel min_level_;
  const LogFormat format_;
  internal::Mutex mu_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_STDERR_LOG_H_
