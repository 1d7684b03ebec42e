// OperationGraph's named tokens: create, link (refusing cycles), all-of,
// cancel (walking tokens and attached operations), and deadlines of tokens
// and operations.
#include <algorithm>
#include <deque>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/core/cause_text.h"
#include "daemon/core/operation_graph.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/internal/status_macros.h"

namespace hother::cancelable::daemon {
namespace {

std::vector<std::string> Sorted(const absl::flat_hash_set<std::string>& set) {
  std::vector<std::string> out(set.begin(), set.end());
  std::sort(out.begin(), out.end());
  return out;
}

// The first kMaxTokenViewList of `set`, by name; `count` is its size.
std::vector<std::string> Listed(const absl::flat_hash_set<std::string>& set, size_t& count) {
  count = set.size();
  std::vector<std::string> out(set.begin(), set.end());
  if (out.size() > kMaxTokenViewList) {
    std::nth_element(out.begin(), out.begin() + kMaxTokenViewList, out.end());
    out.resize(kMaxTokenViewList);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

OperationGraph::TokenRecord* OperationGraph::FindTokenLocked(const std::string& name) const {
  auto it = tokens_.find(name);
  return it == tokens_.end() ? nullptr : it->second.get();
}

absl::StatusOr<std::vector<OperationGraph::TokenRecord*>> OperationGraph::FindTokensLocked(
    const std::vector<std::string>& names, absl::string_view field) const {
  std::vector<TokenRecord*> found;
  for (size_t i = 0; i < names.size(); ++i) {
    TokenRecord* token = FindTokenLocked(names[i]);
    if (token == nullptr) {
      return absl::NotFoundError(absl::StrCat(field, "[", i, "]: no token '", names[i], "'"));
    }
    found.push_back(token);
  }
  return found;
}

void OperationGraph::JournalTokenLocked(const TokenRecord& token) {
  journal_.Append(journal::TokenPut{
      StoredToken{token.view.name, token.view.labels, token.view.created_time, token.view.deadline,
                  token.view.all_of, token.view.cancel, token.view.creator}});
}

TokenView OperationGraph::TokenViewLocked(const TokenRecord& token) const {
  TokenView view = token.view;
  view.sources = Listed(token.sources, view.source_count);
  view.targets = Listed(token.targets, view.target_count);
  view.operation_ids = Listed(token.operations, view.operation_count);
  return view;
}

absl::StatusOr<TokenView> OperationGraph::CreateToken(TokenSpec spec) {
  Change change(this);
  Outbox& out = change.out();
  TokenView result;
  if (tokens_.contains(spec.name)) {
    return absl::AlreadyExistsError(absl::StrCat("a token named '", spec.name, "' exists"));
  }
  if (tokens_.size() >= options_.max_tokens) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the daemon holds its maximum of ", options_.max_tokens,
                     " named tokens (--max-tokens); delete some with `cancelctl tokens delete`"));
  }
  CANCELABLE_ASSIGN_OR_RETURN(std::vector<TokenRecord*> inputs,
                              FindTokensLocked(spec.all_of, "all_of"));
  auto token = std::make_unique<TokenRecord>();
  TokenRecord& t = *token;
  t.view.name = spec.name;
  t.view.labels = std::move(spec.labels);
  t.view.created_time = clock_.Now();
  t.view.all_of = spec.all_of;
  t.view.creator = std::move(spec.creator);
  std::sort(t.view.all_of.begin(), t.view.all_of.end());
  if (spec.timeout.has_value()) {
    t.view.deadline = t.view.created_time + *spec.timeout;
    t.deadline_timer = TokenDeadlineTimer(spec.name, *t.view.deadline);
  }
  tokens_.emplace(spec.name, std::move(token));
  JournalTokenLocked(t);
  std::shared_ptr<const CancellationDetails> last_input;
  for (TokenRecord* input : inputs) {
    input->all_of_outputs.insert(t.view.name);
    if (input->view.cancel == nullptr) {
      t.all_of_pending.insert(input->view.name);
    } else {
      last_input = input->view.cancel;
    }
  }
  // Every input already cancelled: so is the all-of token.
  if (!inputs.empty() && t.all_of_pending.empty()) {
    CancelTokenLocked(
        t,
        MakeRecord(CancelReason::kParent, AllInputsCancelledText(inputs.size(), t.view.name),
                   clock_.Now(), t.view.name, last_input->actor, last_input),
        out);
  }
  result = TokenViewLocked(t);
  return result;
}

absl::StatusOr<TokenView> OperationGraph::GetToken(const std::string& name) const {
  internal::MutexLock lock(&mu_);
  TokenRecord* token = FindTokenLocked(name);
  if (token == nullptr) return NoToken(name);
  return TokenViewLocked(*token);
}

TokenPage OperationGraph::ListTokens(const Selector& selector, size_t page_size,
                                     const std::string& page_token) const {
  internal::MutexLock lock(&mu_);
  TokenPage page;
  for (auto it = tokens_.lower_bound(page_token); it != tokens_.end(); ++it) {
    if (!selector.Matches(it->second->view.labels)) continue;
    if (page.tokens.size() == page_size) {
      page.next_page_token = it->first;
      break;
    }
    page.tokens.push_back(TokenViewLocked(*it->second));
  }
  return page;
}

size_t OperationGraph::token_count() const {
  internal::MutexLock lock(&mu_);
  return tokens_.size();
}

absl::StatusOr<size_t> OperationGraph::DeleteToken(const std::string& name, bool force) {
  Change change(this);
  Outbox& out = change.out();
  auto found = tokens_.find(name);
  if (found == tokens_.end()) return NoToken(name);
  TokenRecord& token = *found->second;
  const size_t attached = token.operations.size();
  if (attached > 0 && !force) {
    return absl::FailedPreconditionError(
        absl::StrCat("token '", name, "' has ", attached,
                     " live operations attached; finish them first or delete with force"));
  }
  for (const std::string& id : token.operations) {
    if (Record* rec = FindLocked(id)) std::erase(rec->tokens, name);
  }
  for (const std::string& source : token.sources) {
    if (TokenRecord* s = FindTokenLocked(source)) s->targets.erase(name);
  }
  for (const std::string& target : token.targets) {
    if (TokenRecord* t = FindTokenLocked(target)) t->sources.erase(name);
  }
  // As an all-of input: its outputs wait for their other inputs only.
  for (const std::string& output : token.all_of_outputs) {
    if (TokenRecord* o = FindTokenLocked(output)) {
      o->all_of_pending.erase(name);
      std::erase(o->view.all_of, name);
      JournalTokenLocked(*o);
    }
  }
  // As an all-of output: its inputs no longer feed it.
  for (const std::string& input : token.view.all_of) {
    if (TokenRecord* i = FindTokenLocked(input)) i->all_of_outputs.erase(name);
  }
  out.timers.push_back(std::move(token.deadline_timer));
  tokens_.erase(found);
  journal_.Append(journal::TokenDeleted{name});
  return attached;
}

void OperationGraph::MarkTokenCancelledLocked(TokenRecord& token,
                                              std::shared_ptr<const CancellationDetails> details,
                                              Outbox& out) {
  token.view.cancel = std::move(details);
  out.timers.push_back(std::move(token.deadline_timer));
  if (token.view.deadline.has_value() && *token.view.deadline > token.view.cancel->time) {
    token.view.deadline.reset();  // it will not fire: a cancelled token shows none
  }
  JournalTokenLocked(token);
}

std::pair<int, int> OperationGraph::CancelTokenLocked(
    TokenRecord& root, std::shared_ptr<const CancellationDetails> details, Outbox& out) {
  int tokens = 0;
  int operations = 0;
  MarkTokenCancelledLocked(root, std::move(details), out);
  std::deque<TokenRecord*> queue = {&root};
  // Breadth-first over tokens: each cancels its attached operations (and,
  // through them, their descendants), its link targets and its all-of outputs.
  while (!queue.empty()) {
    TokenRecord* token = queue.front();
    queue.pop_front();
    ++tokens;
    const std::string& name = token->view.name;
    for (const std::string& id : Sorted(token->operations)) {
      Record* rec = FindLocked(id);
      if (rec == nullptr || IsFinished(rec->op.status) || rec->op.cancel != nullptr) continue;
      MarkCancelledLocked(*rec,
                          MakeRecord(CancelReason::kParent, TokenCancelledText(name), clock_.Now(),
                                     id, token->view.cancel->actor, token->view.cancel),
                          out);
      operations += 1 + CascadeLocked(*rec, CancelReason::kParent, token->view.cancel->actor, out);
    }
    // The tokens this one reaches, in order (marked below, under the lock).
    std::vector<std::pair<TokenRecord*, std::string>> reached;
    for (const std::string& target : Sorted(token->targets)) {
      if (TokenRecord* next = FindTokenLocked(target)) {
        reached.emplace_back(next, LinkedTokenCancelledText(name));
      }
    }
    for (const std::string& output : Sorted(token->all_of_outputs)) {
      TokenRecord* next = FindTokenLocked(output);
      if (next == nullptr || next->all_of_pending.erase(name) == 0) continue;
      if (next->all_of_pending.empty()) {
        reached.emplace_back(next, AllInputsCancelledText(next->view.all_of.size(), output));
      }
    }
    for (auto& [next, message] : reached) {
      if (next->view.cancel != nullptr) continue;
      MarkTokenCancelledLocked(
          *next,
          MakeRecord(CancelReason::kParent, std::move(message), clock_.Now(), next->view.name,
                     token->view.cancel->actor, token->view.cancel),
          out);
      queue.push_back(next);
    }
  }
  return {tokens, operations};
}

absl::StatusOr<TokenCancelResult> OperationGraph::CancelToken(const std::string& name,
                                                              std::string message,
                                                              std::string actor) {
  Change change(this);
  Outbox& out = change.out();
  TokenCancelResult result;
  TokenRecord* token = FindTokenLocked(name);
  if (token == nullptr) return NoToken(name);
  if (token->view.cancel == nullptr) {
    if (message.empty()) message = ManualMessage();
    auto [tokens, operations] =
        CancelTokenLocked(*token,
                          MakeRecord(CancelReason::kManual, std::move(message), clock_.Now(), name,
                                     std::move(actor), nullptr),
                          out);
    result.first = true;
    result.tokens_reached = tokens;
    result.operations_reached = operations;
  }
  result.token = TokenViewLocked(*token);
  return result;
}

std::vector<std::string> OperationGraph::TokenPathLocked(const std::string& from,
                                                         const std::string& to) const {
  // Breadth-first along cancel edges (links and all-of outputs), keeping
  // where each token was reached from, to name the path.
  absl::flat_hash_map<std::string, std::string> came_from = {{from, ""}};
  std::deque<std::string> queue = {from};
  while (!queue.empty()) {
    std::string current = queue.front();
    queue.pop_front();
    if (current == to) {
      std::vector<std::string> path;
      for (std::string at = to; !at.empty(); at = came_from[at]) path.push_back(at);
      std::reverse(path.begin(), path.end());
      return path;
    }
    const TokenRecord* token = FindTokenLocked(current);
    if (token == nullptr) continue;
    for (const auto* edges : {&token->targets, &token->all_of_outputs}) {
      for (const std::string& next : *edges) {
        if (came_from.try_emplace(next, current).second) queue.push_back(next);
      }
    }
  }
  return {};
}

absl::StatusOr<TokenView> OperationGraph::LinkTokens(const std::string& source,
                                                     const std::string& target) {
  Change change(this);
  Outbox& out = change.out();
  TokenView result;
  TokenRecord* from = FindTokenLocked(source);
  if (from == nullptr) return NoToken(source);
  TokenRecord* to = FindTokenLocked(target);
  if (to == nullptr) return NoToken(target);
  if (source == target) {
    return absl::FailedPreconditionError(
        absl::StrCat("linking '", source, "' to itself would make a cycle"));
  }
  // source -> target closes a cycle when source is already reachable from target.
  std::vector<std::string> back = TokenPathLocked(target, source);
  if (!back.empty()) {
    back.push_back(target);
    return absl::FailedPreconditionError(absl::StrCat("linking ", source, " -> ", target,
                                                      " would close the cycle ",
                                                      absl::StrJoin(back, " -> ")));
  }
  from->targets.insert(target);
  to->sources.insert(source);
  journal_.Append(journal::LinkPut{source, target});
  if (from->view.cancel != nullptr && to->view.cancel == nullptr) {
    CancelTokenLocked(*to,
                      MakeRecord(CancelReason::kParent, LinkedTokenCancelledText(source),
                                 clock_.Now(), target, from->view.cancel->actor, from->view.cancel),
                      out);
  }
  result = TokenViewLocked(*to);
  return result;
}

}  // namespace hother::cancelable::daemon
