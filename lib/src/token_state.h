// Internal: the shared state behind CancellationToken handles.
//
// Holds the flag, the winning cancellation's record, an intrusive list of
// pending callbacks, the links this token has to its sources, and an optional
// std::stop_source. See token.h for the contract this implements.
#ifndef HOTHER_CANCELABLE_SRC_TOKEN_STATE_H_
#define HOTHER_CANCELABLE_SRC_TOKEN_STATE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/token.h"

namespace hother::cancelable::internal {

// A registration of one token (the target) on another (the source). It holds
// only a weak reference to the source, and the source's callback holds only a
// weak reference to the target, so links never keep a token alive and mutual
// links make no reference cycle.
struct LinkRegistration {
  CallbackNode node;
  std::weak_ptr<TokenState> source;
  ~LinkRegistration();
};

class TokenState : public std::enable_shared_from_this<TokenState> {
 public:
  explicit TokenState(std::string id) : id_(std::move(id)) {}
  ~TokenState();

  TokenState(const TokenState&) = delete;
  TokenState& operator=(const TokenState&) = delete;

  const std::string& id() const { return id_; }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  const std::atomic<bool>* flag() const { return &cancelled_; }

  // Records `details` if this is the first cancel, then runs (or, inside a
  // running callback, queues) the callbacks. True if first. Same as Mark,
  // then Dispatch if marked.
  bool Cancel(std::shared_ptr<const CancellationDetails> details);
  // The two halves of Cancel, for callers that must decide under their own
  // lock (a scope's shield): Mark sets the flag (true if first) and takes only
  // this state's lock; Dispatch, called after, outside the caller's lock, by
  // the thread whose Mark won, wakes stop_token waiters and runs callbacks.
  bool Mark(std::shared_ptr<const CancellationDetails> details);
  void Dispatch();
  std::shared_ptr<const CancellationDetails> details() const;

  // Appends `node`, or runs it at once when already cancelled.
  void Register(CallbackNode* node);
  // Removes `node`; waits when its callback runs on another thread.
  void Deregister(CallbackNode* node);

  // Cancels this token when `source` is cancelled, with details made by
  // `make_details` from the source's (which may return null to decline).
  using DetailsFactory = std::function<std::shared_ptr<const CancellationDetails>(
      const std::shared_ptr<const CancellationDetails>& source_details,
      const std::string& target_id)>;
  void LinkTo(const std::shared_ptr<TokenState>& source, DetailsFactory make_details);

  void Wait();
  bool WaitUntil(absl::Time deadline);

  std::stop_token GetStopToken();
  // Keeps `holder` alive as long as this state (used by FromStopToken).
  void Hold(std::shared_ptr<void> holder) { held_ = std::move(holder); }

  size_t CallbackCount() const;

 private:
  void RunCallbacks();
  void RequestStop();
  void UnlinkLocked(CallbackNode* node) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string id_;
  std::atomic<bool> cancelled_{false};
  // Set once, before the token is shared; destroyed with the state.
  std::shared_ptr<void> held_;

  mutable internal::Mutex mu_;
  internal::CondVar cv_;  // cancelled, or a running callback finished
  std::shared_ptr<const CancellationDetails> details_ ABSL_GUARDED_BY(mu_);
  CallbackNode* head_ ABSL_GUARDED_BY(mu_) = nullptr;
  CallbackNode* tail_ ABSL_GUARDED_BY(mu_) = nullptr;
  size_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  CallbackNode* running_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread::id running_thread_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<LinkRegistration>> links_ ABSL_GUARDED_BY(mu_);
  std::optional<std::stop_source> stop_source_ ABSL_GUARDED_BY(mu_);
};

// Library-internal access to a token's state.
struct TokenAccess {
  static const std::shared_ptr<TokenState>& State(const CancellationToken& token) {
    return token.state_;
  }
};

// Runs `fn(details)`, catching and logging anything it throws.
void InvokeCallback(CancelCallback& fn, const CancellationDetails& details);

// Builds a record stamped now.
std::shared_ptr<const CancellationDetails> MakeDetails(
    CancelReason reason, std::string message, std::string origin_id,
    std::shared_ptr<const CancellationDetails> cause);

}  // namespace hother::cancelable::internal

#endif  // HOTHER_CANCELABLE_SRC_TOKEN_STATE_H_
