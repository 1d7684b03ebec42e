// ConditionEvaluator: polls each distinct condition once, however many
// operations subscribe to it, and cancels its subscribers when it is met.
//
// The fastest subscriber sets the pace (intervals of at least 100 ms). Checks
// run on the scheduler's poll thread, never on its timer thread. A check that
// errors (unreadable path, command timeout) is logged, shown by List, and
// counts as not met. A met condition is one-shot for its subscribers: they
// are cancelled and dropped; later subscribers start a new evaluation.
//
// Thread-safety: thread-safe. `on_met` is called without the evaluator's
// lock.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_CONDITION_EVALUATOR_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_CONDITION_EVALUATOR_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/core/condition.h"
#include "daemon/core/graph_types.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {

inline constexpr absl::Duration kMinConditionInterval = absl::Milliseconds(100);
inline constexpr absl::Duration kDefaultConditionInterval = absl::Seconds(1);

struct ConditionStatus {
  std::string name;  // the canonical text, or the configured name
  std::string definition;
  size_t subscribers = 0;
  absl::Duration interval;
  std::string last_value;
  std::optional<absl::Time> last_check;
  std::string last_error;
};

class ConditionEvaluator {
 public:
  // Cancels `operation_ids` with `message` (reason condition).
  using MetFn = std::function<void(const std::vector<std::string>& operation_ids,
                                   const std::string& condition, const std::string& message)>;

  ConditionEvaluator(Scheduler& scheduler, MetFn on_met, std::string proc_root = "/proc");
  ~ConditionEvaluator();

  // The key `text` resolves to (its canonical text, or a configured name).
  // INVALID_ARGUMENT for a malformed or unknown condition.
  [[nodiscard]] absl::StatusOr<std::string> Resolve(absl::string_view text) const;
  // Subscribes `operation_id` to the resolved `key` until the returned
  // subscription is destroyed (the operation's record holds it: it goes when
  // the operation ends). `interval` is clamped to at least 100 ms. The
  // subscription may outlive the evaluator (it then does nothing).
  [[nodiscard]] std::unique_ptr<OperationResource> Subscribe(const std::string& operation_id,
                                                             const std::string& key,
                                                             absl::Duration interval);

  // The administrator's named conditions (from the configuration file).
  void SetConfigured(absl::flat_hash_map<std::string, Condition> named);

  std::vector<ConditionStatus> List() const;

 private:
  struct Entry {
    std::string key;
    std::optional<Condition> builtin;  // unset: a configured name
    absl::flat_hash_set<std::string> subscribers;
    absl::Duration interval = kDefaultConditionInterval;
    std::string last_value;
    std::optional<absl::Time> last_check;
    std::string last_error;
    Scheduler::Timer poll;
  };
  class Subscription;
  // What a subscription reaches: the evaluator while it lives.
  struct Gate {
    std::mutex mu;
    ConditionEvaluator* evaluator = nullptr;
  };
  // Returns false when the entry is gone (it stops polling).
  bool Poll(const std::string& key);
  void Unsubscribe(const std::string& operation_id, const std::string& key);

  Scheduler& scheduler_;
  const MetFn on_met_;
  const std::string proc_root_;
  mutable internal::Mutex mu_;
  absl::flat_hash_map<std::string, Condition> configured_ ABSL_GUARDED_BY(mu_);
  absl::btree_map<std::string, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  const std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_CONDITION_EVALUATOR_H_
