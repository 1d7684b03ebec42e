// Signal source: cancel with reason signal when the process receives one of
// the given signals, with "Received signal SIGUSR1 (10)".
//
//   SourcePtr s = SignalSource({SIGINT, SIGTERM});
//
// Several scopes may watch the same signal; the process's previous handling
// is restored when nobody watches (see SignalWatcher). Numbers that are not
// watchable signals are refused with INVALID_ARGUMENT.
#ifndef HOTHER_CANCELABLE_SOURCES_SIGNAL_SOURCE_H_
#define HOTHER_CANCELABLE_SOURCES_SIGNAL_SOURCE_H_

#include <vector>

#include "hother/cancelable/source.h"

namespace hother::cancelable {

SourcePtr SignalSource(std::vector<int> signals);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_SOURCES_SIGNAL_SOURCE_H_
