#include "daemon/core/daemon_signals.h"

#include "hother/cancelable/signal_watcher.h"

namespace hother::cancelable::daemon {

std::optional<int> ParseSubscribableSignal(absl::string_view name) {
  std::optional<int> signo = ParseSignalName(name);
  for (int allowed : kSubscribableSignals) {
    if (signo == allowed) return signo;
  }
  return std::nullopt;
}

}  // namespace hother::cancelable::daemon
