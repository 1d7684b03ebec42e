#include "daemon/store/memory_backend.h"

#include <type_traits>

#include "absl/container/flat_hash_set.h"

namespace hother::cancelable::daemon {

std::unique_ptr<MemoryBackend> MemoryBackend::Ephemeral() {
  return std::unique_ptr<MemoryBackend>(new MemoryBackend(/*retain=*/false));
}

std::unique_ptr<MemoryBackend> MemoryBackend::Retaining() {
  return std::unique_ptr<MemoryBackend>(new MemoryBackend(/*retain=*/true));
}

absl::StatusOr<StoredRows> MemoryBackend::Open(absl::Time now, const Retention& retention) {
  Prune(now, retention);
  epoch_ = NextEpoch(retain_ ? epoch_ : 0);
  StoredRows rows;
  rows.epoch = epoch_;
  rows.event_sequence = event_sequence_;
  rows.clean_shutdown = clean_;
  clean_ = false;
  for (const auto& [id, row] : records_) rows.records.push_back(row);
  for (const auto& [name, row] : tokens_) rows.tokens.push_back(row);
  for (const auto& [source, target] : links_) rows.links.push_back(LinkRow{source, target});
  for (const auto& [order, row] : history_) rows.history.push_back(row);
  rows.selector_cancels.assign(selector_cancels_.begin(), selector_cancels_.end());
  return rows;
}

void MemoryBackend::Apply(const RowChange& change) {
  std::visit(
      [&](const auto& row) {
        using T = std::decay_t<decltype(row)>;
        if constexpr (std::is_same_v<T, RecordRow>) {
          records_.try_emplace(row.id, row);  // the first row of a record stays
        } else if constexpr (std::is_same_v<T, TokenRow>) {
          tokens_.insert_or_assign(row.token.name, row);
        } else if constexpr (std::is_same_v<T, TokenDeletedRow>) {
          tokens_.erase(row.name);
          for (auto it = links_.begin(); it != links_.end();) {
            it = it->first == row.name || it->second == row.name ? links_.erase(it) : ++it;
          }
        } else if constexpr (std::is_same_v<T, LinkRow>) {
          links_.emplace(row.source, row.target);
        } else if constexpr (std::is_same_v<T, HistoryRow>) {
          history_.insert_or_assign(row.order, row);
        } else {
          selector_cancels_.push_back(row.cancel);
        }
      },
      change);
}

absl::Status MemoryBackend::Commit(const std::vector<RowChange>& changes, uint64_t event_sequence,
                                   const Retention& retention) {
  if (!retain_) return absl::OkStatus();
  for (const RowChange& change : changes) Apply(change);
  while (history_.size() > retention.history) history_.erase(history_.begin());
  event_sequence_ = event_sequence;
  return absl::OkStatus();
}

absl::Status MemoryBackend::MarkCleanShutdown(uint64_t event_sequence) {
  event_sequence_ = event_sequence;
  clean_ = true;
  return absl::OkStatus();
}

void MemoryBackend::Prune(absl::Time now, const Retention& retention) {
  const absl::Time history_cutoff = now - retention.history_age;
  const absl::Time cancel_cutoff = now - retention.cancels;
  while (history_.size() > retention.history) history_.erase(history_.begin());
  absl::flat_hash_set<std::string> finished;
  for (auto it = history_.begin(); it != history_.end();) {
    const std::optional<absl::Time>& at = it->second.operation.finished_time;
    if (at.has_value() && *at < history_cutoff) {
      it = history_.erase(it);
    } else {
      finished.insert(it->second.operation.id());
      ++it;
    }
  }
  while (!selector_cancels_.empty() && selector_cancels_.front().time < cancel_cutoff) {
    selector_cancels_.pop_front();
  }
  // The records still named (by a token, the history, or a record kept),
  // and the pending records of live operations within retention.
  std::vector<uint64_t> keep;
  for (const auto& [name, row] : tokens_) keep.push_back(row.cancel);
  for (const auto& [order, row] : history_) keep.push_back(row.cancel);
  for (const auto& [id, row] : records_) {
    if (!row.of_token && !finished.contains(row.subject) && row.time >= cancel_cutoff) {
      keep.push_back(id);
    }
  }
  absl::flat_hash_set<uint64_t> kept;
  while (!keep.empty()) {
    uint64_t id = keep.back();
    keep.pop_back();
    if (id == 0 || !kept.insert(id).second) continue;
    if (auto it = records_.find(id); it != records_.end()) keep.push_back(it->second.cause);
  }
  for (auto it = records_.begin(); it != records_.end();) {
    it = kept.contains(it->first) ? std::next(it) : records_.erase(it);
  }
}

}  // namespace hother::cancelable::daemon
