// Tests of daemon/core/selector.h.
#include "daemon/core/selector.h"

#include "gtest/gtest.h"

namespace hother::cancelable::daemon {
namespace {

bool Match(const char* selector, const Labels& labels) {
  absl::StatusOr<Selector> s = Selector::Parse(selector);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() && s->Matches(labels);
}

TEST(Selector, EveryForm) {
  Labels l = {{"team", "a"}, {"env", "prod"}};
  EXPECT_TRUE(Match("", l));
  EXPECT_TRUE(Match("team=a", l));
  EXPECT_TRUE(Match("team==a", l));
  EXPECT_FALSE(Match("team=b", l));
  EXPECT_TRUE(Match("team!=b", l));
  EXPECT_TRUE(Match("missing!=b", l));
  EXPECT_TRUE(Match("env in (prod, staging)", l));
  EXPECT_FALSE(Match("env notin (prod,staging)", l));
  EXPECT_TRUE(Match("team", l));
  EXPECT_TRUE(Match("!canary", l));
  EXPECT_FALSE(Match("!team", l));
  EXPECT_TRUE(Match("team=a, env=prod", l));
  EXPECT_FALSE(Match("team=a,env=dev", l));
  EXPECT_TRUE(Match("team=", Labels{{"team", ""}}));
}

TEST(Selector, ErrorsSayWhere) {
  auto bad = [](const char* text) { return Selector::Parse(text).status(); };
  EXPECT_EQ(bad("team in (a").message(),
            "selector: position 11: expected ',' or ')' in the value list");
  EXPECT_EQ(bad("team in a").message(), "selector: position 9: expected '(' after 'in'");
  EXPECT_EQ(bad("=a").message(), "selector: position 1: expected a label key");
  EXPECT_EQ(bad("team=a env=b").message(),
            "selector: position 8: expected ',' between requirements");
  EXPECT_TRUE(absl::IsInvalidArgument(bad("te$m=a")));
  EXPECT_TRUE(absl::IsInvalidArgument(bad("team=a,")));
}

}  // namespace
}  // namespace hother::cancelable::daemon
