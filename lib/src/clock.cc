#include "hother/cancelable/clock.h"

#include <algorithm>
#include <utility>

namespace hother::cancelable {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

std::unique_ptr<Clock::Subscription> Clock::OnAdvance(std::function<void()>) {
  return std::make_unique<Subscription>();
}

Clock& Clock::Real() {
  static RealClock* const clock = new RealClock();
  return *clock;
}

class FakeClock::FakeSubscription : public Clock::Subscription {
 public:
  FakeSubscription(FakeClock* clock, std::function<void()> fn)
      : clock_(clock), fn_(std::move(fn)) {}
  ~FakeSubscription() override {
    internal::MutexLock lock(&clock_->mu_);
    auto& subs = clock_->subscribers_;
    subs.erase(std::remove(subs.begin(), subs.end(), this), subs.end());
  }
  void Call() { fn_(); }

 private:
  FakeClock* const clock_;
  const std::function<void()> fn_;
};

FakeClock::FakeClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}

absl::Time FakeClock::Now() const {
  return absl::FromUnixNanos(now_ns_.load(std::memory_order_acquire));
}

std::unique_ptr<Clock::Subscription> FakeClock::OnAdvance(std::function<void()> fn) {
  auto sub = std::make_unique<FakeSubscription>(this, std::move(fn));
  internal::MutexLock lock(&mu_);
  subscribers_.push_back(sub.get());
  return sub;
}

void FakeClock::Advance(absl::Duration d) {
  internal::MutexLock lock(&mu_);
  now_ns_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_acq_rel);
  Notify();
}

void FakeClock::SetTime(absl::Time t) {
  internal::MutexLock lock(&mu_);
  now_ns_.store(absl::ToUnixNanos(t), std::memory_order_release);
  Notify();
}

// TRICKY: subscribers are called with mu_ held, so a subscription cannot be
// destroyed while it is being called. Lock order: clock, then subscriber.
void FakeClock::Notify() {
  for (FakeSubscription* sub : subscribers_) sub->Call();
}

}  // namespace hother::cancelable
