// What goes into the operation graph and what comes out of it: the specs of
// a registration and of a named token, the views and results handed back,
// the deliveries of cancels to sessions, and the graph's options. Plain
// values (no gRPC); the service converts them to and from the wire.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_GRAPH_TYPES_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_GRAPH_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "daemon/core/operation.h"
#include "hother/cancelable/cancel_reason.h"

namespace hother::cancelable::daemon {

struct RegisterSpec {
  std::string name;
  Labels labels;
  Labels metadata;
  std::string parent_id;
  std::optional<absl::Duration> timeout;
  // The timeout as its user gave it, when `timeout` is what is left of it
  // (the SDK's registration after a reconnect): the text of the cancel says
  // this one, as the SDK's own copy of the deadline does.
  std::optional<absl::Duration> stated_timeout;
  std::string previous_id;          // after a reconnect
  std::vector<std::string> tokens;  // named tokens to attach to
  std::vector<int> signals;         // daemon signals that cancel it
};

// A named token: a cancellation flag services share ("deploy-42").
struct TokenSpec {
  std::string name;
  Labels labels;
  std::optional<absl::Duration> timeout;
  std::vector<std::string> all_of;  // set: cancelled once all of these are
  std::string creator;              // Principal::Key() of the caller
};

struct TokenView {
  std::string name;
  Labels labels;
  absl::Time created_time;
  std::optional<absl::Time> deadline;
  std::shared_ptr<const CancellationDetails> cancel;
  std::vector<std::string> sources;  // tokens whose cancel cancels this one
  std::vector<std::string> targets;  // tokens this one cancels
  std::vector<std::string> all_of;
  std::string creator;  // Principal::Key() of who created it ("" if unknown)
  // Live operations attached: the first kMaxTokenViewList by id, and how
  // many there are; the same for sources and targets.
  std::vector<std::string> operation_ids;
  size_t operation_count = 0;
  size_t source_count = 0;
  size_t target_count = 0;
};

// How many ids (attached operations, sources, targets) a token's view lists,
// so that one token's view stays small however much is attached to it.
inline constexpr size_t kMaxTokenViewList = 1000;

struct TokenPage {
  std::vector<TokenView> tokens;  // by name
  std::string next_page_token;    // the name the next page starts at; empty: last
};

struct TokenCancelResult {
  bool first = false;
  int tokens_reached = 0;
  int operations_reached = 0;
  TokenView token;
};

struct RegisterResult {
  std::string id;
  std::shared_ptr<const CancellationDetails> cancelled;  // set: starts cancelled
};

struct CancelResult {
  bool first = false;
  int reached = 0;
  // Not first: operations still cancelling whose records went to their
  // owners again (a cancel is never recorded but left undelivered).
  int resent = 0;
  Operation operation;
};

struct CancelAllResult {
  int64_t matched = 0;            // every live match
  std::vector<Operation> listed;  // the oldest of them, at most `list_at_most`
  int cancelled = 0;
};

struct CancelDelivery {
  std::string operation_id;
  std::shared_ptr<const CancellationDetails> details;
};

// Something held for an operation's life (its condition subscriptions):
// destroyed when the operation ends (OperationGraph::Hold), never under the
// graph's lock.
class OperationResource {
 public:
  virtual ~OperationResource() = default;
};

// Receives the cancellations each session must hear about.
class CancelListener {
 public:
  virtual ~CancelListener() = default;
  virtual void DeliverCancels(uint64_t session_id, std::vector<CancelDelivery> items) = 0;
};

struct GraphOptions {
  size_t max_operations = 1'000'000;  // live ones; RESOURCE_EXHAUSTED beyond
  size_t finished_retention = 10'000;
  size_t max_tokens = 100'000;  // named tokens; RESOURCE_EXHAUSTED beyond
  // The first part of every id (a store's epoch); 0: a random one.
  uint32_t epoch = 0;
  // After a restart, how long a child registered again waits for its parent
  // to be registered again (the lease: owners come back within it).
  absl::Duration reregistration_window = absl::Seconds(10);
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_GRAPH_TYPES_H_
