// The signals delivered to canceld that operations may subscribe to, and
// their names on the wire ("SIGUSR1" or "USR1").
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_DAEMON_SIGNALS_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_DAEMON_SIGNALS_H_

#include <csignal>
#include <optional>

#include "absl/strings/string_view.h"

namespace hother::cancelable::daemon {

inline constexpr int kSubscribableSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT};

// SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 or SIGQUIT, with or without the
// "SIG" prefix; nullopt for anything else.
std::optional<int> ParseSubscribableSignal(absl::string_view name);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_DAEMON_SIGNALS_H_
