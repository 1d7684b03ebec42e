#include "daemon/service/watch_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/service/convert.h"

namespace hother::cancelable::daemon {

void WatcherSet::Add(WatchReactor* watcher) {
  internal::MutexLock lock(&mu_);
  watchers_.insert(watcher);
}

void WatcherSet::Remove(WatchReactor* watcher) {
  internal::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

void WatcherSet::EndAll(const grpc::Status& status) {
  internal::MutexLock lock(&mu_);  // held: a watcher cannot be deleted meanwhile
  for (WatchReactor* watcher : watchers_) watcher->End(status);
}

WatchReactor::WatchReactor(DaemonState& state, WatcherSet& watchers,
                           const pb::WatchRequest& request)
    : state_(state), watchers_(watchers) {
  watchers_.Add(this);
  if (state_.draining.load()) {
    End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "canceld is shutting down"));
    return;
  }
  absl::StatusOr<OperationFilter> filter = FromProto(request.filter(), "filter");
  if (!filter.ok()) {
    End(ToGrpc(filter.status()));
    return;
  }
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
      [this, filter = *std::move(filter)](const Event& event) { OnEvent(filter, event); });
  if (!subscription.ok()) {
    End(ToGrpc(subscription.status()));
    return;
  }
  subscription_ = *std::move(subscription);
}

void WatchReactor::OnEvent(const OperationFilter& filter, const Event& event) {
  if (!filter.Matches(*event.operation)) return;
  if (writes_.size() >= state_.limits.watch_queue_limit) {
    End(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                     absl::StrCat("watcher fell behind by ", state_.limits.watch_queue_limit,
                                  " events; resume with from_sequence before ", event.sequence)));
    return;
  }
  pb::WatchEvent out;
  out.set_sequence(event.sequence);
  out.set_type(ToProto(event.type));
  ToProto(event.time, out.mutable_time());
  ToProto(*event.operation, event.time, out.mutable_operation());
  writes_.Push(std::move(out));
}

void WatchReactor::OnCancel() { End(grpc::Status::CANCELLED); }

void WatchReactor::OnDone() {
  // Unsubscribing takes the log's lock: no event callback runs after it.
  subscription_.reset();
  watchers_.Remove(this);
  delete this;
}

}  // namespace hother::cancelable::daemon
