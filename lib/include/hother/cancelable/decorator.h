// Decorators: wrap a callable so that each call runs in a fresh scope.
//
//   ScopeSpec spec{.name = "fetch", .timeout = absl::Seconds(5),
//                  .token = shutdown_token, .signals = {SIGTERM}};
//   auto fetch = Cancellable(spec, [](Cancelable& op, std::string url) {
//     return Fetch(url, op.token());
//   });
//   absl::StatusOr<Page> page = fetch("https://example.com");
//
//   absl::StatusOr<int> n = RunWithTimeout(absl::Seconds(1), [] { return Count(); });
//
// A spec lists any combination of sources (any-of); every one of them is live
// in each call's scope. The callable receives the scope when its first
// parameter is a Cancelable&. C++ has no function names at run time, so a
// spec without a name gives its scopes the name "wrapped".
//
// Thread-safety: a wrapped callable may be called from several threads at
// once if the wrapped function may; each call has its own scope.
#ifndef HOTHER_CANCELABLE_DECORATOR_H_
#define HOTHER_CANCELABLE_DECORATOR_H_

#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/source.h"

namespace hother::cancelable {

// What each call's scope is made of.
struct ScopeSpec {
  std::string name;
  std::optional<absl::Duration> timeout;
  std::optional<CancellationToken> token;
  std::vector<int> signals;  // none: no signal source
  std::function<bool()> condition;
  absl::Duration condition_interval = absl::Seconds(1);
  std::string condition_name = "condition";
  std::vector<SourcePtr> sources;  // any others, combined
  std::optional<Cancelable> parent;
  // Registry, scheduler, metadata... (`id` and `parent` are ignored: each
  // call needs a fresh id, and the parent is held above.)
  CancelableOptions options;

  // A new scope with every source of this spec.
  Cancelable Make() const;
};

template <typename F>
auto Cancellable(ScopeSpec spec, F fn) {
  return [spec = std::move(spec), fn = std::move(fn)](auto&&... args) mutable {
    Cancelable scope = spec.Make();
    return scope.Run([&](Cancelable& self) {
      if constexpr (std::is_invocable_v<F&, Cancelable&, decltype(args)...>) {
        return internal::CallAsResult(fn, self, std::forward<decltype(args)>(args)...);
      } else {
        return internal::CallAsResult(fn, std::forward<decltype(args)>(args)...);
      }
    });
  };
}

// Runs `fn` now under a timeout: its result, or DEADLINE_EXCEEDED if it gave
// up because the timeout fired.
template <typename F>
auto RunWithTimeout(absl::Duration timeout, F fn, CancelableOptions options = {}) {
  return Cancelable::WithTimeout(timeout, std::move(options)).Run(std::move(fn));
}

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_DECORATOR_H_
