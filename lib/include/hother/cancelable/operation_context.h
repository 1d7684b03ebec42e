// OperationContext: a snapshot of what is known about one operation.
//
// Scopes and the registry hand out copies, never live objects: a context you
// hold does not change under you. Take a fresh one (`scope.context()`,
// `registry.Get(id)`) to see progress.
//
//   OperationContext ctx = op.context();
//   if (ctx.status == OperationStatus::kTimeout) log(ctx.cancel_message);
//   absl::Duration took = ctx.duration().value_or(absl::ZeroDuration());
//
// Thread-safety: a plain value; copies are independent.
#ifndef HOTHER_CANCELABLE_OPERATION_CONTEXT_H_
#define HOTHER_CANCELABLE_OPERATION_CONTEXT_H_

#include <any>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "hother/cancelable/cancel_reason.h"
#include "hother/cancelable/operation_status.h"

namespace hother::cancelable {

using Metadata = absl::flat_hash_map<std::string, std::string>;

struct OperationContext {
  std::string id;  // 36-char UUID unless the caller gave one
  std::string name;
  std::string parent_id;  // empty for a root operation
  OperationStatus status = OperationStatus::kPending;
  std::optional<absl::Time> start_time;  // when it started running
  std::optional<absl::Time> end_time;
  // Set whenever the operation's token was cancelled, even if the body then
  // finished normally (a swallowed cancellation stays visible).
  std::optional<CancelReason> cancel_reason;
  std::string cancel_message;
  std::shared_ptr<const CancellationDetails> cancel_details;  // with the cause chain
  std::string error;                                          // for failed operations
  Metadata metadata;
  // What a stream recorded (StreamPartialResult<T>), or empty.
  std::any partial_result;

  // None while pending; growing while running (measured against `now`);
  // fixed once ended.
  std::optional<absl::Duration> duration(absl::Time now = absl::Now()) const;

  bool is_terminal() const { return IsTerminal(status); }
  bool is_cancelled() const { return IsCancelledStatus(status); }
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_OPERATION_CONTEXT_H_
