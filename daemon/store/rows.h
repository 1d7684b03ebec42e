// The rows of the state store: what a backend (SQLite, or memory) keeps, and
// the two conversions every backend shares: the journal's mutations into
// rows (each cancellation record once, naming its cause by id) and the rows
// read back into the state the core restores (records relinked into their
// chains, each hop built once however many records share it).
//
// Thread-safety: plain values and stateless functions.
#ifndef HOTHER_CANCELABLE_DAEMON_STORE_ROWS_H_
#define HOTHER_CANCELABLE_DAEMON_STORE_ROWS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/store/journal.h"

namespace hother::cancelable::daemon {

struct RecordRow {
  uint64_t id = 0;
  bool of_token = false;  // else of an operation
  std::string subject;    // the operation's id or the token's name (origin_id)
  CancelReason reason = CancelReason::kManual;
  std::string message;
  absl::Time time;
  std::string actor;
  uint64_t cause = 0;  // 0: a root
};

// A named token; `token.cancel` is unset (it is `cancel`'s row).
struct TokenRow {
  StoredToken token;
  uint64_t cancel = 0;  // its record's id; 0: not cancelled
};

struct TokenDeletedRow {
  std::string name;
};

struct LinkRow {
  std::string source;
  std::string target;
};

// A finished operation; `operation.cancel` is unset (it is `cancel`'s row).
struct HistoryRow {
  int64_t order = 0;
  Operation operation;
  uint64_t cancel = 0;
};

struct SelectorCancelRow {
  StoredSelectorCancel cancel;
};

using RowChange =
    std::variant<RecordRow, TokenRow, TokenDeletedRow, LinkRow, HistoryRow, SelectorCancelRow>;

// Everything a backend holds, as read at start.
struct StoredRows {
  uint32_t epoch = 0;  // the previous run's (0: a new store)
  uint64_t event_sequence = 0;
  bool clean_shutdown = false;
  std::vector<RecordRow> records;
  std::vector<TokenRow> tokens;
  std::vector<LinkRow> links;
  std::vector<HistoryRow> history;  // by order
  std::vector<StoredSelectorCancel> selector_cancels;
};

// What the core restores at start (OperationGraph::Restore).
struct StoredState {
  uint32_t epoch = 0;           // this run's
  uint64_t event_sequence = 0;  // the last the previous run stored
  bool clean_shutdown = false;  // ...and it is exact: the run stopped cleanly
  uint64_t next_record_id = 1;
  std::vector<StoredToken> tokens;  // by name
  std::vector<std::pair<std::string, std::string>> links;
  std::vector<std::pair<int64_t, Operation>> history;  // by order, oldest first
  // Records of operations that were live (not finished) when the previous
  // run ended: they start cancelled when their owners register them again.
  std::vector<std::shared_ptr<const CancellationDetails>> pending_cancels;
  std::vector<StoredSelectorCancel> selector_cancels;
};

// The rows of `mutation`, appended to `out`. A record's row may come more
// than once (a cancel, then the finish that carries it): backends keep the
// first.
void ToRows(const Mutation& mutation, std::vector<RowChange>& out);

// The state in `rows`. DATA_LOSS naming the row when a record names a cause
// that is not there, or a cycle of causes.
absl::StatusOr<StoredState> Assemble(StoredRows rows);

// The epoch after `previous` (0: a new store, whose first epoch is random,
// so that ids of a store that was reset are not those of the one before).
// Epochs stay below 2^22 (HistoryOrder).
uint32_t NextEpoch(uint32_t previous);

// Lists of strings and label maps as one blob each (length-prefixed), for a
// column; Decode* fail with DATA_LOSS on a damaged blob.
std::string EncodeStrings(const std::vector<std::string>& strings);
absl::StatusOr<std::vector<std::string>> DecodeStrings(absl::string_view blob);
std::string EncodeLabels(const Labels& labels);
absl::StatusOr<Labels> DecodeLabels(absl::string_view blob);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_STORE_ROWS_H_
