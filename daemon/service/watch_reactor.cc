#include "daemon/service/watch_reactor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/service/convert.h"

namespace hother::cancelable::daemon {

WatcherSet::WatcherSet() : thread_([this] { FanOutLoop(); }) {}

WatcherSet::~WatcherSet() {
  {
    internal::MutexLock lock(&mu_);
    stop_ = true;
    changed_.SignalAll();
  }
  thread_.join();
}

std::unique_ptr<WatcherSet::Membership> WatcherSet::Join(WatchReactor* watcher) {
  internal::MutexLock lock(&mu_);
  watchers_.insert(watcher);
  return std::unique_ptr<Membership>(new Membership(this, watcher));
}

void WatcherSet::Remove(WatchReactor* watcher) {
  internal::MutexLock lock(&mu_);
  watchers_.erase(watcher);
  if (scheduled_.erase(watcher) > 0) {
    ready_.erase(std::remove(ready_.begin(), ready_.end(), watcher), ready_.end());
  }
  while (busy_ == watcher) changed_.Wait(&mu_);
}

void WatcherSet::EndAll(const grpc::Status& status) {
  internal::MutexLock lock(&mu_);  // held: a watcher cannot be deleted meanwhile
  for (WatchReactor* watcher : watchers_) watcher->End(status);
}

void WatcherSet::Wake(WatchReactor* watcher) {
  internal::MutexLock lock(&mu_);
  if (!scheduled_.insert(watcher).second) return;  // already due
  ready_.push_back(watcher);
  changed_.Signal();
}

void WatcherSet::FanOutLoop() {
  internal::MutexLock lock(&mu_);
  for (;;) {
    while (!stop_ && ready_.empty()) changed_.Wait(&mu_);
    if (stop_) return;
    WatchReactor* watcher = ready_.front();
    ready_.pop_front();
    scheduled_.erase(watcher);
    if (!watchers_.contains(watcher)) continue;
    busy_ = watcher;
    mu_.Unlock();
    watcher->Drain();
    mu_.Lock();
    busy_ = nullptr;
    changed_.SignalAll();
  }
}

WatchReactor::WatchReactor(DaemonState& state, WatcherSet& watchers,
                           const pb::WatchRequest& request)
    : state_(state), watchers_(watchers) {
  membership_ = watchers_.Join(this);
  if (state_.draining.load()) {
    End(ToGrpc(ShuttingDown()));
    return;
  }
  absl::StatusOr<OperationFilter> filter = FromProto(request.filter(), "filter");
  if (!filter.ok()) {
    End(ToGrpc(filter.status()));
    return;
  }
  filter_ = *std::move(filter);
  // start_sequence N replays from N on; from_sequence N after N; neither, nothing.
  std::optional<uint64_t> replay_after;
  if (request.start_sequence() > 0) {
    replay_after = request.start_sequence() - 1;
  } else if (request.from_sequence() > 0) {
    replay_after = request.from_sequence();
  }
  auto subscription = state_.events.Subscribe(
      replay_after,
      [this](uint64_t current) {
        pb::WatchEvent start;
        start.set_sequence(current);
        start.set_type(pb::WATCH_EVENT_TYPE_START);
        ToProto(state_.clock.Now(), start.mutable_time());
        writes_.Push(std::move(start));
      },
      [this](const Event& event) { OnEvent(event); });
  if (!subscription.ok()) {
    End(ToGrpc(subscription.status()));
    return;
  }
  subscription_ = *std::move(subscription);
}

void WatchReactor::OnEvent(const Event& event) {
  if (!filter_.Matches(*event.operation)) return;
  {
    internal::MutexLock lock(&pending_mu_);
    if (fell_behind_at_ != 0) return;  // ending: nothing more is queued
    if (pending_.size() + writes_.size() >= state_.limits.watch_queue_limit) {
      fell_behind_at_ = event.sequence;
    } else {
      pending_.push_back(event);
    }
  }
  watchers_.Wake(this);
}

void WatchReactor::Drain() {
  std::vector<Event> events;
  uint64_t fell_behind_at;
  {
    internal::MutexLock lock(&pending_mu_);
    events.swap(pending_);
    fell_behind_at = fell_behind_at_;
  }
  for (const Event& event : events) {
    pb::WatchEvent out;
    out.set_sequence(event.sequence);
    out.set_type(ToProto(event.type));
    ToProto(event.time, out.mutable_time());
    ToProto(*event.operation, event.time, out.mutable_operation());
    if (!writes_.Push(std::move(out))) return;  // finishing
  }
  if (fell_behind_at != 0) {
    End(ToGrpc(absl::ResourceExhaustedError(
        absl::StrCat("watcher fell behind by ", state_.limits.watch_queue_limit,
                     " events; resume with from_sequence before ", fell_behind_at))));
  }
}

void WatchReactor::OnCancel() { End(grpc::Status::CANCELLED); }

void WatchReactor::OnDone() {
  // Unsubscribing takes the log's lock: no event callback runs after it.
  subscription_.reset();
  membership_.reset();
  delete this;
}

}  // namespace hother::cancelable::daemon
