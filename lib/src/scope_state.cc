#include "lib/src/scope_state.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/registry.h"
#include "hother/cancelable/scheduler.h"
#include "hother/cancelable/signal_watcher.h"
#include "lib/src/token_state.h"
#include "lib/src/uuid.h"

namespace hother::cancelable::internal {
namespace {

// Calls a user callback; what it throws is logged and never changes the outcome.
template <typename F, typename... Args>
void SafeCall(const std::string& op_id, const F& fn, const Args&... args) {
  try {
    fn(args...);
  } catch (const std::exception& e) {
    Log(LogLevel::kError, absl::StrCat("operation callback threw: ", e.what()),
        {{"operation_id", op_id}});
  } catch (...) {
    Log(LogLevel::kError, "operation callback threw a non-exception", {{"operation_id", op_id}});
  }
}

std::string DefaultMessage(CancelReason reason) {
  return reason == CancelReason::kManual
             ? ManualMessage()
             : absl::StrCat("Operation cancelled (", ToString(reason), ")");
}

}  // namespace

std::weak_ptr<ScopeState>& CurrentScopeSlot() {
  thread_local std::weak_ptr<ScopeState> current;
  return current;
}

ScopeState::ScopeState(std::string id, std::string name, std::shared_ptr<ScopeState> parent,
                       const CancelableOptions& options)
    : id_(std::move(id)),
      name_(std::move(name)),
      parent_(std::move(parent)),
      token_(id_),
      env_{options.scheduler != nullptr ? options.scheduler : &Scheduler::Default(),
           options.signal_watcher != nullptr ? options.signal_watcher : &SignalWatcher::Default()},
      registry_(!options.register_globally    ? nullptr
                : options.registry != nullptr ? options.registry
                                              : &OperationRegistry::Global()),
      callbacks_(std::make_shared<ScopeCallbacks>()),
      metadata_(options.metadata) {}

bool ScopeState::Deliver(CancelReason reason, std::string message,
                         std::shared_ptr<const CancellationDetails> cause, bool propagate) {
  if (token_.IsCancelled()) return false;
  if (message.empty()) message = DefaultMessage(reason);
  return DeliverRecord(MakeDetails(reason, std::move(message), id_, std::move(cause)), propagate);
}

bool ScopeState::DeliverRecord(std::shared_ptr<const CancellationDetails> details, bool propagate) {
  if (token_.IsCancelled()) return false;
  const std::shared_ptr<TokenState>& token = TokenAccess::State(token_);
  {
    // TRICKY: the shield's decision and the token's flag change together
    // under mu_, so a shield taken meanwhile cannot be crossed. Callbacks run
    // after the lock is released (Dispatch).
    internal::MutexLock lock(&mu_);
    if (shield_depth_ > 0) {
      if (held_ != nullptr || token->cancelled()) return false;
      held_ = std::move(details);
      held_propagates_ = propagate;
      return true;
    }
    if (!propagate) no_propagate_ = details;
    if (!token->Mark(details)) {
      if (!propagate) no_propagate_ = nullptr;
      return false;
    }
  }
  token->Dispatch();
  return true;
}

void ScopeState::Follow(const CancellationToken& token, FollowRule rule) {
  // The registration may run at once (the token is already cancelled), and
  // Deliver takes mu_: register outside the lock.
  CancellationToken::Registration registration =
      token.OnCancel([weak = weak_from_this(), token, rule](const CancellationDetails& d) {
        std::shared_ptr<ScopeState> self = weak.lock();
        if (self == nullptr) return;
        if (rule == FollowRule::kPreserveReason) {
          self->Deliver(d.reason, d.message, token.details(), /*propagate=*/true);
          return;
        }
        if (self->parent_ != nullptr && self->parent_->IsUnpropagated(d)) return;
        self->Deliver(CancelReason::kParent,
                      absl::StrCat("Parent operation ", ShortId(d.origin_id), " cancelled"),
                      token.details(), /*propagate=*/true);
      });
  internal::MutexLock lock(&mu_);
  follows_.push_back(std::move(registration));
}

bool ScopeState::IsUnpropagated(const CancellationDetails& details) const {
  internal::MutexLock lock(&mu_);
  return no_propagate_.get() == &details;
}

void ScopeState::AddSource(SourcePtr source) {
  absl::Status valid =
      source == nullptr ? absl::InvalidArgumentError("A source is null") : source->Validate();
  internal::MutexLock lock(&mu_);
  if (!valid.ok() && config_error_.ok()) config_error_ = valid;
  if (source != nullptr) sources_.push_back(std::move(source));
}

std::vector<SourcePtr> ScopeState::sources() const {
  internal::MutexLock lock(&mu_);
  return sources_;
}

void ScopeState::MutateCallbacks(const std::function<void(ScopeCallbacks&)>& mutate) {
  internal::MutexLock lock(&mu_);
  // Copy on write: readers hold the old set without a lock.
  auto next = std::make_shared<ScopeCallbacks>(*callbacks_);
  mutate(*next);
  callbacks_ = std::move(next);
}

FireFn ScopeState::MakeFire() {
  return [weak = weak_from_this()](CancelReason reason, std::string message) {
    if (std::shared_ptr<ScopeState> self = weak.lock()) {
      self->Deliver(reason, std::move(message), nullptr, /*propagate=*/true);
    }
  };
}

absl::Status ScopeState::Enter() {
  std::vector<SourcePtr> sources;
  {
    internal::MutexLock lock(&mu_);
    if (!config_error_.ok()) return config_error_;
    if (entered_) {
      return absl::FailedPreconditionError(
          absl::StrCat("Operation ", id_, " was already entered; a scope runs once"));
    }
    entered_ = true;
    status_ = OperationStatus::kRunning;
    start_time_ = env_.scheduler->clock().Now();
    sources = sources_;
    previous_current_ = std::exchange(CurrentScopeSlot(), weak_from_this());
    entering_thread_ = std::this_thread::get_id();
  }
  absl::Status started;
  bool registered = false;
  if (registry_ != nullptr) {
    started = registry_->Register(Cancelable(shared_from_this()));
    registered = started.ok();
  }
  std::vector<std::unique_ptr<SourceWatch>> watches;
  for (const SourcePtr& source : sources) {
    if (!started.ok()) break;
    absl::StatusOr<std::unique_ptr<SourceWatch>> watch = source->Start(env_, MakeFire());
    if (watch.ok()) {
      watches.push_back(*std::move(watch));
    } else {
      started = watch.status();
    }
  }
  if (!started.ok()) {
    watches.clear();
    {
      internal::MutexLock lock(&mu_);
      exited_ = true;
      finished_ = true;
      status_ = OperationStatus::kFailed;
      error_ = started.ToString();
      end_time_ = env_.scheduler->clock().Now();
    }
    if (registered) registry_->Unregister(id_);
    RestoreCurrent();
    return started;
  }
  std::shared_ptr<const ScopeCallbacks> callbacks;
  OperationContext snapshot;
  {
    internal::MutexLock lock(&mu_);
    watches_ = std::move(watches);
    callbacks = callbacks_;
    snapshot = ContextLocked();
  }
  for (const auto& fn : callbacks->on_start) SafeCall(id_, fn, snapshot);
  return absl::OkStatus();
}

void ScopeState::Exit(const absl::Status& outcome) {
  std::vector<std::unique_ptr<SourceWatch>> watches;
  {
    internal::MutexLock lock(&mu_);
    if (!entered_ || exited_) return;
    exited_ = true;
    watches.swap(watches_);
  }
  // Stopping may wait for a source that is firing into Deliver: no lock held.
  watches.clear();
  std::shared_ptr<const ScopeCallbacks> callbacks;
  OperationContext snapshot;
  {
    internal::MutexLock lock(&mu_);
    snapshot = FinishLocked(outcome);
    callbacks = callbacks_;
  }
  switch (snapshot.status) {
    case OperationStatus::kCompleted:
      for (const auto& fn : callbacks->on_complete) SafeCall(id_, fn, snapshot);
      break;
    case OperationStatus::kCancelled:
    case OperationStatus::kTimeout:
      for (const auto& fn : callbacks->on_cancel) SafeCall(id_, fn, snapshot);
      break;
    default:
      for (const auto& fn : callbacks->on_error) SafeCall(id_, fn, snapshot, outcome);
      break;
  }
  if (registry_ != nullptr) registry_->Unregister(id_);
  RestoreCurrent();
}

OperationContext ScopeState::FinishLocked(const absl::Status& outcome) {
  finished_ = true;
  end_time_ = env_.scheduler->clock().Now();
  final_cancel_ = token_.details();
  std::optional<CancelReason> cancel_reason = ReasonOfStatus(outcome);
  if (outcome.ok()) {
    status_ = OperationStatus::kCompleted;
  } else if (cancel_reason.has_value()) {
    if (final_cancel_ == nullptr) {
      // The body reported a cancellation of its own: record it as given.
      final_cancel_ = MakeDetails(*cancel_reason, std::string(outcome.message()), id_, nullptr);
    }
    status_ = final_cancel_->reason == CancelReason::kTimeout ? OperationStatus::kTimeout
                                                              : OperationStatus::kCancelled;
  } else {
    status_ = OperationStatus::kFailed;
    error_ = outcome.message().empty() ? outcome.ToString() : std::string(outcome.message());
  }
  return ContextLocked();
}

void ScopeState::RestoreCurrent() {
  std::weak_ptr<ScopeState> previous;
  std::thread::id thread;
  {
    internal::MutexLock lock(&mu_);
    previous = previous_current_;
    thread = entering_thread_;
  }
  std::weak_ptr<ScopeState>& slot = CurrentScopeSlot();
  if (thread == std::this_thread::get_id() && slot.lock().get() == this) slot = previous;
}

void ScopeState::AcquireShield() {
  internal::MutexLock lock(&mu_);
  if (shield_depth_++ == 0 && status_ == OperationStatus::kRunning) {
    status_ = OperationStatus::kShielded;
  }
}

void ScopeState::ReleaseShield() {
  const std::shared_ptr<TokenState>& token = TokenAccess::State(token_);
  {
    internal::MutexLock lock(&mu_);
    if (--shield_depth_ > 0) return;
    if (status_ == OperationStatus::kShielded) status_ = OperationStatus::kRunning;
    if (held_ == nullptr) return;
    std::shared_ptr<const CancellationDetails> held = std::move(held_);
    if (!held_propagates_) no_propagate_ = held;
    if (!token->Mark(std::move(held))) return;
  }
  token->Dispatch();
}

void ScopeState::ReportProgress(const std::string& message, const Metadata& metadata) {
  std::shared_ptr<const ScopeCallbacks> callbacks;
  {
    internal::MutexLock lock(&mu_);
    callbacks = callbacks_;
  }
  for (const auto& fn : callbacks->on_progress) SafeCall(id_, fn, id_, message, metadata);
}

void ScopeState::SetMetadata(std::string key, std::string value) {
  internal::MutexLock lock(&mu_);
  metadata_[std::move(key)] = std::move(value);
}

void ScopeState::SetPartialResult(std::any result) {
  internal::MutexLock lock(&mu_);
  partial_result_ = std::move(result);
}

OperationContext ScopeState::Context() const {
  internal::MutexLock lock(&mu_);
  return ContextLocked();
}

OperationContext ScopeState::ContextLocked() const {
  OperationContext ctx;
  ctx.id = id_;
  ctx.name = name_;
  if (parent_ != nullptr) ctx.parent_id = parent_->id();
  ctx.status = status_;
  ctx.start_time = start_time_;
  ctx.end_time = end_time_;
  ctx.cancel_details = finished_ ? final_cancel_ : token_.details();
  if (ctx.cancel_details != nullptr) {
    ctx.cancel_reason = ctx.cancel_details->reason;
    ctx.cancel_message = ctx.cancel_details->message;
  }
  ctx.error = error_;
  ctx.metadata = metadata_;
  ctx.partial_result = partial_result_;
  return ctx;
}

}  // namespace hother::cancelable::internal
