// What the daemon knows of one operation, and the filters that select them.
//
// `Operation` is both the record in the graph and the snapshot handed out
// (copied under the graph's lock). Ids look like "7f3a9c01-42": this daemon
// instance's random prefix and a counter, so an id is never reused during a
// daemon's lifetime and a stale id from an earlier daemon cannot hit a new
// operation by accident.
//
// Thread-safety: plain values.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon/core/selector.h"
#include "hother/cancelable/cancel_reason.h"

namespace hother::cancelable::daemon {

enum class OpStatus {
  kRunning,
  kCancelling,  // cancel requested, owner not done yet
  kCompleted,
  kCancelled,
  kFailed,
  kTimeout,
  kLost,  // the owner's session ended first
};

absl::string_view ToString(OpStatus status);
bool IsFinished(OpStatus status);

struct Owner {
  uint64_t session_id = 0;
  std::string process_name;  // the client's word
  int64_t pid = 0;           // verified for a local (unix socket) client
  std::string host;
  // Who owns it, as the daemon verified it (principal.h): Principal::Key()
  // ("uid:1000", "cert:NAME", "unverified"), the uid (-1 when not a local
  // user) and the uid's name. What authorization compares.
  std::string principal;
  int64_t uid = -1;
  std::string user;
};

struct ProgressReport {
  std::string message;
  Labels metadata;
  absl::Time time;
};

// What an operation is, fixed when it is registered. Shared, never copied, by
// its record and every snapshot of it, so that an event (one per cancel of a
// CancelAll of 100,000) costs one small allocation rather than a copy of
// every string and label (docs/BENCHMARKS.md, fan-out). The owner is shared
// by every operation of its session.
struct OperationIdentity {
  std::string id;
  std::string name;
  Labels labels;
  Labels metadata;
  std::shared_ptr<const Owner> owner;
  std::string parent_id;
  absl::Time created_time;
  // Roughly what the strings and maps above take (set at registration): what
  // holding a snapshot of the operation costs, for the bounds of watchers.
  size_t weight = 0;
};

struct Operation {
  // Never null (an empty identity by default).
  std::shared_ptr<const OperationIdentity> identity = EmptyIdentity();
  const std::string& id() const { return identity->id; }
  const std::string& name() const { return identity->name; }
  const Labels& labels() const { return identity->labels; }
  const Labels& metadata() const { return identity->metadata; }
  const Owner& owner() const { return *identity->owner; }
  const std::string& parent_id() const { return identity->parent_id; }
  absl::Time created_time() const { return identity->created_time; }

  OpStatus status = OpStatus::kRunning;
  std::vector<std::string> child_ids;  // children still known (live, and finished ones kept)
  std::optional<absl::Time> finished_time;
  std::optional<absl::Time> deadline;
  std::shared_ptr<const CancellationDetails> cancel;  // with the cause chain
  std::optional<absl::Time> cancel_requested_time;
  // The owner's stream broke at this time and its lease still runs (a
  // snapshot's view; the owner may resume the session).
  std::optional<absl::Time> owner_disconnected_since;
  // Shared, not inline: most operations never report, and a million of them
  // should not each carry an empty report (docs/BENCHMARKS.md, scale).
  std::shared_ptr<const ProgressReport> last_progress;
  std::string error;

  static const std::shared_ptr<const OperationIdentity>& EmptyIdentity();
};

// Which operations a List, CancelAll or Watch applies to. Every set part
// must match.
struct OperationFilter {
  Selector selector;
  std::string selector_text;  // as given (what the store keeps)
  std::string name_glob;
  std::vector<OpStatus> statuses;  // any of; empty: all
  std::string owner;               // process name or decimal session id
  // Only operations whose owner is this principal (Owner::principal): what
  // a caller who is not an admin may cancel all of. Empty: any.
  std::string principal;

  bool empty() const {
    return selector.empty() && name_glob.empty() && statuses.empty() && owner.empty() &&
           principal.empty();
  }
  bool Matches(const Operation& op) const;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_OPERATION_H_
