// EventLog: the numbered history of what happened to operations, for Watch.
//
// Every change (registered, progress, cancel requested, finished, lost) is
// appended with the next sequence number and a snapshot of the operation. The
// last `retain` events are kept, so a watcher that reconnects can resume from
// the last sequence it saw.
//
//   auto sub = log.Subscribe(/*replay_after=*/last_seen,
//       [&](uint64_t current) { SendStart(current); },
//       [&](const Event& e) { Send(e); });   // replayed, then live
//
// Thread-safety: thread-safe. Subscriber callbacks run with the log's lock
// held, in sequence order: they must only queue the event, never block or
// call back into the log. Destroying a subscription unsubscribes.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_EVENT_LOG_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_EVENT_LOG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/core/operation.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable::daemon {

// kResync and kState are never logged: a Watch whose resume point was lost
// sends a resync, then the state of each live operation, then new events.
enum class EventType {
  kRegistered,
  kProgress,
  kCancelRequested,
  kFinished,
  kLost,
  kResync,
  kState
};
absl::string_view ToString(EventType type);

struct Event {
  uint64_t sequence = 0;
  EventType type = EventType::kRegistered;
  absl::Time time;
  std::shared_ptr<const Operation> operation;  // right after the event
};

class EventLog {
 public:
  explicit EventLog(size_t retain = 65536);

  uint64_t Append(EventType type, std::shared_ptr<const Operation> snapshot, absl::Time time);
  // Numbers the next event `sequence + 1`, continuing the previous run's
  // numbering (epoch `previous_epoch`); `exact` when that run stopped cleanly
  // at `sequence` (so a watcher that saw it lost nothing). Before the first
  // Append.
  void ContinueFrom(uint32_t previous_epoch, uint64_t sequence, bool exact);
  // Whether a watcher that saw up to `sequence` of epoch `epoch` (0:
  // unknown) can be resumed from this log without a loss: the same run's
  // events still retained, or the previous run's exact end.
  bool CanResume(uint32_t epoch, uint32_t current_epoch, uint64_t sequence) const;
  uint64_t current_sequence() const;

  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class EventLog;
    Subscription(EventLog* log, uint64_t id) : log_(log), id_(id) {}
    EventLog* const log_;
    const uint64_t id_;
  };

  // Calls on_start(current sequence), then on_event for every retained event
  // after `replay_after` (none when it is nullopt), then for each new event.
  // OUT_OF_RANGE when events after `replay_after` were already dropped, or
  // when it is ahead of the current sequence.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      std::optional<uint64_t> replay_after, const std::function<void(uint64_t)>& on_start,
      std::function<void(const Event&)> on_event);

 private:
  const size_t retain_;
  mutable internal::Mutex mu_;
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t previous_epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<uint64_t> previous_end_ ABSL_GUARDED_BY(mu_);  // exact end of that run
  std::deque<Event> events_ ABSL_GUARDED_BY(mu_);              // oldest first
  uint64_t next_subscriber_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, std::function<void(const Event&)>> subscribers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_EVENT_LOG_H_
