// Condition source: poll a predicate; cancel with reason condition once it
// holds, with "Condition '<name>' met after N checks".
//
//   SourcePtr c = ConditionSource([&] { return queue.size() > 1000; },
//                                 absl::Milliseconds(100), "queue_full");
//
// The predicate runs on the scheduler's poll thread: at once when the scope
// starts, then `interval` after each check ends. A predicate that throws
// counts as "not met" (reported to the log) and polling continues. It must be
// safe to call from that thread.
#ifndef HOTHER_CANCELABLE_SOURCES_CONDITION_SOURCE_H_
#define HOTHER_CANCELABLE_SOURCES_CONDITION_SOURCE_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "hother/cancelable/source.h"

namespace hother::cancelable {

// INVALID_ARGUMENT (at Validate) unless `interval` is positive:
// "Check interval must be positive, got <s>s".
SourcePtr ConditionSource(std::function<bool()> predicate, absl::Duration interval,
                          std::string name = "condition");

// A condition source whose predicate also explains itself: it returns a
// message when met (used verbatim as the cancel message) or nullopt.
SourcePtr ExplainedConditionSource(std::function<std::optional<std::string>()> check,
                                   absl::Duration interval, std::string name);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_SOURCES_CONDITION_SOURCE_H_
