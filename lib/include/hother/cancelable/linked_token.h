// Tokens cancelled by other tokens: links, any-of and all-of combinations.
//
//   LinkedCancellationToken request;
//   request.Link(server_shutdown);              // reason parent, cause attached
//   request.Link(client_gone, /*preserve_reason=*/true);
//   CancellationToken both = AllOf({primary, fallback});
//
// Links never keep a token alive: a source holds only a weak reference to the
// tokens linked to it, and a linked token drops its links once cancelled, so
// a dead token is never kept by a live one, and destroying a linked token
// removes it from its sources. Mutual or cyclic links terminate: every token
// in the cycle ends cancelled, exactly once, with no deadlock.
//
// Thread-safety: as CancellationToken; Link may race with Cancel of either side.
#ifndef HOTHER_CANCELABLE_LINKED_TOKEN_H_
#define HOTHER_CANCELABLE_LINKED_TOKEN_H_

#include <initializer_list>
#include <string>
#include <vector>

#include "hother/cancelable/token.h"

namespace hother::cancelable {

class LinkedCancellationToken : public CancellationToken {
 public:
  LinkedCancellationToken() = default;
  explicit LinkedCancellationToken(std::string id) : CancellationToken(std::move(id)) {}

  // When `source` is cancelled (or already is), cancel this token: with
  // reason parent and the message "Linked token <8 chars> was cancelled", or,
  // when `preserve_reason`, with the source's own reason and message. Either
  // way the source's record is the cause. The first source to fire wins.
  void Link(const CancellationToken& source, bool preserve_reason = false) const;
};

// A token cancelled when any input is, keeping that input's reason and
// message (cause: the input's record).
CancellationToken AnyOf(const std::vector<CancellationToken>& inputs);

// A token cancelled once every input is cancelled: reason parent, message
// "All N tokens were cancelled", cause: the last input's record. An empty list
// gives a token that is never cancelled by its inputs.
CancellationToken AllOf(const std::vector<CancellationToken>& inputs);

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_LINKED_TOKEN_H_
