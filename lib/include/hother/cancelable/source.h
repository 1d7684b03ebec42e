// Source: something that can cancel a scope (a timeout, a signal, a polled
// condition, a combination, or your own).
//
// A Source is an immutable description, shared by pointer; a scope starts it
// when entered and stops it when left, so one description serves any number
// of scopes (and each call of a wrapped function). Starting returns a
// SourceWatch; destroying the watch stops watching, and after its destructor
// returns the source never fires again. Every source fires into the scope's
// one token, so a timeout is seen by Check(), children and waits exactly like
// a manual cancel.
//
//   class FileGoneSource : public Source {
//    public:
//     std::string name() const override { return "file_gone"; }
//     absl::StatusOr<std::unique_ptr<SourceWatch>> Start(
//         const SourceEnv& env, FireFn fire) const override {
//       return WatchOwning(env.scheduler->Every(absl::Seconds(1), [fire] {
//         if (std::filesystem::exists("/tmp/flag")) return true;
//         fire(CancelReason::kCondition, "flag file removed");
//         return false;
//       }));
//     }
//   };
//
// Thread-safety: a Source is immutable; `fire` may be called from any thread,
// any number of times (the first call wins).
#ifndef HOTHER_CANCELABLE_SOURCE_H_
#define HOTHER_CANCELABLE_SOURCE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hother/cancelable/cancel_reason.h"

namespace hother::cancelable {

class Scheduler;
class SignalWatcher;

// What a starting source may use.
struct SourceEnv {
  Scheduler* scheduler = nullptr;
  SignalWatcher* signals = nullptr;
};

// Cancels the scope the source was started for.
using FireFn = std::function<void(CancelReason reason, std::string message)>;

// Stops watching when destroyed.
class SourceWatch {
 public:
  virtual ~SourceWatch() = default;
};

class Source {
 public:
  virtual ~Source() = default;

  // A short name, used in messages ("timeout", "signal", "condition:disk").
  virtual std::string name() const = 0;

  // INVALID_ARGUMENT when the description cannot work (a non-positive
  // timeout, no sources in a composite). Scopes check this on construction.
  virtual absl::Status Validate() const { return absl::OkStatus(); }

  // Begins watching. Errors: whatever Validate returns, or the failure to
  // install what the source needs (a signal handler).
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<SourceWatch>> Start(const SourceEnv& env,
                                                                           FireFn fire) const = 0;
};

using SourcePtr = std::shared_ptr<const Source>;

// A watch that owns `handle` (a Scheduler::Timer, a subscription, a vector of
// watches...) and releases it when destroyed.
template <typename Handle>
std::unique_ptr<SourceWatch> WatchOwning(Handle handle) {
  struct Owning : SourceWatch {
    explicit Owning(Handle h) : held(std::move(h)) {}
    Handle held;
  };
  return std::make_unique<Owning>(std::move(handle));
}

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_SOURCE_H_
