// Journal: what the daemon's core tells its durable store, as it happens.
//
// Every change the core makes that must survive a restart (a named token
// created, cancelled, linked or deleted; an operation's cancellation record;
// a finished operation for the history; a selector cancel) is appended, in
// the order the core made it, while the core still holds its lock. Appending
// only queues: it never blocks and never fails. The store (store.h) commits
// what was appended in groups, and tells the service when a change is
// durable, so that an RPC's OK is sent only then.
//
//   journal.Append(journal::TokenPut{token});       // under the graph's lock
//   auto record = std::make_shared<CancellationDetails>();
//   record->record_id = journal.NewRecordId();      // a stored record's row
//
// Cancellation records are stored once each, with the row of their cause, so
// that a chain of any length costs one row per hop: each record is appended
// (with the change that attached it to its operation or token) before any
// record that names it as its cause.
//
// Thread-safety: implementations are thread-safe.
#ifndef HOTHER_CANCELABLE_DAEMON_STORE_JOURNAL_H_
#define HOTHER_CANCELABLE_DAEMON_STORE_JOURNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "daemon/core/operation.h"
#include "hother/cancelable/cancel_reason.h"

namespace hother::cancelable::daemon {

// A named token as stored: what it is, not what is attached to it (its links
// are rows of their own; its operations re-attach when they register).
struct StoredToken {
  std::string name;
  Labels labels;
  absl::Time created_time;
  std::optional<absl::Time> deadline;
  std::vector<std::string> all_of;
  std::shared_ptr<const CancellationDetails> cancel;
  std::string creator;  // Principal::Key() of who created it ("" before principals)
};

// A CancelAll, kept so that operations that were live before it and
// register again after a restart are matched as they would have been.
struct StoredSelectorCancel {
  std::string selector;  // OperationFilter's parts, as given
  std::string name_glob;
  std::vector<OpStatus> statuses;
  std::string owner;
  std::string message;
  std::string actor;
  absl::Time time;
  // The operations it could reach: those registered before it, i.e. whose
  // id's epoch and number come before these.
  uint32_t epoch = 0;
  uint64_t next_number = 0;
  std::string principal;  // OperationFilter::principal: narrowed to its caller's
};

namespace journal {

struct TokenPut {  // created, cancelled, deadline set, all-of inputs changed
  StoredToken token;
};
struct TokenDeleted {
  std::string name;  // with its links
};
struct LinkPut {
  std::string source;
  std::string target;
};
// An operation's cancellation record (record->origin_id is the operation).
struct OperationCancelled {
  std::shared_ptr<const CancellationDetails> record;
};
// A finished (or lost) operation, for the history; `order` sorts the
// history as the daemon lists it (registration order, across epochs).
struct OperationFinished {
  std::shared_ptr<const Operation> operation;
  int64_t order = 0;
};
struct SelectorCancelled {
  StoredSelectorCancel cancel;
};

}  // namespace journal

using Mutation = std::variant<journal::TokenPut, journal::TokenDeleted, journal::LinkPut,
                              journal::OperationCancelled, journal::OperationFinished,
                              journal::SelectorCancelled>;

class Journal {
 public:
  virtual ~Journal() = default;
  // Queues `mutation`; called under the core's lock, in the core's order.
  virtual void Append(Mutation mutation) = 0;
  // A fresh record id (CancellationDetails::record_id): never one in use.
  virtual uint64_t NewRecordId() = 0;

  // A journal that keeps nothing (tests of the core that need no store).
  static Journal& Discard();
};

// The history's order key of operation `number` of epoch `epoch` (epochs
// stay below 2^22, store.h; numbers below 2^40).
inline int64_t HistoryOrder(uint32_t epoch, uint64_t number) {
  return static_cast<int64_t>((static_cast<uint64_t>(epoch) << 40) | (number & ((1ull << 40) - 1)));
}

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_STORE_JOURNAL_H_
