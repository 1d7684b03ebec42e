#include "hother/cancelable/log.h"

#include <atomic>

namespace hother::cancelable {
namespace {

std::atomic<LogSink*> g_sink{nullptr};

}  // namespace

absl::string_view ToString(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

LogSink* SetLogSink(LogSink* sink) { return g_sink.exchange(sink); }

bool LogEnabled() { return g_sink.load(std::memory_order_acquire) != nullptr; }

void Log(LogLevel level, std::string message,
         std::vector<std::pair<std::string, std::string>> fields) {
  LogSink* sink = g_sink.load(std::memory_order_acquire);
  if (sink == nullptr) return;
  try {
    sink->Write(LogRecord{level, std::move(message), std::move(fields)});
  } catch (...) {
    // A failing sink must not change what the library does.
  }
}

}  // namespace hother::cancelable
