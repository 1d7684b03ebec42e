// CancellationToken: a thread-safe, one-way cancellation flag with a reason.
//
// A token starts active. The first `Cancel()` records who/why/when and wakes
// everything that waits on it: `Wait()` callers, registered callbacks, linked
// tokens, `std::stop_token`s derived from it. Work observes it cooperatively:
//
//   CancellationToken token;
//   std::thread worker([token] {
//     while (!token.IsCancelled()) DoSomeWork();
//   });
//   CancellationCallback on_cancel(token, [](const CancellationDetails& d) {
//     std::cerr << "cancelled: " << d.message << "\n";
//   });
//   token.Cancel(CancelReason::kManual, "user pressed stop");
//
// The contract (each sentence has a test named after it in token_test.cc):
//  1. Cancel is idempotent: the first call wins, keeps its reason and message,
//     and returns true; later calls return false and change nothing.
//  2. A callback registered on an already-cancelled token runs at once, in the
//     registering thread; otherwise it runs exactly once, in the thread of the
//     winning cancel, with no library lock held, in registration order.
//  3. Destroying a registration deregisters it; if its callback is running on
//     another thread, the destructor waits for it; a callback may destroy its
//     own registration without deadlock.
//  4. A callback that throws is caught and reported (to the log sink); it never
//     stops the others.
//  5. Everything a thread did before a winning cancel is visible to any thread
//     that then sees the token cancelled (release/acquire).
//  6. A cancel made from inside a callback (a cascade, e.g. linked tokens)
//     marks its token cancelled at once, but that token's callbacks run after
//     the current callback returns, on the same thread; so a chain of any
//     length cancels without deep recursion.
//
// Thread-safety: every method may be called from any thread. A token is a
// cheap handle (one shared pointer): copies share the same flag, and tokens
// compare and hash by id.
#ifndef HOTHER_CANCELABLE_TOKEN_H_
#define HOTHER_CANCELABLE_TOKEN_H_

#include <atomic>
#include <memory>
#include <optional>
#include <ostream>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hother/cancelable/cancel_reason.h"

namespace hother::cancelable {

namespace internal {
class TokenState;
struct TokenAccess;

// One registered callback: an intrusive list node owned by its registration.
struct CallbackNode {
  absl::AnyInvocable<void(const CancellationDetails&)> fn;
  CallbackNode* prev = nullptr;
  CallbackNode* next = nullptr;
  bool in_list = false;
};
}  // namespace internal

using CancelCallback = absl::AnyInvocable<void(const CancellationDetails&)>;

class CancellationToken;
CancellationToken AllOf(const std::vector<CancellationToken>& inputs);

class CancellationToken {
 public:
  // A new, active token with a fresh random id (36-char UUID form).
  CancellationToken();
  // A new, active token with the given id, kept verbatim.
  explicit CancellationToken(std::string id);

  // Copies share the flag. (Moves copy too: a moved-from token stays valid.)
  CancellationToken(const CancellationToken&) = default;
  CancellationToken& operator=(const CancellationToken&) = default;

  const std::string& id() const;

  // True once cancelled. One acquire load, inlined.
  bool IsCancelled() const noexcept { return flag_->load(std::memory_order_acquire); }

  // Cancels the token. Returns true if this call was the first; otherwise
  // returns false and changes nothing. An empty message is replaced by
  // "Operation cancelled via token". `cause` is the cancellation that led to
  // this one, if any.
  bool Cancel(CancelReason reason = CancelReason::kManual, std::string message = "",
              std::shared_ptr<const CancellationDetails> cause = nullptr) const;

  // Cancels the token with a record made elsewhere (another process's, such
  // as canceld's cancel of a remote operation), kept exactly as given: its
  // reason, message, time, origin, actor and cause chain are what callbacks,
  // details() and Check() see. Returns true if this call was the first;
  // otherwise returns false and changes nothing. A null record is a bug
  // (crashes with a message).
  bool CancelWithRecord(std::shared_ptr<const CancellationDetails> record) const;

  // The record of the winning cancel, or null while active.
  std::shared_ptr<const CancellationDetails> details() const;
  std::optional<CancelReason> reason() const;

  // OK while active. Once cancelled: DEADLINE_EXCEEDED when the cancellation
  // started with a timeout (directly or up the cause chain), CANCELLED
  // otherwise; the message is the token's, and the payload
  // "hother.cancelable/reason" holds the reason name.
  absl::Status Check() const;

  // Throws the CancelledError subclass matching the reason once cancelled
  // (see errors.h); does nothing while active.
  void ThrowIfCancelled() const;

  // Blocks until cancelled.
  void Wait() const;
  // Blocks until cancelled or `timeout` elapses; true if cancelled.
  bool WaitFor(absl::Duration timeout) const;

  // Registers `fn`; the returned registration deregisters when destroyed. See
  // CancellationCallback for the zero-allocation form.
  class Registration;
  [[nodiscard]] Registration OnCancel(CancelCallback fn) const;

  // A std::stop_token that is stop-requested when this token is cancelled.
  std::stop_token stop_token() const;
  // A new token cancelled (reason manual, "Stop requested") when `stop` is.
  static CancellationToken FromStopToken(std::stop_token stop);

  // "CancellationToken(1f2e3d4c, active)" or
  // "CancellationToken(1f2e3d4c, cancelled=timeout)".
  std::string ToString() const;

  friend bool operator==(const CancellationToken& a, const CancellationToken& b) {
    return a.id() == b.id();
  }
  template <typename H>
  friend H AbslHashValue(H h, const CancellationToken& token) {
    return H::combine(std::move(h), token.id());
  }
  friend std::ostream& operator<<(std::ostream& os, const CancellationToken& token) {
    return os << token.ToString();
  }

  // For tests: how many callbacks are registered and not yet run.
  size_t CallbackCountForTest() const;

 protected:
  explicit CancellationToken(std::shared_ptr<internal::TokenState> state);
  const std::shared_ptr<internal::TokenState>& state() const { return state_; }

 private:
  friend class CancellationCallback;
  friend class LinkedCancellationToken;
  friend struct internal::TokenAccess;
  friend CancellationToken AllOf(const std::vector<CancellationToken>& inputs);
  std::shared_ptr<internal::TokenState> state_;
  // The state's flag, cached so that IsCancelled() inlines to one load.
  const std::atomic<bool>* flag_;
};

// A callback registration stored inline (no allocation for small callables),
// like std::stop_callback. Neither copyable nor movable; use
// CancellationToken::OnCancel() for a movable registration.
//
//   CancellationCallback cb(token, [&](const CancellationDetails&) { cv.notify_all(); });
class CancellationCallback {
 public:
  template <typename F>
  CancellationCallback(const CancellationToken& token, F&& fn) : state_(token.state_) {
    node_.fn = std::forward<F>(fn);
    Register();
  }
  ~CancellationCallback();

  CancellationCallback(const CancellationCallback&) = delete;
  CancellationCallback& operator=(const CancellationCallback&) = delete;

 private:
  void Register();
  internal::CallbackNode node_;
  std::shared_ptr<internal::TokenState> state_;
};

// A movable registration. Default-constructed or moved-from: registers nothing.
class CancellationToken::Registration {
 public:
  Registration() = default;
  Registration(Registration&&) noexcept = default;
  Registration& operator=(Registration&&) noexcept = default;
  ~Registration() = default;

  // Deregisters now (waiting for a running callback, as the destructor does).
  void Reset() { callback_.reset(); }
  bool active() const { return callback_ != nullptr; }

 private:
  friend class CancellationToken;
  explicit Registration(std::unique_ptr<CancellationCallback> callback)
      : callback_(std::move(callback)) {}
  std::unique_ptr<CancellationCallback> callback_;
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_TOKEN_H_
