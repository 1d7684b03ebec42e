// Internal: the shared state behind Cancelable handles.
//
// Every cancellation of a scope, whatever its origin (a source firing, a
// followed token, the parent, Cancel()), goes through Deliver(), the one gate
// where a shield can hold it back; past the gate it cancels the scope's token.
#ifndef HOTHER_CANCELABLE_SRC_SCOPE_STATE_H_
#define HOTHER_CANCELABLE_SRC_SCOPE_STATE_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/source.h"

namespace hother::cancelable::internal {

struct ScopeCallbacks {
  std::vector<StatusCallback> on_start;
  std::vector<StatusCallback> on_complete;
  std::vector<StatusCallback> on_cancel;
  std::vector<ErrorCallback> on_error;
  std::vector<ProgressCallback> on_progress;
};

// How a followed token's cancellation is delivered to the scope.
enum class FollowRule {
  kPreserveReason,  // the token's own reason and message
  kAsParent,        // reason parent, "Parent operation <8> cancelled"
};

class ScopeState : public std::enable_shared_from_this<ScopeState> {
 public:
  ScopeState(std::string id, std::string name, std::shared_ptr<ScopeState> parent,
             const CancelableOptions& options);

  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  const CancellationToken& token() const { return token_; }
  const std::shared_ptr<ScopeState>& parent() const { return parent_; }
  const SourceEnv& env() const { return env_; }
  OperationRegistry* registry() const { return registry_; }

  // Cancels the token unless a shield holds the cancellation back. Without
  // `propagate`, children following this scope ignore this cancellation.
  bool Deliver(CancelReason reason, std::string message,
               std::shared_ptr<const CancellationDetails> cause, bool propagate);

  // The same gate for a complete record made elsewhere (another process's).
  bool DeliverRecord(std::shared_ptr<const CancellationDetails> details, bool propagate);

  // Delivers `token`'s cancellation to this scope by `rule`.
  void Follow(const CancellationToken& token, FollowRule rule);
  // Whether `details` is this scope's cancel made without propagation.
  bool IsUnpropagated(const CancellationDetails& details) const;

  void AddSource(SourcePtr source);
  std::vector<SourcePtr> sources() const;
  void MutateCallbacks(const std::function<void(ScopeCallbacks&)>& mutate);

  absl::Status Enter();
  void Exit(const absl::Status& outcome);

  void AcquireShield();
  void ReleaseShield();

  void ReportProgress(const std::string& message, const Metadata& metadata);
  void SetMetadata(std::string key, std::string value);
  void SetPartialResult(std::any result);
  OperationContext Context() const;

 private:
  // Stops sources and decides the final status; returns the snapshot.
  OperationContext FinishLocked(const absl::Status& outcome) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  OperationContext ContextLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  FireFn MakeFire();
  void RestoreCurrent();

  const std::string id_;
  const std::string name_;
  const std::shared_ptr<ScopeState> parent_;
  const CancellationToken token_;
  const SourceEnv env_;
  OperationRegistry* const registry_;  // null unless registering

  mutable internal::Mutex mu_;
  std::vector<SourcePtr> sources_ ABSL_GUARDED_BY(mu_);
  absl::Status config_error_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ScopeCallbacks> callbacks_ ABSL_GUARDED_BY(mu_);
  std::vector<CancellationToken::Registration> follows_ ABSL_GUARDED_BY(mu_);
  // The winning cancel, when made with propagate_to_children = false.
  std::shared_ptr<const CancellationDetails> no_propagate_ ABSL_GUARDED_BY(mu_);
  int shield_depth_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const CancellationDetails> held_ ABSL_GUARDED_BY(mu_);
  bool held_propagates_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<std::unique_ptr<SourceWatch>> watches_ ABSL_GUARDED_BY(mu_);
  bool entered_ ABSL_GUARDED_BY(mu_) = false;
  bool exited_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // final status decided
  std::weak_ptr<ScopeState> previous_current_ ABSL_GUARDED_BY(mu_);
  std::thread::id entering_thread_ ABSL_GUARDED_BY(mu_);
  // The context fields a scope owns (id, name, parent come from above).
  OperationStatus status_ ABSL_GUARDED_BY(mu_) = OperationStatus::kPending;
  std::optional<absl::Time> start_time_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> end_time_ ABSL_GUARDED_BY(mu_);
  std::string error_ ABSL_GUARDED_BY(mu_);
  Metadata metadata_ ABSL_GUARDED_BY(mu_);
  std::any partial_result_ ABSL_GUARDED_BY(mu_);
  // Fixed at exit: a cancellation after the end does not rewrite history.
  std::shared_ptr<const CancellationDetails> final_cancel_ ABSL_GUARDED_BY(mu_);
};

// The thread's innermost entered scope (weak: a scope dropped without Exit
// leaves no dangling pointer).
std::weak_ptr<ScopeState>& CurrentScopeSlot();

}  // namespace hother::cancelable::internal

#endif  // HOTHER_CANCELABLE_SRC_SCOPE_STATE_H_
