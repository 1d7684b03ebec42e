// Scheduler: the one place in a process where timers fire and conditions are
// polled, so no source or scope needs a thread of its own.
//
// Two threads per scheduler, whatever the number of scopes: the timer thread
// runs one-shot timers (timeouts), which must be quick; the poll thread runs
// periodic polls (condition predicates, resource sampling), which may block,
// so a slow predicate never delays a timeout. Time comes from the injected
// Clock; with a FakeClock, timers fire when the test advances it.
//
//   Scheduler::Timer t = Scheduler::Default().After(absl::Seconds(1), [] { ... });
//   Scheduler::Timer p = scheduler.Every(absl::Milliseconds(100), [] {
//     return !CheckSomething();            // false stops polling
//   });
//
// Handles are RAII: destroying one cancels its timer; if its function is
// running on a scheduler thread, the destructor waits for it to return, unless
// it is that function itself destroying its own handle.
//
// Thread-safety: all methods are thread-safe. Every handle must be destroyed
// before its scheduler.
#ifndef HOTHER_CANCELABLE_SCHEDULER_H_
#define HOTHER_CANCELABLE_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable {

class Scheduler {
 public:
  explicit Scheduler(Clock& clock = Clock::Real());
  ~Scheduler();

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The process-wide scheduler on the real clock, created on first use.
  static Scheduler& Default();

  Clock& clock() const { return clock_; }

  class Timer {
   public:
    Timer() = default;
    Timer(Timer&& other) noexcept
        : scheduler_(std::exchange(other.scheduler_, nullptr)), id_(other.id_) {}
    Timer& operator=(Timer&& other) noexcept {
      Reset();
      scheduler_ = std::exchange(other.scheduler_, nullptr);
      id_ = other.id_;
      return *this;
    }
    ~Timer() { Reset(); }
    // Cancels now (see the class comment for waiting).
    void Reset();
    bool active() const { return scheduler_ != nullptr; }

   private:
    friend class Scheduler;
    Timer(Scheduler* scheduler, uint64_t id) : scheduler_(scheduler), id_(id) {}
    Scheduler* scheduler_ = nullptr;
    uint64_t id_ = 0;
  };

  // Runs `fn` once on the timer thread at clock time `when` (at once if past).
  [[nodiscard]] Timer At(absl::Time when, absl::AnyInvocable<void()> fn);
  [[nodiscard]] Timer After(absl::Duration delay, absl::AnyInvocable<void()> fn) {
    return At(clock_.Now() + delay, std::move(fn));
  }

  // Runs `fn` on the poll thread now, then `interval` after each run ends,
  // until `fn` returns false or the handle is destroyed. Runs never overlap.
  [[nodiscard]] Timer Every(absl::Duration interval, absl::AnyInvocable<bool()> fn);

  // For tests: timers and polls scheduled and not cancelled.
  size_t PendingForTest() const;

 private:
  struct Entry {
    uint64_t id = 0;
    absl::Duration interval;  // zero: one-shot timer
    absl::AnyInvocable<bool()> fn;
  };
  using Key = std::pair<absl::Time, uint64_t>;

  Timer Add(absl::Time when, Entry entry);
  void Cancel(uint64_t id);
  void TimerLoop();
  void PollLoop();
  // Runs `entry` with mu_ released, then reschedules or drops it.
  void RunLocked(std::unique_ptr<Entry> entry, uint64_t* running_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock& clock_;

  mutable internal::Mutex mu_;
  internal::CondVar timer_cv_;  // earlier deadline, time advanced, or stopping
  internal::CondVar poll_cv_;   // a poll became due, or stopping
  internal::CondVar done_cv_;   // a running function returned
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The clock time the timer thread sleeps until (infinite past while awake):
  // adding a later timer need not wake it.
  absl::Time wake_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::btree_map<Key, std::unique_ptr<Entry>> timeline_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, absl::Time> when_by_id_ ABSL_GUARDED_BY(mu_);
  std::deque<std::unique_ptr<Entry>> due_polls_ ABSL_GUARDED_BY(mu_);
  uint64_t running_timer_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t running_poll_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<uint64_t> cancelled_while_running_ ABSL_GUARDED_BY(mu_);

  std::unique_ptr<Clock::Subscription> clock_subscription_;
  std::thread timer_thread_;
  std::thread poll_thread_;
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_SCHEDULER_H_
