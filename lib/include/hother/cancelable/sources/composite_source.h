// Composite sources: any-of and all-of combinations of other sources.
//
//   SourcePtr either = AnyOfSource({TimeoutSource(absl::Seconds(30)),
//                                   SignalSource({SIGTERM})});
//   SourcePtr both = AllOfSource({ConditionSource(disk_full, absl::Seconds(1), "disk"),
//                                 ConditionSource(no_backup, absl::Seconds(1), "backup")});
//
// Any-of fires when its first child fires, keeping that child's reason, with
// "Composite source triggered by <child>: <child's message>". All-of fires,
// with reason condition, once every child has fired: "All N sources have
// triggered". Both refuse an empty list ("At least one source is required").
// Stopping a composite stops every child and leaves nothing behind.
#ifndef HOTHER_CANCELABLE_SOURCES_COMPOSITE_SOURCE_H_
#define HOTHER_CANCELABLE_SOURCES_COMPOSITE_SOURCE_H_

#include <vector>

#include "hother/cancelable/source.h"

namespace hother::cancelable {

SourcePtr AnyOfSource(std::vector<SourcePtr> sources);
SourcePtr AllOfSource(std::vector<SourcePtr> sources);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_SOURCES_COMPOSITE_SOURCE_H_
