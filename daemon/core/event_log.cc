#include "daemon/core/event_log.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/internal/enum_names.h"

namespace hother::cancelable::daemon {
namespace {

constexpr std::array<std::pair<EventType, absl::string_view>, 7> kNames = {{
    {EventType::kRegistered, "registered"},
    {EventType::kProgress, "progress"},
    {EventType::kCancelRequested, "cancel_requested"},
    {EventType::kFinished, "finished"},
    {EventType::kLost, "lost"},
    {EventType::kResync, "resync"},
    {EventType::kState, "state"},
}};

}  // namespace

absl::string_view ToString(EventType type) { return internal::NameOf(kNames, type); }

EventLog::EventLog(size_t retain) : retain_(retain == 0 ? 1 : retain) {}

uint64_t EventLog::Append(EventType type, std::shared_ptr<const Operation> snapshot,
                          absl::Time time) {
  internal::MutexLock lock(&mu_);
  events_.push_back(Event{++sequence_, type, time, std::move(snapshot)});
  if (events_.size() > retain_) events_.pop_front();
  for (const auto& [id, fn] : subscribers_) fn(events_.back());
  return sequence_;
}

void EventLog::ContinueFrom(uint32_t previous_epoch, uint64_t sequence, bool exact) {
  internal::MutexLock lock(&mu_);
  if (!events_.empty()) return;
  sequence_ = std::max(sequence_, sequence);
  previous_epoch_ = previous_epoch;
  if (exact) previous_end_ = sequence;
}

bool EventLog::CanResume(uint32_t epoch, uint32_t current_epoch, uint64_t sequence) const {
  internal::MutexLock lock(&mu_);
  if (epoch != 0 && epoch != current_epoch) {
    return epoch == previous_epoch_ && previous_end_ == sequence;
  }
  const uint64_t oldest = events_.empty() ? sequence_ + 1 : events_.front().sequence;
  return sequence <= sequence_ && sequence + 1 >= oldest;
}

uint64_t EventLog::current_sequence() const {
  internal::MutexLock lock(&mu_);
  return sequence_;
}

absl::StatusOr<std::unique_ptr<EventLog::Subscription>> EventLog::Subscribe(
    std::optional<uint64_t> replay_after, const std::function<void(uint64_t)>& on_start,
    std::function<void(const Event&)> on_event) {
  internal::MutexLock lock(&mu_);
  const uint64_t from_sequence = replay_after.value_or(0);
  if (from_sequence > sequence_) {
    return absl::OutOfRangeError(absl::StrCat("from_sequence ", from_sequence,
                                              " is ahead of the current sequence ", sequence_));
  }
  const uint64_t oldest = events_.empty() ? sequence_ + 1 : events_.front().sequence;
  if (replay_after.has_value() && from_sequence + 1 < oldest) {
    return absl::OutOfRangeError(absl::StrCat("from_sequence ", from_sequence,
                                              " is older than the retained window (events from ",
                                              oldest, " to ", sequence_, " are kept)"));
  }
  on_start(sequence_);
  if (replay_after.has_value()) {
    for (const Event& e : events_) {
      if (e.sequence > from_sequence) on_event(e);
    }
  }
  uint64_t id = next_subscriber_++;
  subscribers_[id] = std::move(on_event);
  return std::unique_ptr<Subscription>(new Subscription(this, id));
}

EventLog::Subscription::~Subscription() {
  internal::MutexLock lock(&log_->mu_);
  log_->subscribers_.erase(id_);
}

}  // namespace hother::cancelable::daemon
