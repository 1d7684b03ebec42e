#include "hother/cancelable/scheduler.h"

#include <algorithm>
#include <exception>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/log.h"

namespace hother::cancelable {

Scheduler::Scheduler(Clock& clock) : clock_(clock) {
  clock_subscription_ = clock_.OnAdvance([this] {
    internal::MutexLock lock(&mu_);
    timer_cv_.Signal();
  });
  timer_thread_ = std::thread([this] { TimerLoop(); });
  poll_thread_ = std::thread([this] { PollLoop(); });
}

Scheduler::~Scheduler() {
  {
    internal::MutexLock lock(&mu_);
    stopping_ = true;
    timer_cv_.SignalAll();
    poll_cv_.SignalAll();
  }
  timer_thread_.join();
  poll_thread_.join();
  clock_subscription_.reset();
}

Scheduler& Scheduler::Default() {
  // Never destroyed: scopes may outlive static destruction order.
  static Scheduler* const scheduler = new Scheduler(Clock::Real());
  return *scheduler;
}

Scheduler::Timer Scheduler::At(absl::Time when, absl::AnyInvocable<void()> fn) {
  Entry entry;
  entry.fn = [fn = std::move(fn)]() mutable {
    fn();
    return false;
  };
  return Add(when, std::move(entry));
}

Scheduler::Timer Scheduler::Every(absl::Duration interval, absl::AnyInvocable<bool()> fn) {
  Entry entry;
  entry.interval = std::max(interval, absl::Nanoseconds(1));
  entry.fn = std::move(fn);
  return Add(clock_.Now(), std::move(entry));
}

Scheduler::Timer Scheduler::Add(absl::Time when, Entry entry) {
  internal::MutexLock lock(&mu_);
  uint64_t id = next_id_++;
  entry.id = id;
  timeline_.emplace(Key{when, id}, std::make_unique<Entry>(std::move(entry)));
  when_by_id_[id] = when;
  if (when < wake_at_) timer_cv_.Signal();
  return Timer(this, id);
}

void Scheduler::Timer::Reset() {
  if (scheduler_ != nullptr) std::exchange(scheduler_, nullptr)->Cancel(id_);
}

void Scheduler::Cancel(uint64_t id) {
  // The function (and what it captured) is destroyed after the lock is
  // released: its captures may own handles of this scheduler.
  std::unique_ptr<Entry> dropped;
  internal::MutexLock lock(&mu_);
  if (auto it = when_by_id_.find(id); it != when_by_id_.end()) {
    auto node = timeline_.extract(Key{it->second, id});
    when_by_id_.erase(it);
    dropped = std::move(node.mapped());
    mu_.Unlock();
    dropped.reset();
    mu_.Lock();
    return;
  }
  auto queued = std::find_if(due_polls_.begin(), due_polls_.end(),
                             [id](const auto& e) { return e->id == id; });
  if (queued != due_polls_.end()) {
    dropped = std::move(*queued);
    due_polls_.erase(queued);
    mu_.Unlock();
    dropped.reset();
    mu_.Lock();
    return;
  }
  bool on_timer = running_timer_ == id;
  bool on_poll = running_poll_ == id;
  if (!on_timer && !on_poll) return;  // already ran, or stopped itself
  cancelled_while_running_.insert(id);
  // A function destroying its own handle must not wait for itself.
  std::thread::id self = std::this_thread::get_id();
  if ((on_timer && self == timer_thread_.get_id()) || (on_poll && self == poll_thread_.get_id())) {
    return;
  }
  while (running_timer_ == id || running_poll_ == id) done_cv_.Wait(&mu_);
}

void Scheduler::RunLocked(std::unique_ptr<Entry> entry, uint64_t* running_id) {
  const uint64_t id = entry->id;
  *running_id = id;
  mu_.Unlock();
  bool again = false;
  try {
    again = entry->fn();
  } catch (const std::exception& e) {
    Log(LogLevel::kError, absl::StrCat("scheduled function threw: ", e.what()));
  } catch (...) {
    Log(LogLevel::kError, "scheduled function threw a non-exception");
  }
  mu_.Lock();
  const bool cancelled = cancelled_while_running_.erase(id) > 0;
  if (again && !cancelled && !stopping_) {
    absl::Time when = clock_.Now() + entry->interval;
    timeline_.emplace(Key{when, id}, std::move(entry));
    when_by_id_[id] = when;
    if (when < wake_at_) timer_cv_.Signal();
  } else {
    // TRICKY: destroy the function (and what it captured) outside the lock but
    // before Cancel may return, so its owner never races with the destruction.
    mu_.Unlock();
    entry.reset();
    mu_.Lock();
  }
  cancelled_while_running_.erase(id);  // a Cancel during the reset above
  *running_id = 0;
  done_cv_.SignalAll();
}

void Scheduler::TimerLoop() {
  internal::MutexLock lock(&mu_);
  while (!stopping_) {
    if (timeline_.empty()) {
      wake_at_ = absl::InfiniteFuture();
      timer_cv_.Wait(&mu_);
      wake_at_ = absl::InfinitePast();
      continue;
    }
    auto first = timeline_.begin();
    absl::Time when = first->first.first;
    if (when > clock_.Now()) {
      wake_at_ = when;
      timer_cv_.WaitWithDeadline(&mu_, clock_.WakeTimeFor(when));
      wake_at_ = absl::InfinitePast();
      continue;
    }
    std::unique_ptr<Entry> entry = std::move(first->second);
    timeline_.erase(first);
    when_by_id_.erase(entry->id);
    if (entry->interval > absl::ZeroDuration()) {
      due_polls_.push_back(std::move(entry));
      poll_cv_.Signal();
      continue;
    }
    RunLocked(std::move(entry), &running_timer_);
  }
}

void Scheduler::PollLoop() {
  internal::MutexLock lock(&mu_);
  while (!stopping_) {
    if (due_polls_.empty()) {
      poll_cv_.Wait(&mu_);
      continue;
    }
    std::unique_ptr<Entry> entry = std::move(due_polls_.front());
    due_polls_.pop_front();
    RunLocked(std::move(entry), &running_poll_);
  }
}

size_t Scheduler::PendingForTest() const {
  internal::MutexLock lock(&mu_);
  return timeline_.size() + due_polls_.size() + (running_timer_ != 0) + (running_poll_ != 0);
}

}  // namespace hother::cancelable
