// MemoryBackend: the state store's rows in memory. With `--state-dir none`
// the daemon keeps nothing across a restart, so it runs with a backend that
// keeps nothing (Ephemeral); tests open one that keeps its rows (Retaining)
// and run the store's whole suite against it and against SQLite alike.
//
// Thread-safety: as StoreBackend (one caller at a time).
#ifndef HOTHER_CANCELABLE_DAEMON_STORE_MEMORY_BACKEND_H_
#define HOTHER_CANCELABLE_DAEMON_STORE_MEMORY_BACKEND_H_

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "daemon/store/backend.h"

namespace hother::cancelable::daemon {

class MemoryBackend : public StoreBackend {
 public:
  // Keeps nothing: every Open finds an empty store with a random epoch.
  static std::unique_ptr<MemoryBackend> Ephemeral();
  // Keeps its rows for the next Open (of this object).
  static std::unique_ptr<MemoryBackend> Retaining();

  absl::StatusOr<StoredRows> Open(absl::Time now, const Retention& retention) override;
  absl::Status Commit(const std::vector<RowChange>& changes, uint64_t event_sequence,
                      const Retention& retention) override;
  absl::Status MarkCleanShutdown(uint64_t event_sequence) override;
  std::string Describe() const override { return "memory"; }

 private:
  explicit MemoryBackend(bool retain) : retain_(retain) {}
  void Apply(const RowChange& change);
  void Prune(absl::Time now, const Retention& retention);

  const bool retain_;
  uint32_t epoch_ = 0;
  uint64_t event_sequence_ = 0;
  bool clean_ = false;
  absl::btree_map<uint64_t, RecordRow> records_;
  absl::btree_map<std::string, TokenRow> tokens_;
  std::set<std::pair<std::string, std::string>> links_;
  absl::btree_map<int64_t, HistoryRow> history_;
  std::deque<StoredSelectorCancel> selector_cancels_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_STORE_MEMORY_BACKEND_H_
