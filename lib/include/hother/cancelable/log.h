// Logging: the library is silent unless the application installs a sink.
//
//   class StderrSink : public hother::cancelable::LogSink {
//     void Write(const LogRecord& r) override { std::cerr << r.message << "\n"; }
//   };
//   StderrSink sink;
//   hother::cancelable::SetLogSink(&sink);   // until SetLogSink(nullptr)
//
// Records carry structured fields (operation id, reason, ...) beside the text.
// Thread-safety: SetLogSink and Log may be called from any thread; the sink's
// Write is called concurrently from library threads and must be thread-safe.
// The sink must outlive its installation.
#ifndef HOTHER_CANCELABLE_LOG_H_
#define HOTHER_CANCELABLE_LOG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace hother::cancelable {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

absl::string_view ToString(LogLevel level);

struct LogRecord {
  LogLevel level = LogLevel::kInfo;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(const LogRecord& record) = 0;
};

// Installs `sink` (null: silence). Returns the previous sink.
LogSink* SetLogSink(LogSink* sink);

// True when a sink is installed (lets callers skip building records).
bool LogEnabled();

// Sends a record to the installed sink, if any. Exceptions from the sink are
// swallowed: logging never changes the outcome of an operation.
void Log(LogLevel level, std::string message,
         std::vector<std::pair<std::string, std::string>> fields = {});

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_LOG_H_
