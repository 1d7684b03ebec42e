#include "daemon/core/selector.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "daemon/core/labels.h"

namespace hother::cancelable::daemon {
namespace {

// A cursor over the selector text that reports errors with positions.
class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  bool Consume(absl::string_view token) {
    SkipSpace();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  // A run of label characters (possibly empty).
  std::string Word() {
    SkipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && IsLabelChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }
  // "in" / "notin" as whole words.
  bool Keyword(absl::string_view word) {
    SkipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    size_t after = pos_ + word.size();
    if (after < text_.size() && IsLabelChar(text_[after])) return false;
    pos_ = after;
    return true;
  }
  absl::Status Error(absl::string_view what) {
    SkipSpace();
    return absl::InvalidArgumentError(absl::StrCat("selector: position ", pos_ + 1, ": ", what));
  }
  size_t pos() const { return pos_; }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }
  absl::string_view text_;
  size_t pos_ = 0;
};

absl::Status ParseValues(Parser& p, absl::string_view op, std::vector<std::string>& values) {
  if (!p.Consume("(")) return p.Error(absl::StrCat("expected '(' after '", op, "'"));
  do {
    std::string value = p.Word();
    if (absl::Status s = ValidateLabelValue("selector", value); !s.ok()) return s;
    values.push_back(std::move(value));
  } while (p.Consume(","));
  if (!p.Consume(")")) return p.Error("expected ',' or ')' in the value list");
  return absl::OkStatus();
}

absl::StatusOr<Selector::Requirement> ParseRequirement(Parser& p) {
  Selector::Requirement r;
  bool negated = p.Consume("!");
  size_t key_at = p.pos();
  r.key = p.Word();
  if (r.key.empty()) return p.Error("expected a label key");
  if (absl::Status s = ValidateLabelKey("selector", r.key); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("selector: position ", key_at + 1, ": ", s.message().substr(10)));
  }
  if (negated) {
    r.op = Selector::Op::kNotExists;
    return r;
  }
  if (p.Consume("!=")) {
    r.op = Selector::Op::kNotEquals;
  } else if (p.Consume("==") || p.Consume("=")) {
    r.op = Selector::Op::kEquals;
  } else if (p.Keyword("notin")) {
    r.op = Selector::Op::kNotIn;
    if (absl::Status s = ParseValues(p, "notin", r.values); !s.ok()) return s;
    return r;
  } else if (p.Keyword("in")) {
    r.op = Selector::Op::kIn;
    if (absl::Status s = ParseValues(p, "in", r.values); !s.ok()) return s;
    return r;
  } else {
    r.op = Selector::Op::kExists;
    return r;
  }
  std::string value = p.Word();
  if (absl::Status s = ValidateLabelValue("selector", value); !s.ok()) return s;
  r.values.push_back(std::move(value));
  return r;
}

}  // namespace

absl::StatusOr<Selector> Selector::Parse(absl::string_view text) {
  Selector selector;
  Parser p(text);
  if (p.AtEnd()) return selector;
  do {
    absl::StatusOr<Requirement> r = ParseRequirement(p);
    if (!r.ok()) return r.status();
    selector.requirements_.push_back(*std::move(r));
  } while (p.Consume(","));
  if (!p.AtEnd()) return p.Error("expected ',' between requirements");
  return selector;
}

bool Selector::Matches(const Labels& labels) const {
  for (const Requirement& r : requirements_) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    auto in_values = [&] {
      return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
    };
    bool ok = false;
    switch (r.op) {
      case Op::kEquals:
      case Op::kIn:
        ok = in_values();
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        ok = !in_values();
        break;
      case Op::kExists:
        ok = has;
        break;
      case Op::kNotExists:
        ok = !has;
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace hother::cancelable::daemon
