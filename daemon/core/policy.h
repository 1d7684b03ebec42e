// Who may do what (docs/SECURITY.md has the table). Every call carries a
// verified principal (principal.h); the policy answers OK or
// PERMISSION_DENIED naming the principal, the verb, the object and who may.
//
// The defaults:
//   list, get, watch, health      anyone who can connect
//   cancel, deadline              the operation's owner (the same principal
//                                 that registered it); the cascade from an
//                                 operation one may cancel reaches its
//                                 descendants whoever owns them
//   cancel-all                    anyone, over the operations they own
//                                 (an admin: over all)
//   token-create                  anyone (the token is theirs)
//   token-cancel, token-delete,   the token's creator; a link is checked on
//   deadline of a token,          its target (a link makes the source's
//   token-link                    cancel reach the target)
//   finish, progress              the owner's session only (the protocol)
//   register under any parent,    anyone (it only subscribes)
//   attach to any token
//   everything                    root and members of the admin group
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_POLICY_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_POLICY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/core/graph_types.h"
#include "daemon/core/operation.h"
#include "daemon/core/principal.h"

namespace hother::cancelable::daemon {

enum class Verb {
  kCancel,
  kCancelAll,
  kDeadline,
  kTokenCreate,
  kTokenCancel,
  kTokenLink,
  kTokenDelete,
  kWatch,
  kList,
};

// "cancel", "cancel-all", "deadline", "token-create", ...
absl::string_view VerbName(Verb verb);
// The verb of that name; INVALID_ARGUMENT listing the verbs otherwise.
absl::StatusOr<Verb> VerbNamed(absl::string_view name);

class Policy {
 public:
  // May `who` do `verb` (cancel, deadline) to operation `id`, owned by `owner`?
  absl::Status MayActOn(const Principal& who, Verb verb, const std::string& id,
                        const Owner& owner) const;
  // May `who` do `verb` to named token `token`?
  absl::Status MayActOnToken(const Principal& who, Verb verb, const TokenView& token) const;
  // The operations a cancel-all by `who` may reach: `filter`, narrowed to
  // what `who` owns unless `who` is an admin.
  void Narrow(const Principal& who, OperationFilter& filter) const;

  // The admin group's name, for messages.
  void set_admin_group_name(std::string name) { admin_group_name_ = std::move(name); }

 private:
  std::string admin_group_name_ = "canceld-admin";
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_POLICY_H_
