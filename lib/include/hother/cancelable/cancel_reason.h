// Why something was cancelled, and the record of one cancellation.
//
// `CancelReason` names the source of a cancellation. `CancellationDetails` is the
// immutable record a token keeps when it is first cancelled: reason, message,
// time, the id of the token or operation it was recorded on, and the cause that
// led to it. A cancellation that cascades (a child cancelled because its parent
// was) keeps a pointer to the parent's record, so the chain always leads back to
// the cancellation that started it:
//
//   child:  parent  "Parent operation 1f2e3d4c cancelled"
//     <- parent: timeout "Operation timed out after 5s"
//
// Thread-safety: `CancellationDetails` is immutable once shared; any number of
// threads may read it.
#ifndef HOTHER_CANCELABLE_CANCEL_REASON_H_
#define HOTHER_CANCELABLE_CANCEL_REASON_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace hother::cancelable {

// The six reasons of the reference library, plus two the daemon uses.
enum class CancelReason {
  kTimeout,
  kManual,
  kSignal,
  kCondition,
  kParent,
  kError,
  kOwnerLost,
  kShutdown,
};

// "timeout", "manual", "signal", "condition", "parent", "error", "owner_lost",
// "shutdown".
absl::string_view ToString(CancelReason reason);

// The inverse of ToString; nullopt for any other string.
std::optional<CancelReason> ParseCancelReason(absl::string_view text);

struct CancellationDetails {
  CancelReason reason = CancelReason::kManual;
  std::string message;
  absl::Time time = absl::UnixEpoch();
  // The id of the token or operation on which this cancellation was recorded.
  std::string origin_id;
  // Who asked, when known ("cancelctl uid=1000", "deadline"); may be empty.
  std::string actor;
  // The cancellation that caused this one (for reason kParent and links), or
  // null when this one is the root. Set it with SetCause, which keeps `depth`
  // and the root current.
  std::shared_ptr<const CancellationDetails> cause;
  // Hops behind this one to the root (0 for a root), counting omitted ones.
  size_t depth = 0;
  // Hops left out between this one and `cause`: a record that came over the
  // wire, where the daemon sends the nearest hops and the root of a long chain.
  size_t omitted_causes = 0;
  // An id the record's keeper may give it, never reused by that keeper
  // (canceld: its row in the state store, so that a stored record can name
  // its cause); 0 when none.
  uint64_t record_id = 0;

  // Sets `cause`, `depth`, `omitted_causes` and the root, in constant time.
  void SetCause(std::shared_ptr<const CancellationDetails> next, size_t omitted = 0);

  // Releases the cause chain iteratively, so a chain of any length (100,000
  // linked tokens) is freed without deep recursion.
  ~CancellationDetails();

  // The cancellation at the start of the chain (this one when `cause` is null).
  // Constant time when the chain was built with SetCause.
  const CancellationDetails& Root() const;

  // "parent: Parent operation 1f2e3d4c cancelled <- timeout: Operation timed out
  // after 5s": each hop, newest first; omitted hops as "<- (N more) <-".
  std::string ChainToString() const;

  // The root, kept by SetCause (null: Root() walks the chain). Not owned: the
  // `cause` links keep it alive as long as this hop.
  const CancellationDetails* root = nullptr;
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_CANCEL_REASON_H_
