// Clock: where the library reads the time, so tests can replace it.
//
// Everything that schedules (the Scheduler, and through it every timeout and
// condition poll) reads time from a Clock. Production code uses
// `Clock::Real()`; tests use a FakeClock and move time by hand:
//
//   FakeClock clock;
//   Scheduler scheduler(clock);
//   auto op = Cancelable::WithTimeout(absl::Seconds(5), {.scheduler = &scheduler});
//   ... op.Enter() ...
//   clock.Advance(absl::Seconds(5));   // the timeout fires now, not in 5 s
//
// Thread-safety: all methods are thread-safe.
#ifndef HOTHER_CANCELABLE_CLOCK_H_
#define HOTHER_CANCELABLE_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable {

class Clock {
 public:
  virtual ~Clock() = default;

  virtual absl::Time Now() const = 0;

  // The real (wall) time until which a thread waiting for clock time `t` may
  // sleep before it must look again: `t` for the real clock; the infinite
  // future for a fake clock, whose waiters are woken by OnAdvance instead.
  virtual absl::Time WakeTimeFor(absl::Time t) const { return t; }

  // Calls `fn` after each change of a fake clock's time (never for the real
  // clock). Destroying the subscription unsubscribes; after its destructor
  // returns, `fn` is not called again. `fn` must not call back into the clock.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };
  [[nodiscard]] virtual std::unique_ptr<Subscription> OnAdvance(std::function<void()> fn);

  // The process's real clock (absl::Now()).
  static Clock& Real();
};

// A clock that moves only when told to. Starts at the given time.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'000'000'000));

  absl::Time Now() const override;
  absl::Time WakeTimeFor(absl::Time) const override { return absl::InfiniteFuture(); }
  std::unique_ptr<Subscription> OnAdvance(std::function<void()> fn) override;

  void Advance(absl::Duration d);
  void SetTime(absl::Time t);

 private:
  class FakeSubscription;
  void Notify() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // TRICKY: Now() must not take mu_: a scheduler reads the time under its own
  // lock, while Advance calls subscribers (which take that lock) under mu_.
  std::atomic<int64_t> now_ns_;  // since the Unix epoch

  mutable internal::Mutex mu_;
  std::vector<FakeSubscription*> subscribers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_CLOCK_H_
