#include "daemon/service/watch_reactor.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/service/convert.h"
#include "daemon/service/raw_message.h"
#include "daemon/service/validate.h"
#include "hother/cancelable/internal/status_macros.h"

namespace hother::cancelable::daemon {

WatcherSet::WatcherSet(size_t max_watchers)
    : max_watchers_(max_watchers), thread_([this] { FanOutLoop(); }) {}

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
  if (watchers_.size() >= max_watchers_) return nullptr;
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
                           grpc::CallbackServerContext* context,
                           const grpc::ByteBuffer& raw_request)
    : state_(state), watchers_(watchers), writes_(this, context, &state.scheduler) {
  membership_ = watchers_.Join(this);
  if (membership_ == nullptr) {
    End(ToGrpc(absl::ResourceExhaustedError(absl::StrCat("the daemon serves its maximum of ",
                                                         watchers_.max_watchers(),
                                                         " watchers (--max-watchers)"))));
    return;
  }
  if (absl::Status started = Start(raw_request); !started.ok()) End(ToGrpc(started));
}

absl::Status WatchReactor::Start(const grpc::ByteBuffer& raw_request) {
  CANCELABLE_RETURN_IF_ERROR(state_.Serving());
  pb::WatchRequest request;
  CANCELABLE_RETURN_IF_ERROR(Decode(raw_request, &request));
  CANCELABLE_RETURN_IF_ERROR(ValidateWatchRequest(request));
  CANCELABLE_ASSIGN_OR_RETURN(filter_, FromProto(request.filter(), "filter"));
  // start_sequence N replays from N on; from_sequence N after N (or, when
  // those events are lost, a RESYNC and the current state); neither, nothing.
  std::optional<uint64_t> replay_after;
  bool resync = false;
  if (request.start_sequence() > 0) {
    replay_after = request.start_sequence() - 1;
  } else if (request.from_sequence() > 0) {
    resync =
        !state_.events.CanResume(request.epoch(), state_.graph.epoch(), request.from_sequence());
    if (!resync) replay_after = request.from_sequence();
  }
  const uint32_t epoch = state_.graph.epoch();
  CANCELABLE_ASSIGN_OR_RETURN(
      subscription_, state_.events.Subscribe(
                         replay_after,
                         [&](uint64_t current) {
                           pb::WatchEvent start;
                           start.set_sequence(current);
                           start.set_type(pb::WATCH_EVENT_TYPE_START);
                           start.set_epoch(epoch);
                           ToProto(state_.clock.Now(), start.mutable_time());
                           writes_.Push(start);
                           if (!resync) return;
                           internal::MutexLock lock(&pending_mu_);
                           holding_ = true;
                           pending_.push_back(Event{current, EventType::kResync, state_.clock.Now(),
                                                    std::make_shared<const Operation>()});
                           pending_bytes_ += kEventWeight;
                         },
                         [this](const Event& event) { OnEvent(event); }));
  if (resync) QueueState();
  return absl::OkStatus();
}

void WatchReactor::QueueState() {
  std::deque<Event> state;
  size_t bytes = 0;
  uint64_t sequence = 0;
  std::string page_token;
  do {
    absl::StatusOr<OperationGraph::Page> page = state_.graph.List(filter_, 1000, page_token);
    if (!page.ok()) break;
    const absl::Time now = state_.clock.Now();
    for (Operation& op : page->operations) {
      if (IsFinished(op.status)) continue;
      bytes += kEventWeight + op.identity->weight;
      state.push_back(Event{sequence, EventType::kState, now,
                            std::make_shared<const Operation>(std::move(op))});
    }
    page_token = page->next_page_token;
  } while (!page_token.empty());
  {
    internal::MutexLock lock(&pending_mu_);
    // Right after the RESYNC, which is first: nothing was drained while held.
    const uint64_t at = pending_.empty() ? 0 : pending_.front().sequence;
    for (Event& e : state) e.sequence = at;
    pending_.insert(pending_.empty() ? pending_.end() : pending_.begin() + 1,
                    std::make_move_iterator(state.begin()), std::make_move_iterator(state.end()));
    pending_bytes_ += bytes;
    if (pending_bytes_ + writes_.bytes() > state_.limits.watch_queue_bytes &&
        fell_behind_at_ == 0) {
      fell_behind_at_ = at;
    }
    holding_ = false;
  }
  watchers_.Wake(this);
}

void WatchReactor::OnWriteDone(bool ok) {
  writes_.WriteDone(ok);
  {
    internal::MutexLock lock(&pending_mu_);
    if (!waiting_for_reads_ || writes_.bytes() >= kWatchWriteBytes) return;
    waiting_for_reads_ = false;
  }
  watchers_.Wake(this);
}

void WatchReactor::OnEvent(const Event& event) {
  if (!filter_.Matches(*event.operation)) return;
  {
    internal::MutexLock lock(&pending_mu_);
    if (fell_behind_at_ != 0) return;  // ending: nothing more is queued
    const size_t weight = kEventWeight + event.operation->identity->weight;
    if (pending_.size() + writes_.size() >= state_.limits.watch_queue_limit ||
        pending_bytes_ + writes_.bytes() + weight > state_.limits.watch_queue_bytes) {
      fell_behind_at_ = event.sequence;
    } else {
      pending_.push_back(event);
      pending_bytes_ += weight;
    }
  }
  watchers_.Wake(this);
}

void WatchReactor::Drain() {
  // One event at a time off the front: a watcher whose client reads slowly
  // takes a few per write it completes, and the rest never moves.
  for (;;) {
    Event event;
    uint64_t fell_behind_at = 0;
    {
      internal::MutexLock lock(&pending_mu_);
      fell_behind_at = fell_behind_at_;
      if (holding_) return;  // QueueState wakes us
      if (fell_behind_at == 0) {
        if (pending_.empty()) return;
        if (writes_.bytes() >= kWatchWriteBytes) {
          waiting_for_reads_ = true;  // OnWriteDone wakes us once the client reads
          return;
        }
        event = std::move(pending_.front());
        pending_.pop_front();
        pending_bytes_ -= kEventWeight + event.operation->identity->weight;
      }
    }
    if (fell_behind_at != 0) {
      // What waits unconverted (a client that does not read) is dropped at once.
      writes_.Abort(ToGrpc(absl::ResourceExhaustedError(
          absl::StrCat("watcher fell behind by more than ", state_.limits.watch_queue_limit,
                       " events or ", state_.limits.watch_queue_bytes,
                       " bytes (--watch-queue-bytes); resume with from_sequence set to the last "
                       "sequence received (before ",
                       fell_behind_at, ")"))));
      return;
    }
    pb::WatchEvent out;
    out.set_sequence(event.sequence);
    out.set_type(ToProto(event.type));
    ToProto(event.time, out.mutable_time());
    if (event.type == EventType::kResync) {
      out.set_epoch(state_.graph.epoch());
    } else {
      ToProto(*event.operation, event.time, out.mutable_operation());
    }
    if (!writes_.Push(out)) return;  // finishing
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
