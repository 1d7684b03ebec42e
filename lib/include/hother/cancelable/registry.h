// OperationRegistry: the process's directory of running operations, with a
// bounded history of finished ones.
//
// Opt-in per scope (`CancelableOptions::register_globally`). Lookups return
// snapshots (OperationContext copies), never live objects; cancelling goes
// through the registry by id.
//
//   auto op = Cancelable::WithTimeout(absl::Minutes(5),
//                                     {.name = "import", .register_globally = true});
//   ...
//   OperationRegistry::Global().CancelAll({.name_pattern = "import*"});
//   for (const OperationContext& done : OperationRegistry::Global().History(10)) ...
//
// Thread-safety: all methods are thread-safe; cancellation callbacks run after
// the registry's lock is released.
#ifndef HOTHER_CANCELABLE_REGISTRY_H_
#define HOTHER_CANCELABLE_REGISTRY_H_

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/operation_context.h"

namespace hother::cancelable {

// Every set field must match.
struct OperationFilter {
  std::optional<OperationStatus> status;
  std::optional<std::string> parent_id;
  std::string name_pattern;  // a glob (*, ?, [...]); empty matches all
  std::optional<std::pair<std::string, std::string>> label;  // metadata key = value

  bool Matches(const OperationContext& context) const;
};

struct RegistryStatistics {
  size_t active = 0;
  absl::flat_hash_map<OperationStatus, size_t> active_by_status;
  size_t history_size = 0;
  absl::flat_hash_map<OperationStatus, size_t> history_by_status;
  std::optional<absl::Duration> average_completed_duration;
  size_t total_completed = 0;  // in history
};

class OperationRegistry {
 public:
  explicit OperationRegistry(size_t history_limit = 1000);
  OperationRegistry(const OperationRegistry&) = delete;
  OperationRegistry& operator=(const OperationRegistry&) = delete;

  // The process-wide registry.
  static OperationRegistry& Global();

  // ALREADY_EXISTS (naming the id) when an operation with the same id is
  // registered: never silently overwritten.
  [[nodiscard]] absl::Status Register(const Cancelable& op);
  // Moves a snapshot of the operation into the history (oldest dropped beyond
  // the limit). An unknown id is a no-op.
  void Unregister(const std::string& id);

  std::optional<OperationContext> Get(const std::string& id) const;
  std::vector<OperationContext> List(const OperationFilter& filter = {}) const;

  // False for unknown ids or when the operation was already cancelled.
  bool Cancel(const std::string& id, CancelReason reason = CancelReason::kManual,
              std::string message = "");
  // Cancels every matching active operation; returns how many this call
  // cancelled first.
  size_t CancelAll(const OperationFilter& filter = {}, CancelReason reason = CancelReason::kManual,
                   std::string message = "Bulk cancelation");

  // Newest first; at most `limit` (0: all); only `status`; only ended at or
  // after `since`.
  std::vector<OperationContext> History(size_t limit = 0,
                                        std::optional<OperationStatus> status = std::nullopt,
                                        std::optional<absl::Time> since = std::nullopt) const;

  // Drops from the history terminal operations that ended more than
  // `older_than` ago (failed ones kept when `keep_failed`). Returns the count.
  size_t CleanupCompleted(absl::Duration older_than = absl::ZeroDuration(),
                          bool keep_failed = true);

  RegistryStatistics Statistics() const;

  // Forgets everything (for tests).
  void Clear();

 private:
  std::vector<Cancelable> Matching(const OperationFilter& filter) const;

  const size_t history_limit_;
  mutable internal::Mutex mu_;
  absl::flat_hash_map<std::string, Cancelable> active_ ABSL_GUARDED_BY(mu_);
  std::deque<OperationContext> history_ ABSL_GUARDED_BY(mu_);  // oldest first
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_REGISTRY_H_
