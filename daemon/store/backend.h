// StoreBackend: where the state store's rows live. Two: SQLite in a state
// directory (sqlite_backend.h) and memory (memory_backend.h, for
// `--state-dir none`, and so that the store's tests run against both).
//
//   std::unique_ptr<StoreBackend> backend = ...;
//   absl::StatusOr<StoredRows> rows = backend->Open(now, retention);  // once
//   backend->Commit(changes, event_sequence, now);   // one transaction
//
// Thread-safety: not thread-safe; the store calls it from one thread at a
// time (its committer, after Open).
#ifndef HOTHER_CANCELABLE_DAEMON_STORE_BACKEND_H_
#define HOTHER_CANCELABLE_DAEMON_STORE_BACKEND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/store/rows.h"

namespace hother::cancelable::daemon {

// How long things are kept (StoreOptions).
struct Retention {
  size_t history = 10'000;                           // finished operations, newest
  absl::Duration history_age = absl::Hours(24 * 7);  // ...and not older
  absl::Duration cancels = absl::Hours(24);          // records and selector cancels
};

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  // Reads what is kept (dropping what retention no longer keeps), and begins
  // a new epoch: the returned rows' epoch is the new one, already durable.
  // DATA_LOSS or FAILED_PRECONDITION, naming the file, when it cannot be
  // read; nothing is changed then.
  [[nodiscard]] virtual absl::StatusOr<StoredRows> Open(absl::Time now,
                                                        const Retention& retention) = 0;
  // Applies `changes` in order, all or none; keeps the history within
  // retention.history. `event_sequence` is the event log's at the time.
  [[nodiscard]] virtual absl::Status Commit(const std::vector<RowChange>& changes,
                                            uint64_t event_sequence,
                                            const Retention& retention) = 0;
  // Records a clean stop: `event_sequence` is the last event of this epoch.
  [[nodiscard]] virtual absl::Status MarkCleanShutdown(uint64_t event_sequence) = 0;
  // "sqlite /var/lib/canceld/state.db" or "memory": for messages.
  virtual std::string Describe() const = 0;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_STORE_BACKEND_H_
