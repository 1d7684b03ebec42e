#include "hother/cancelable/token.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/log.h"
#include "lib/src/token_state.h"
#include "lib/src/uuid.h"

namespace hother::cancelable {
namespace internal {
namespace {

constexpr char kDefaultTokenMessage[] = "Operation cancelled via token";

// TRICKY: callbacks may cancel other tokens (links, children), whose callbacks
// cancel more. Running those recursively would overflow the stack on a long
// chain, so the outermost Cancel on a thread owns a queue: nested winning
// cancels mark their token at once and append it here; the outermost one runs
// the callbacks of every queued token in order.
struct DispatchQueue {
  std::deque<std::shared_ptr<TokenState>> queue;
};
thread_local DispatchQueue* t_dispatch = nullptr;

}  // namespace

std::shared_ptr<const CancellationDetails> MakeDetails(
    CancelReason reason, std::string message, std::string origin_id,
    std::shared_ptr<const CancellationDetails> cause) {
  auto details = std::make_shared<CancellationDetails>();
  details->reason = reason;
  details->message = std::move(message);
  details->time = absl::Now();
  details->origin_id = std::move(origin_id);
  details->SetCause(std::move(cause));
  return details;
}

void InvokeCallback(CancelCallback& fn, const CancellationDetails& details) {
  try {
    fn(details);
  } catch (const std::exception& e) {
    Log(LogLevel::kError, absl::StrCat("cancellation callback threw: ", e.what()),
        {{"origin_id", details.origin_id}});
  } catch (...) {
    Log(LogLevel::kError, "cancellation callback threw a non-exception",
        {{"origin_id", details.origin_id}});
  }
}

LinkRegistration::~LinkRegistration() {
  if (std::shared_ptr<TokenState> s = source.lock()) s->Deregister(&node);
}

TokenState::~TokenState() {
  // Links deregister from their sources; nothing else here touches other
  // states. Nodes still in our list belong to link registrations of targets
  // that will find this state expired.
  std::vector<std::unique_ptr<LinkRegistration>> links;
  {
    internal::MutexLock lock(&mu_);
    links.swap(links_);
  }
}

bool TokenState::Mark(std::shared_ptr<const CancellationDetails> details) {
  internal::MutexLock lock(&mu_);
  if (details_ != nullptr) return false;
  details_ = std::move(details);
  cancelled_.store(true, std::memory_order_release);
  cv_.SignalAll();
  return true;
}

void TokenState::RequestStop() {
  std::optional<std::stop_source> stop;
  {
    internal::MutexLock lock(&mu_);
    stop = stop_source_;
  }
  if (stop.has_value()) stop->request_stop();
}

void TokenState::Dispatch() {
  // TRICKY: a callback may drop the last reference to this state (its token
  // and its own registration): hold one until every callback has run.
  std::shared_ptr<TokenState> self = shared_from_this();
  if (t_dispatch != nullptr) {
    // std::stop_token waiters wake at once; callbacks run after the current one.
    RequestStop();
    t_dispatch->queue.push_back(std::move(self));
    return;
  }
  DispatchQueue dispatch;
  t_dispatch = &dispatch;
  struct Reset {
    ~Reset() { t_dispatch = nullptr; }
  } reset;
  RequestStop();
  RunCallbacks();
  while (!dispatch.queue.empty()) {
    std::shared_ptr<TokenState> next = std::move(dispatch.queue.front());
    dispatch.queue.pop_front();
    next->RunCallbacks();
  }
}

bool TokenState::Cancel(std::shared_ptr<const CancellationDetails> details) {
  if (!Mark(std::move(details))) return false;
  Dispatch();
  return true;
}

void TokenState::RunCallbacks() {
  std::vector<std::unique_ptr<LinkRegistration>> links;
  std::shared_ptr<const CancellationDetails> details;
  {
    internal::MutexLock lock(&mu_);
    links.swap(links_);
    details = details_;
  }
  // Once cancelled, this token's own links to its sources are moot.
  links.clear();
  for (;;) {
    CallbackNode* node;
    {
      internal::MutexLock lock(&mu_);
      node = head_;
      if (node == nullptr) break;
      UnlinkLocked(node);
      running_ = node;
      running_thread_ = std::this_thread::get_id();
    }
    // The node may be destroyed by its own callback: do not touch it after.
    InvokeCallback(node->fn, *details);
    internal::MutexLock lock(&mu_);
    running_ = nullptr;
    cv_.SignalAll();
  }
}

std::shared_ptr<const CancellationDetails> TokenState::details() const {
  internal::MutexLock lock(&mu_);
  return details_;
}

void TokenState::UnlinkLocked(CallbackNode* node) {
  (node->prev != nullptr ? node->prev->next : head_) = node->next;
  (node->next != nullptr ? node->next->prev : tail_) = node->prev;
  node->prev = node->next = nullptr;
  node->in_list = false;
  --pending_;
}

void TokenState::Register(CallbackNode* node) {
  std::shared_ptr<const CancellationDetails> details;
  {
    internal::MutexLock lock(&mu_);
    if (details_ == nullptr) {
      node->prev = tail_;
      node->next = nullptr;
      (tail_ != nullptr ? tail_->next : head_) = node;
      tail_ = node;
      node->in_list = true;
      ++pending_;
      return;
    }
    details = details_;
  }
  InvokeCallback(node->fn, *details);
}

void TokenState::Deregister(CallbackNode* node) {
  internal::MutexLock lock(&mu_);
  if (node->in_list) {
    UnlinkLocked(node);
    return;
  }
  // A callback destroying its own registration runs on running_thread_: it
  // must not wait for itself. Forget the node, whose memory may be reused.
  if (running_thread_ == std::this_thread::get_id()) {
    if (running_ == node) running_ = nullptr;
    return;
  }
  while (running_ == node) cv_.Wait(&mu_);
}

void TokenState::LinkTo(const std::shared_ptr<TokenState>& source, DetailsFactory make_details) {
  if (source.get() == this) return;  // a self-link can never fire first
  auto link = std::make_unique<LinkRegistration>();
  link->source = source;
  link->node.fn = [target = weak_from_this(), weak_source = link->source,
                   make = std::move(make_details)](const CancellationDetails&) {
    std::shared_ptr<TokenState> t = target.lock();
    std::shared_ptr<TokenState> s = weak_source.lock();
    if (t == nullptr || s == nullptr || t->cancelled()) return;
    // A factory may decline (an all-of input that is not the last).
    if (auto details = make(s->details(), t->id())) t->Cancel(std::move(details));
  };
  source->Register(&link->node);  // may run at once if the source is cancelled
  std::vector<std::unique_ptr<LinkRegistration>> expired;  // released unlocked
  {
    internal::MutexLock lock(&mu_);
    if (details_ == nullptr) {
      // Links to sources that died can never fire: drop them as we go.
      for (auto& l : links_) {
        if (l->source.expired()) expired.push_back(std::move(l));
      }
      links_.erase(std::remove(links_.begin(), links_.end(), nullptr), links_.end());
      links_.push_back(std::move(link));
      return;
    }
  }
  // Cancelled meanwhile: the link is moot; `link` deregisters outside our lock.
}

void TokenState::Wait() {
  internal::MutexLock lock(&mu_);
  while (details_ == nullptr) cv_.Wait(&mu_);
}

bool TokenState::WaitUntil(absl::Time deadline) {
  internal::MutexLock lock(&mu_);
  while (details_ == nullptr) {
    if (cv_.WaitWithDeadline(&mu_, deadline)) return details_ != nullptr;
  }
  return true;
}

std::stop_token TokenState::GetStopToken() {
  std::stop_source source;
  bool cancelled;
  {
    internal::MutexLock lock(&mu_);
    if (!stop_source_.has_value()) stop_source_.emplace();
    source = *stop_source_;
    cancelled = details_ != nullptr;
  }
  if (cancelled) source.request_stop();
  return source.get_token();
}

size_t TokenState::CallbackCount() const {
  internal::MutexLock lock(&mu_);
  return pending_;
}

}  // namespace internal

CancellationToken::CancellationToken() : CancellationToken(internal::NewUuid()) {}

CancellationToken::CancellationToken(std::string id)
    : CancellationToken(std::make_shared<internal::TokenState>(std::move(id))) {}

CancellationToken::CancellationToken(std::shared_ptr<internal::TokenState> state)
    : state_(std::move(state)), flag_(state_->flag()) {}

const std::string& CancellationToken::id() const { return state_->id(); }

bool CancellationToken::Cancel(CancelReason reason, std::string message,
                               std::shared_ptr<const CancellationDetails> cause) const {
  if (state_->cancelled()) return false;
  if (message.empty()) message = internal::kDefaultTokenMessage;
  return state_->Cancel(
      internal::MakeDetails(reason, std::move(message), state_->id(), std::move(cause)));
}

bool CancellationToken::CancelWithRecord(std::shared_ptr<const CancellationDetails> record) const {
  if (record == nullptr) {
    std::fputs("CancellationToken::CancelWithRecord: the record is null\n", stderr);
    std::abort();
  }
  return state_->Cancel(std::move(record));
}

std::shared_ptr<const CancellationDetails> CancellationToken::details() const {
  return state_->details();
}

std::optional<CancelReason> CancellationToken::reason() const {
  if (!state_->cancelled()) return std::nullopt;
  return state_->details()->reason;
}

absl::Status CancellationToken::Check() const {
  if (!state_->cancelled()) return absl::OkStatus();
  return CancellationStatus(*state_->details());
}

void CancellationToken::ThrowIfCancelled() const {
  if (state_->cancelled()) ThrowCancelledError(state_->details());
}

void CancellationToken::Wait() const { state_->Wait(); }

bool CancellationToken::WaitFor(absl::Duration timeout) const {
  return state_->WaitUntil(absl::Now() + timeout);
}

CancellationToken::Registration CancellationToken::OnCancel(CancelCallback fn) const {
  return Registration(std::make_unique<CancellationCallback>(*this, std::move(fn)));
}

std::stop_token CancellationToken::stop_token() const { return state_->GetStopToken(); }

CancellationToken CancellationToken::FromStopToken(std::stop_token stop) {
  CancellationToken token;
  auto on_stop = [weak = std::weak_ptr<internal::TokenState>(token.state_)] {
    if (std::shared_ptr<internal::TokenState> s = weak.lock()) {
      s->Cancel(internal::MakeDetails(CancelReason::kManual, "Stop requested", s->id(), nullptr));
    }
  };
  token.state_->Hold(
      std::make_shared<std::stop_callback<decltype(on_stop)>>(std::move(stop), std::move(on_stop)));
  return token;
}

std::string CancellationToken::ToString() const {
  std::shared_ptr<const CancellationDetails> d = details();
  return absl::StrCat(
      "CancellationToken(", internal::ShortId(id()), ", ",
      d == nullptr ? "active" : absl::StrCat("cancelled=", cancelable::ToString(d->reason)), ")");
}

size_t CancellationToken::CallbackCountForTest() const { return state_->CallbackCount(); }

void CancellationCallback::Register() { state_->Register(&node_); }

CancellationCallback::~CancellationCallback() { state_->Deregister(&node_); }

}  // namespace hother::cancelable
