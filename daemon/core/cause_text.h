// The words of the cause chain: the message of each cancellation the daemon
// records for a hop it makes (a parent's cancel reaching a child, a token
// reaching what is attached to it, a deadline), and of a lookup that finds
// nothing. One
// place, so that every path that makes the same hop says it the same way;
// operators and scripts read these texts (`cancelctl get`, `watch`).
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_CAUSE_TEXT_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_CAUSE_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "daemon/core/operation.h"

namespace hother::cancelable::daemon {

// "Parent operation 7f3a-1 cancelled", or "... lost its owner".
inline std::string ParentCancelledText(absl::string_view parent_id, bool owner_lost) {
  return absl::StrCat("Parent operation ", parent_id,
                      owner_lost ? " lost its owner" : " cancelled");
}

// "Token deploy-42 cancelled" (an attached operation's hop).
inline std::string TokenCancelledText(absl::string_view token) {
  return absl::StrCat("Token ", token, " cancelled");
}

// "Linked token release cancelled" (a link target's hop).
inline std::string LinkedTokenCancelledText(absl::string_view source) {
  return absl::StrCat("Linked token ", source, " cancelled");
}

// "All 3 inputs of token both were cancelled" (an all-of token's hop).
inline std::string AllInputsCancelledText(size_t inputs, absl::string_view token) {
  return absl::StrCat("All ", inputs, " inputs of token ", token, " were cancelled");
}

// "deadline 2020-01-01T00:00:00+00:00 had passed when it was set" (a
// deadline set in the past fires at once).
inline std::string PassedDeadlineText(absl::Time deadline) {
  return absl::StrCat("deadline ",
                      absl::FormatTime(absl::RFC3339_full, deadline, absl::UTCTimeZone()),
                      " had passed when it was set");
}

// "Token deploy-42 reached its deadline" (a token's own timeout).
inline std::string TokenDeadlineText(absl::string_view token) {
  return absl::StrCat("Token ", token, " reached its deadline");
}

// NOT_FOUND "no operation '7f3a-9'", with `field` ("parent_id") in front
// when the id came from one.
// An operation's owner, for messages: "importer pid=4242 session=7".
inline std::string OwnerText(const Owner& owner) {
  return absl::StrCat(owner.process_name.empty() ? "unknown" : owner.process_name,
                      " pid=", owner.pid, " session=", owner.session_id);
}

// The cancel of a child whose parent did not register again after a restart.
inline std::string ParentNeverCameText(absl::string_view parent_id, absl::Duration window) {
  return absl::StrCat("Parent operation ", parent_id, " was not registered again within ",
                      absl::FormatDuration(window), " of canceld's restart");
}

inline absl::Status NoOperation(absl::string_view id, absl::string_view field = "") {
  return absl::NotFoundError(
      absl::StrCat(field, field.empty() ? "" : ": ", "no operation '", id, "'"));
}

// NOT_FOUND "no token 'deploy-42'".
inline absl::Status NoToken(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("no token '", name, "'"));
}

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_CAUSE_TEXT_H_
