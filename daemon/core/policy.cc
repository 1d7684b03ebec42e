#include "daemon/core/policy.h"

#include "absl/strings/str_cat.h"

namespace hother::cancelable::daemon {

absl::string_view VerbName(Verb verb) {
  switch (verb) {
    case Verb::kCancel:
      return "cancel";
    case Verb::kCancelAll:
      return "cancel-all";
    case Verb::kDeadline:
      return "deadline";
    case Verb::kTokenCreate:
      return "token-create";
    case Verb::kTokenCancel:
      return "token-cancel";
    case Verb::kTokenLink:
      return "token-link";
    case Verb::kTokenDelete:
      return "token-delete";
    case Verb::kWatch:
      return "watch";
    case Verb::kList:
      return "list";
  }
  return "?";
}

absl::StatusOr<Verb> VerbNamed(absl::string_view name) {
  constexpr Verb kVerbs[] = {Verb::kCancel,      Verb::kCancelAll,   Verb::kDeadline,
                             Verb::kTokenCreate, Verb::kTokenCancel, Verb::kTokenLink,
                             Verb::kTokenDelete, Verb::kWatch,       Verb::kList};
  std::string known;
  for (Verb verb : kVerbs) {
    if (VerbName(verb) == name) return verb;
    absl::StrAppend(&known, known.empty() ? "" : ", ", VerbName(verb));
  }
  return absl::InvalidArgumentError(absl::StrCat("verb: '", name, "' is not one of ", known));
}

absl::Status Policy::MayActOn(const Principal& who, Verb verb, const std::string& id,
                              const Owner& owner) const {
  if (who.admin) return absl::OkStatus();
  if (!owner.principal.empty() && owner.principal == who.Key()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(who.Text(), " may not ", VerbName(verb), " operation ", id, ", owned by ",
                   owner.principal.empty() ? "an unknown principal" : owner.principal,
                   "; granted to its owner, root and the group ", admin_group_name_));
}

absl::Status Policy::MayActOnToken(const Principal& who, Verb verb, const TokenView& token) const {
  if (who.admin) return absl::OkStatus();
  if (!token.creator.empty() && token.creator == who.Key()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(who.Text(), " may not ", VerbName(verb), " token '", token.name,
                   "', created by ", token.creator.empty() ? "an unknown principal" : token.creator,
                   "; granted to its creator, root and the group ", admin_group_name_));
}

void Policy::Narrow(const Principal& who, OperationFilter& filter) const {
  if (!who.admin) filter.principal = who.Key();
}

}  // namespace hother::cancelable::daemon
