// Cancelable: an operation that can be cancelled from many sources.
//
// A scope bundles a token, the sources that may cancel it (timeouts, signals,
// conditions, other tokens, a parent), callbacks, progress and a context that
// records how the operation ended. Run a body in it:
//
//   auto op = Cancelable::WithTimeout(absl::Seconds(5), {.name = "fetch"})
//                 .AddSource(SignalSource({SIGTERM}));
//   absl::StatusOr<std::string> body = op.Run([&](Cancelable& self) {
//     return Fetch(url, self.token());          // Fetch checks the token
//   });
//   // op.context().status: completed | cancelled | timeout | failed
//
// Lifecycle: pending until entered; on Enter() (or Run) it becomes running,
// starts its sources, registers itself (if asked) and becomes the thread's
// CurrentOperation(); on Exit() it stops its sources, decides its final
// status once, fires callbacks, moves to the registry's history and restores
// the previous current operation. Leaving without entering is harmless;
// entering twice is refused (FAILED_PRECONDITION).
//
// Final status, decided by the outcome given to Exit (Run passes the body's):
//  - OK: completed. If the token was cancelled meanwhile (the body swallowed
//    it), the cancellation stays visible in the context.
//  - CANCELLED / DEADLINE_EXCEEDED (or a CancelledError thrown by the body):
//    timeout when the token's reason is timeout, otherwise cancelled, with the
//    token's reason and message; if the token was not cancelled, the body's
//    own reason (from the status) and message are recorded.
//  - any other error (or exception): failed, with the error text; error
//    callbacks fire, and an exception propagates out of Run.
//
// Every source cancels the scope's one token; a parent's cancellation, of any
// origin, reaches each child with reason parent and the parent's record as the
// cause. A scope is a handle: copies refer to the same operation.
//
// Thread-safety: every method may be called from any thread, except that
// Enter/Exit set the calling thread's current operation, so call them on the
// thread that runs the body.
#ifndef HOTHER_CANCELABLE_CANCELABLE_H_
#define HOTHER_CANCELABLE_CANCELABLE_H_

#include <any>
#include <csignal>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/operation_context.h"
#include "hother/cancelable/source.h"
#include "hother/cancelable/token.h"

namespace hother::cancelable {

class Cancelable;
class OperationRegistry;
class Scheduler;
class SignalWatcher;

namespace internal {
class ScopeState;
}  // namespace internal

struct CancelableOptions {
  std::string id;    // empty: a fresh UUID; otherwise kept verbatim
  std::string name;  // empty: the factory's default name
  const Cancelable* parent = nullptr;
  Metadata metadata;
  // Register in `registry` (default OperationRegistry::Global()) while running.
  bool register_globally = false;
  OperationRegistry* registry = nullptr;
  Scheduler* scheduler = nullptr;           // default Scheduler::Default()
  SignalWatcher* signal_watcher = nullptr;  // default SignalWatcher::Default()
};

// How Cancelable::Stream iterates (see stream.h).
struct StreamOptions {
  size_t report_interval = 0;   // report "Processed N items" every N (0: never)
  bool buffer_partial = false;  // keep the last `buffer_limit` items
  size_t buffer_limit = 1000;
};

template <typename R>
class CancelableStream;
template <typename R>
class ChunkedCancelableStream;

using StatusCallback = std::function<void(const OperationContext&)>;
using ErrorCallback = std::function<void(const OperationContext&, const absl::Status& error)>;
using ProgressCallback = std::function<void(const std::string& operation_id,
                                            const std::string& message, const Metadata& metadata)>;

namespace internal {
// The result type Run and Wrap give for a callable returning R.
template <typename R>
struct ResultOf {
  using type = absl::StatusOr<R>;
};
template <>
struct ResultOf<void> {
  using type = absl::Status;
};
template <>
struct ResultOf<absl::Status> {
  using type = absl::Status;
};
template <typename T>
struct ResultOf<absl::StatusOr<T>> {
  using type = absl::StatusOr<T>;
};
template <typename R>
using ResultOfT = typename ResultOf<std::decay_t<R>>::type;

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Calls fn and normalises what it returns into ResultOfT.
template <typename F, typename... Args>
auto CallAsResult(F& fn, Args&&... args) -> ResultOfT<std::invoke_result_t<F&, Args...>> {
  using R = std::invoke_result_t<F&, Args...>;
  if constexpr (std::is_void_v<R>) {
    std::invoke(fn, std::forward<Args>(args)...);
    return absl::OkStatus();
  } else {
    return std::invoke(fn, std::forward<Args>(args)...);
  }
}
}  // namespace internal

// Holds a scope's shield while alive (see Cancelable::Shield).
class ShieldGuard {
 public:
  ShieldGuard(ShieldGuard&& other) noexcept : state_(std::move(other.state_)) {}
  ShieldGuard& operator=(ShieldGuard&&) = delete;
  ~ShieldGuard();

 private:
  friend class Cancelable;
  explicit ShieldGuard(std::shared_ptr<internal::ScopeState> state);
  std::shared_ptr<internal::ScopeState> state_;
};

class Cancelable {
 public:
  // A scope with no sources yet (cancelled by Cancel(), tokens, a parent).
  explicit Cancelable(CancelableOptions options = {});

  // --- Factories (each gives a default name when options.name is empty). ---

  // "timeout_<seconds>s". A non-positive timeout makes Enter fail with
  // INVALID_ARGUMENT "Timeout must be positive, got <s>s".
  static Cancelable WithTimeout(absl::Duration timeout, CancelableOptions options = {});
  // "deadline".
  static Cancelable WithDeadline(absl::Time deadline, CancelableOptions options = {});
  // "token_based": cancelled when `token` is, with its reason and message.
  static Cancelable WithToken(const CancellationToken& token, CancelableOptions options = {});
  // "signal_based".
  static Cancelable WithSignal(std::vector<int> signals = {SIGINT, SIGTERM},
                               CancelableOptions options = {});
  // "condition_based".
  static Cancelable WithCondition(std::function<bool()> predicate, absl::Duration interval,
                                  std::string condition_name = "condition",
                                  CancelableOptions options = {});

  // Adds a source, started on entry. Chainable. An invalid source makes Enter
  // fail with its Validate() error.
  Cancelable& AddSource(SourcePtr source) &;
  Cancelable&& AddSource(SourcePtr source) &&;

  // Any-of: a new scope "combined_<name>" with the sources of this scope and
  // of `others`, cancelled when any of their tokens is (keeping the original
  // reason and message). Cancelling it does not cancel the components.
  Cancelable Combine(const std::vector<Cancelable>& others) const;

  // --- Callbacks (chainable; a throwing callback is caught and logged). ---
  Cancelable& OnStart(StatusCallback fn);     // sees running
  Cancelable& OnComplete(StatusCallback fn);  // completed
  Cancelable& OnCancel(StatusCallback fn);    // cancelled or timeout
  Cancelable& OnError(ErrorCallback fn);      // failed
  Cancelable& OnProgress(ProgressCallback fn);

  // --- Lifecycle. ---
  [[nodiscard]] absl::Status Enter();
  void Exit(const absl::Status& outcome = absl::OkStatus());

  // Enter, run `fn` (with this scope when it takes a Cancelable&), Exit with
  // its outcome, return its result: absl::Status for fn returning void or
  // Status, absl::StatusOr<T> otherwise. If Enter fails, fn is not called and
  // the error is returned.
  template <typename F>
  auto Run(F&& fn);

  // --- Cancellation. ---

  // Cancels the token (unless a shield holds it back) and, by default, every
  // child, with reason parent. An empty message takes the reason's default.
  // True if this call was the first cancel.
  bool Cancel(CancelReason reason = CancelReason::kManual, std::string message = "",
              bool propagate_to_children = true) const;

  // Cancels with a complete record made elsewhere (the daemon's, with its
  // reason, actor and cause chain), through the same gate as Cancel: a held
  // shield holds it back. True if this call was the first cancel.
  bool CancelWithRecord(std::shared_ptr<const CancellationDetails> record) const;

  const CancellationToken& token() const;
  bool IsCancelled() const { return token().IsCancelled(); }
  absl::Status Check() const { return token().Check(); }

  // While the guard lives, cancellations arriving at this scope (sources,
  // parent, Cancel) are held: the token stays active, so Check() passes and
  // waits do not wake. On release of the outermost guard, a held cancellation
  // is delivered at once. A cancellation that happened before the shield is
  // not undone. Status shielded while held.
  [[nodiscard]] ShieldGuard Shield() const;

  // --- Progress, metadata, context. ---

  // Calls progress callbacks in order, before or after entering.
  void ReportProgress(std::string message, Metadata metadata = {}) const;
  void SetMetadata(std::string key, std::string value) const;
  void SetPartialResult(std::any result) const;
  OperationContext context() const;
  const std::string& id() const;
  const std::string& name() const;

  // --- Running work. ---

  // A callable that calls fn(args...) only if this scope is not cancelled;
  // otherwise returns the cancellation status without calling it.
  template <typename F>
  auto Wrap(F fn) const;

  // Runs fn(args...) on a new thread whose current operation is this scope.
  // The returned std::future's destructor waits for the thread.
  template <typename F, typename... Args>
  auto RunInThread(F fn, Args... args) const;

  // Iterates `range`, checking cancellation before each pull (see stream.h).
  template <typename R>
  auto Stream(R&& range, StreamOptions options = {}) const;
  // Yields vectors of `chunk_size` items, and a final shorter one.
  template <typename R>
  auto ChunkedStream(R&& range, size_t chunk_size) const;

  friend bool operator==(const Cancelable& a, const Cancelable& b) { return a.state_ == b.state_; }

 private:
  friend std::optional<Cancelable> CurrentOperation();
  friend class CurrentOperationScope;
  friend class internal::ScopeState;
  explicit Cancelable(std::shared_ptr<internal::ScopeState> state) : state_(std::move(state)) {}

  std::shared_ptr<internal::ScopeState> state_;
};

// The innermost entered scope of this thread, or nullopt.
std::optional<Cancelable> CurrentOperation();

// Makes `op` the current operation of this thread while alive (used by
// RunInThread; useful for thread pools that run work for a scope).
class CurrentOperationScope {
 public:
  explicit CurrentOperationScope(const Cancelable& op);
  ~CurrentOperationScope();
  CurrentOperationScope(const CurrentOperationScope&) = delete;
  CurrentOperationScope& operator=(const CurrentOperationScope&) = delete;

 private:
  std::shared_ptr<internal::ScopeState> op_;  // alive while current
  std::weak_ptr<internal::ScopeState> previous_;
};

// Enters `op` on construction and exits it on destruction: with the outcome
// given to set_outcome() (OK by default), or UNKNOWN if left by an exception.
//
//   ScopedEnter entered(op);
//   if (!entered.status().ok()) return entered.status();
class ScopedEnter {
 public:
  explicit ScopedEnter(Cancelable& op)
      : op_(op), status_(op.Enter()), exceptions_(std::uncaught_exceptions()) {}
  ~ScopedEnter() {
    if (!status_.ok()) return;
    op_.Exit(std::uncaught_exceptions() > exceptions_
                 ? absl::UnknownError("scope left by an exception")
                 : outcome_);
  }
  ScopedEnter(const ScopedEnter&) = delete;
  ScopedEnter& operator=(const ScopedEnter&) = delete;

  const absl::Status& status() const { return status_; }
  void set_outcome(absl::Status outcome) { outcome_ = std::move(outcome); }

 private:
  Cancelable& op_;
  const absl::Status status_;
  const int exceptions_;
  absl::Status outcome_;
};

// --- Template definitions. ---

template <typename F>
auto Cancelable::Run(F&& fn) {
  auto call = [&] {
    if constexpr (std::is_invocable_v<F&, Cancelable&>) {
      return internal::CallAsResult(fn, *this);
    } else {
      return internal::CallAsResult(fn);
    }
  };
  using Result = decltype(call());
  if (absl::Status entered = Enter(); !entered.ok()) return Result(entered);
  try {
    Result result = call();
    Exit(internal::StatusOf(result));
    return result;
  } catch (const CancelledError& e) {
    absl::Status status = e.ToStatus();
    Exit(status);
    return Result(status);
  } catch (const std::exception& e) {
    Exit(absl::UnknownError(e.what()));
    throw;
  } catch (...) {
    Exit(absl::UnknownError("unknown exception"));
    throw;
  }
}

template <typename F>
auto Cancelable::Wrap(F fn) const {
  return [self = *this, fn = std::move(fn)](auto&&... args) mutable {
    using Result = decltype(internal::CallAsResult(fn, std::forward<decltype(args)>(args)...));
    if (absl::Status status = self.Check(); !status.ok()) return Result(status);
    return internal::CallAsResult(fn, std::forward<decltype(args)>(args)...);
  };
}

template <typename F, typename... Args>
auto Cancelable::RunInThread(F fn, Args... args) const {
  return std::async(std::launch::async,
                    [self = *this, fn = std::move(fn), ... args = std::move(args)]() mutable {
                      CurrentOperationScope current(self);
                      return std::invoke(fn, std::move(args)...);
                    });
}

}  // namespace hother::cancelable

#include "hother/cancelable/stream.h"  // IWYU pragma: export

#endif  // HOTHER_CANCELABLE_CANCELABLE_H_
