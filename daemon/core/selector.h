// Label selectors, as in Kubernetes: which operations a command applies to.
//
//   absl::StatusOr<Selector> s = Selector::Parse("team=a,env in (prod,staging),!canary");
//   if (s.ok() && s->Matches(labels)) ...
//
// Grammar (comma = and; whitespace around tokens is ignored):
//   requirement := key "=" value | key "==" value | key "!=" value
//                | key "in" "(" values ")" | key "notin" "(" values ")"
//                | key | "!" key
// Keys and values use the label charset (labels.h). An empty selector
// matches everything. Parse errors are INVALID_ARGUMENT and say where:
// "selector: position 7: expected '(' after 'in'".
//
// Thread-safety: immutable after parsing.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_SELECTOR_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_SELECTOR_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace hother::cancelable::daemon {

using Labels = absl::flat_hash_map<std::string, std::string>;

class Selector {
 public:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };

  static absl::StatusOr<Selector> Parse(absl::string_view text);

  bool Matches(const Labels& labels) const;
  bool empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_SELECTOR_H_
