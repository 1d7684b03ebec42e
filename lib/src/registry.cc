#include "hother/cancelable/registry.h"

#include <fnmatch.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace hother::cancelable {

bool OperationFilter::Matches(const OperationContext& context) const {
  if (status.has_value() && context.status != *status) return false;
  if (parent_id.has_value() && context.parent_id != *parent_id) return false;
  if (!name_pattern.empty() && fnmatch(name_pattern.c_str(), context.name.c_str(), 0) != 0) {
    return false;
  }
  if (label.has_value()) {
    auto it = context.metadata.find(label->first);
    if (it == context.metadata.end() || it->second != label->second) return false;
  }
  return true;
}

OperationRegistry::OperationRegistry(size_t history_limit) : history_limit_(history_limit) {}

OperationRegistry& OperationRegistry::Global() {
  static OperationRegistry* const registry = new OperationRegistry();
  return *registry;
}

absl::Status OperationRegistry::Register(const Cancelable& op) {
  internal::MutexLock lock(&mu_);
  auto [it, inserted] = active_.try_emplace(op.id(), op);
  if (!inserted) {
    return absl::AlreadyExistsError(
        absl::StrCat("an operation with id '", op.id(), "' is already registered"));
  }
  return absl::OkStatus();
}

void OperationRegistry::Unregister(const std::string& id) {
  std::optional<Cancelable> op;
  {
    internal::MutexLock lock(&mu_);
    auto it = active_.find(id);
    if (it == active_.end()) return;
    op = std::move(it->second);
    active_.erase(it);
  }
  OperationContext snapshot = op->context();  // outside our lock
  internal::MutexLock lock(&mu_);
  history_.push_back(std::move(snapshot));
  while (history_.size() > history_limit_) history_.pop_front();
}

std::optional<OperationContext> OperationRegistry::Get(const std::string& id) const {
  std::optional<Cancelable> op;
  {
    internal::MutexLock lock(&mu_);
    auto it = active_.find(id);
    if (it == active_.end()) return std::nullopt;
    op = it->second;
  }
  return op->context();
}

std::vector<Cancelable> OperationRegistry::Matching(const OperationFilter& filter) const {
  std::vector<Cancelable> all;
  {
    internal::MutexLock lock(&mu_);
    all.reserve(active_.size());
    for (const auto& [id, op] : active_) all.push_back(op);
  }
  std::vector<Cancelable> out;
  for (Cancelable& op : all) {
    if (filter.Matches(op.context())) out.push_back(std::move(op));
  }
  return out;
}

std::vector<OperationContext> OperationRegistry::List(const OperationFilter& filter) const {
  std::vector<OperationContext> out;
  for (const Cancelable& op : Matching(filter)) out.push_back(op.context());
  return out;
}

bool OperationRegistry::Cancel(const std::string& id, CancelReason reason, std::string message) {
  std::optional<Cancelable> op;
  {
    internal::MutexLock lock(&mu_);
    auto it = active_.find(id);
    if (it == active_.end()) return false;
    op = it->second;
  }
  return op->Cancel(reason, std::move(message));
}

size_t OperationRegistry::CancelAll(const OperationFilter& filter, CancelReason reason,
                                    std::string message) {
  size_t count = 0;
  for (Cancelable& op : Matching(filter)) count += op.Cancel(reason, message) ? 1 : 0;
  return count;
}

std::vector<OperationContext> OperationRegistry::History(size_t limit,
                                                         std::optional<OperationStatus> status,
                                                         std::optional<absl::Time> since) const {
  internal::MutexLock lock(&mu_);
  std::vector<OperationContext> out;
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (limit != 0 && out.size() >= limit) break;
    if (status.has_value() && it->status != *status) continue;
    if (since.has_value() && (!it->end_time || *it->end_time < *since)) continue;
    out.push_back(*it);
  }
  return out;
}

size_t OperationRegistry::CleanupCompleted(absl::Duration older_than, bool keep_failed) {
  const absl::Time cutoff = absl::Now() - older_than;
  internal::MutexLock lock(&mu_);
  size_t before = history_.size();
  history_.erase(std::remove_if(history_.begin(), history_.end(),
                                [&](const OperationContext& c) {
                                  if (!c.is_terminal()) return false;
                                  if (keep_failed && c.status == OperationStatus::kFailed) {
                                    return false;
                                  }
                                  return c.end_time.has_value() && *c.end_time <= cutoff;
                                }),
                 history_.end());
  return before - history_.size();
}

RegistryStatistics OperationRegistry::Statistics() const {
  RegistryStatistics stats;
  std::vector<Cancelable> active = Matching({});
  stats.active = active.size();
  for (const Cancelable& op : active) ++stats.active_by_status[op.context().status];
  internal::MutexLock lock(&mu_);
  stats.history_size = history_.size();
  absl::Duration total;
  for (const OperationContext& c : history_) {
    ++stats.history_by_status[c.status];
    if (c.status == OperationStatus::kCompleted) {
      ++stats.total_completed;
      total += c.duration().value_or(absl::ZeroDuration());
    }
  }
  if (stats.total_completed > 0) {
    stats.average_completed_duration = total / static_cast<int64_t>(stats.total_completed);
  }
  return stats;
}

void OperationRegistry::Clear() {
  absl::flat_hash_map<std::string, Cancelable> active;  // released after the lock
  internal::MutexLock lock(&mu_);
  active.swap(active_);
  history_.clear();
}

}  // namespace hother::cancelable
