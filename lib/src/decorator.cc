#include "hother/cancelable/decorator.h"

#include "hother/cancelable/sources/condition_source.h"
#include "hother/cancelable/sources/signal_source.h"
#include "hother/cancelable/sources/timeout_source.h"

namespace hother::cancelable {

Cancelable ScopeSpec::Make() const {
  CancelableOptions opts = options;
  opts.id.clear();
  opts.parent = parent.has_value() ? &*parent : nullptr;
  if (opts.name.empty()) opts.name = name.empty() ? "wrapped" : name;
  Cancelable scope = token.has_value() ? Cancelable::WithToken(*token, std::move(opts))
                                       : Cancelable(std::move(opts));
  if (timeout.has_value()) scope.AddSource(TimeoutSource(*timeout));
  if (!signals.empty()) scope.AddSource(SignalSource(signals));
  if (condition) scope.AddSource(ConditionSource(condition, condition_interval, condition_name));
  for (const SourcePtr& source : sources) scope.AddSource(source);
  return scope;
}

}  // namespace hother::cancelable
