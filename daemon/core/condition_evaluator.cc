#include "daemon/core/condition_evaluator.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/core/labels.h"
#include "hother/cancelable/log.h"

namespace hother::cancelable::daemon {

// One operation's subscription to one condition; its destructor unsubscribes.
class ConditionEvaluator::Subscription final : public OperationResource {
 public:
  Subscription(std::shared_ptr<Gate> gate, std::string operation_id, std::string key)
      : gate_(std::move(gate)), operation_id_(std::move(operation_id)), key_(std::move(key)) {}
  ~Subscription() override {
    std::lock_guard<std::mutex> lock(gate_->mu);
    if (gate_->evaluator != nullptr) gate_->evaluator->Unsubscribe(operation_id_, key_);
  }

 private:
  const std::shared_ptr<Gate> gate_;
  const std::string operation_id_;
  const std::string key_;
};

ConditionEvaluator::ConditionEvaluator(Scheduler& scheduler, MetFn on_met, std::string proc_root)
    : scheduler_(scheduler), on_met_(std::move(on_met)), proc_root_(std::move(proc_root)) {
  gate_->evaluator = this;
}

ConditionEvaluator::~ConditionEvaluator() {
  {
    std::lock_guard<std::mutex> close(gate_->mu);  // waits for an unsubscribe under way
    gate_->evaluator = nullptr;
  }
  absl::btree_map<std::string, std::unique_ptr<Entry>> entries;  // timers stop unlocked
  internal::MutexLock lock(&mu_);
  entries.swap(entries_);
}

absl::StatusOr<std::string> ConditionEvaluator::Resolve(absl::string_view text) const {
  absl::StatusOr<Condition> builtin = ParseCondition(text);
  if (builtin.ok()) return builtin->ToString();
  if (!absl::IsNotFound(builtin.status())) return builtin.status();
  internal::MutexLock lock(&mu_);
  if (configured_.contains(text)) return std::string(text);
  return absl::InvalidArgumentError(
      absl::StrCat("condition ", Quote(text),
                   ": not a built-in condition nor one defined in canceld's "
                   "configuration"));
}

std::unique_ptr<OperationResource> ConditionEvaluator::Subscribe(const std::string& operation_id,
                                                                 const std::string& key,
                                                                 absl::Duration interval) {
  interval = std::max(interval, kMinConditionInterval);
  Scheduler::Timer replaced;  // destroyed unlocked
  internal::MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& entry = *(inserted ? (it->second = std::make_unique<Entry>()) : it->second);
  if (inserted) {
    entry.key = key;
    absl::StatusOr<Condition> builtin = ParseCondition(key);
    if (builtin.ok()) entry.builtin = *std::move(builtin);
    entry.interval = interval;
  }
  entry.subscribers.insert(operation_id);
  if (inserted || interval < entry.interval) {
    // The fastest subscriber sets the pace.
    entry.interval = std::min(entry.interval, interval);
    replaced = std::move(entry.poll);
    entry.poll = scheduler_.Every(entry.interval, [this, key] { return Poll(key); });
  }
  return std::make_unique<Subscription>(gate_, operation_id, key);
}

void ConditionEvaluator::SetConfigured(absl::flat_hash_map<std::string, Condition> named) {
  internal::MutexLock lock(&mu_);
  configured_ = std::move(named);
}

void ConditionEvaluator::Unsubscribe(const std::string& operation_id, const std::string& key) {
  internal::MutexLock lock(&mu_);
  if (auto entry = entries_.find(key); entry != entries_.end()) {
    entry->second->subscribers.erase(operation_id);
  }
  // Empty entries are reaped by their own next poll (a timer may only be
  // destroyed without waiting from its own function).
}

bool ConditionEvaluator::Poll(const std::string& key) {
  std::optional<Condition> condition;
  // Nobody left: the entry (and its timer) goes, destroyed unlocked and from
  // the timer's own function, which may do that without waiting.
  std::unique_ptr<Entry> gone;
  {
    internal::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return false;
    Entry& entry = *it->second;
    if (entry.subscribers.empty()) {
      gone = std::move(it->second);
      entries_.erase(it);
      return false;
    }
    if (entry.builtin.has_value()) {
      condition = entry.builtin;
    } else if (auto named = configured_.find(key); named != configured_.end()) {
      condition = named->second;
    }
  }
  absl::StatusOr<Observation> seen =
      condition.has_value() ? Check(*condition, proc_root_)
                            : absl::StatusOr<Observation>(absl::NotFoundError(absl::StrCat(
                                  "'", key, "' is no longer defined in the configuration")));
  std::vector<std::string> met;
  std::string message;
  {
    internal::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return false;
    Entry& entry = *it->second;
    entry.last_check = scheduler_.clock().Now();
    if (!seen.ok()) {
      if (entry.last_error != seen.status().message()) {
        Log(LogLevel::kWarning,
            absl::StrCat("condition check failed (counted as not met): ", seen.status().message()),
            {{"condition", key}});
      }
      entry.last_error = std::string(seen.status().message());
      return true;
    }
    entry.last_error.clear();
    entry.last_value = seen->value;
    if (!seen->met) return true;
    // Met once for them: their subscriptions, still held by their records,
    // find nothing to remove when the operations end.
    met.assign(entry.subscribers.begin(), entry.subscribers.end());
    entry.subscribers.clear();
    message = absl::StrCat(key, ": ", seen->value);
  }
  std::sort(met.begin(), met.end());
  Log(LogLevel::kInfo, "condition met",
      {{"condition", key}, {"observed", seen->value}, {"subscribers", absl::StrCat(met.size())}});
  on_met_(met, key, message);
  return true;  // reaped at the next poll if nobody subscribed meanwhile
}

std::vector<ConditionStatus> ConditionEvaluator::List() const {
  internal::MutexLock lock(&mu_);
  std::vector<ConditionStatus> out;
  for (const auto& [key, entry] : entries_) {
    ConditionStatus status;
    status.name = key;
    if (entry->builtin.has_value()) {
      status.definition = entry->builtin->ToString();
    } else if (auto named = configured_.find(key); named != configured_.end()) {
      status.definition = named->second.ToString();
    }
    status.subscribers = entry->subscribers.size();
    status.interval = entry->interval;
    status.last_value = entry->last_value;
    status.last_check = entry->last_check;
    status.last_error = entry->last_error;
    out.push_back(std::move(status));
  }
  return out;
}

}  // namespace hother::cancelable::daemon
