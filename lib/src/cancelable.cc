#include "hother/cancelable/cancelable.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/sources/condition_source.h"
#include "hother/cancelable/sources/signal_source.h"
#include "hother/cancelable/sources/timeout_source.h"
#include "lib/src/scope_state.h"
#include "lib/src/uuid.h"

namespace hother::cancelable {
namespace {

CancelableOptions Named(CancelableOptions options, absl::string_view default_name) {
  if (options.name.empty()) options.name = std::string(default_name);
  return options;
}

}  // namespace

Cancelable::Cancelable(CancelableOptions options) {
  std::shared_ptr<internal::ScopeState> parent =
      options.parent != nullptr ? options.parent->state_ : nullptr;
  std::string id = options.id.empty() ? internal::NewUuid() : std::move(options.id);
  std::string name = std::move(options.name);
  state_ = std::make_shared<internal::ScopeState>(std::move(id), std::move(name), parent, options);
  if (parent != nullptr) state_->Follow(parent->token(), internal::FollowRule::kAsParent);
}

Cancelable Cancelable::WithTimeout(absl::Duration timeout, CancelableOptions options) {
  Cancelable op(
      Named(std::move(options), absl::StrCat("timeout_", absl::ToDoubleSeconds(timeout), "s")));
  op.AddSource(TimeoutSource(timeout));
  return op;
}

Cancelable Cancelable::WithDeadline(absl::Time deadline, CancelableOptions options) {
  Cancelable op(Named(std::move(options), "deadline"));
  op.AddSource(DeadlineSource(deadline));
  return op;
}

Cancelable Cancelable::WithToken(const CancellationToken& token, CancelableOptions options) {
  Cancelable op(Named(std::move(options), "token_based"));
  op.state_->Follow(token, internal::FollowRule::kPreserveReason);
  return op;
}

Cancelable Cancelable::WithSignal(std::vector<int> signals, CancelableOptions options) {
  Cancelable op(Named(std::move(options), "signal_based"));
  op.AddSource(SignalSource(std::move(signals)));
  return op;
}

Cancelable Cancelable::WithCondition(std::function<bool()> predicate, absl::Duration interval,
                                     std::string condition_name, CancelableOptions options) {
  Cancelable op(Named(std::move(options), "condition_based"));
  op.AddSource(ConditionSource(std::move(predicate), interval, std::move(condition_name)));
  return op;
}

Cancelable& Cancelable::AddSource(SourcePtr source) & {
  state_->AddSource(std::move(source));
  return *this;
}

Cancelable&& Cancelable::AddSource(SourcePtr source) && {
  state_->AddSource(std::move(source));
  return std::move(*this);
}

Cancelable Cancelable::Combine(const std::vector<Cancelable>& others) const {
  CancelableOptions options;
  options.name = absl::StrCat("combined_", name());
  options.scheduler = state_->env().scheduler;
  options.signal_watcher = state_->env().signals;
  Cancelable combined(std::move(options));
  auto adopt = [&](const Cancelable& component) {
    for (SourcePtr& source : component.state_->sources()) combined.AddSource(std::move(source));
    combined.state_->Follow(component.token(), internal::FollowRule::kPreserveReason);
  };
  adopt(*this);
  for (const Cancelable& other : others) adopt(other);
  return combined;
}

Cancelable& Cancelable::OnStart(StatusCallback fn) {
  state_->MutateCallbacks(
      [&](internal::ScopeCallbacks& c) { c.on_start.push_back(std::move(fn)); });
  return *this;
}

Cancelable& Cancelable::OnComplete(StatusCallback fn) {
  state_->MutateCallbacks(
      [&](internal::ScopeCallbacks& c) { c.on_complete.push_back(std::move(fn)); });
  return *this;
}

Cancelable& Cancelable::OnCancel(StatusCallback fn) {
  state_->MutateCallbacks(
      [&](internal::ScopeCallbacks& c) { c.on_cancel.push_back(std::move(fn)); });
  return *this;
}

Cancelable& Cancelable::OnError(ErrorCallback fn) {
  state_->MutateCallbacks(
      [&](internal::ScopeCallbacks& c) { c.on_error.push_back(std::move(fn)); });
  return *this;
}

Cancelable& Cancelable::OnProgress(ProgressCallback fn) {
  state_->MutateCallbacks(
      [&](internal::ScopeCallbacks& c) { c.on_progress.push_back(std::move(fn)); });
  return *this;
}

absl::Status Cancelable::Enter() { return state_->Enter(); }

void Cancelable::Exit(const absl::Status& outcome) { state_->Exit(outcome); }

bool Cancelable::Cancel(CancelReason reason, std::string message,
                        bool propagate_to_children) const {
  return state_->Deliver(reason, std::move(message), nullptr, propagate_to_children);
}

bool Cancelable::CancelWithRecord(std::shared_ptr<const CancellationDetails> record) const {
  return state_->DeliverRecord(std::move(record), /*propagate=*/true);
}

const CancellationToken& Cancelable::token() const { return state_->token(); }

ShieldGuard Cancelable::Shield() const { return ShieldGuard(state_); }

ShieldGuard::ShieldGuard(std::shared_ptr<internal::ScopeState> state) : state_(std::move(state)) {
  state_->AcquireShield();
}

ShieldGuard::~ShieldGuard() {
  if (state_ != nullptr) state_->ReleaseShield();
}

void Cancelable::ReportProgress(std::string message, Metadata metadata) const {
  state_->ReportProgress(message, metadata);
}

void Cancelable::SetMetadata(std::string key, std::string value) const {
  state_->SetMetadata(std::move(key), std::move(value));
}

void Cancelable::SetPartialResult(std::any result) const {
  state_->SetPartialResult(std::move(result));
}

OperationContext Cancelable::context() const { return state_->Context(); }

const std::string& Cancelable::id() const { return state_->id(); }

const std::string& Cancelable::name() const { return state_->name(); }

std::optional<Cancelable> CurrentOperation() {
  std::shared_ptr<internal::ScopeState> current = internal::CurrentScopeSlot().lock();
  if (current == nullptr) return std::nullopt;
  return Cancelable(std::move(current));
}

CurrentOperationScope::CurrentOperationScope(const Cancelable& op)
    : op_(op.state_), previous_(std::exchange(internal::CurrentScopeSlot(), op.state_)) {}

CurrentOperationScope::~CurrentOperationScope() {
  internal::CurrentScopeSlot() = std::move(previous_);
}

}  // namespace hother::cancelable
