// Conversions between the wire and the daemon's core: requests become the
// specs the core takes; error texts name the field.
#include "daemon/service/convert.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hother::cancelable::daemon {
namespace {

using ::testing::ElementsAre;

google::protobuf::Duration Seconds(int64_t s) {
  google::protobuf::Duration d;
  d.set_seconds(s);
  return d;
}

TEST(Convert, ARegisterItemBecomesARegisterSpec) {
  pb::RegisterItem item;
  item.set_name("job");
  (*item.mutable_labels())["team"] = "a";
  (*item.mutable_metadata())["k"] = "v";
  item.set_parent_id("7f3a-1");
  *item.mutable_timeout() = Seconds(3);
  *item.mutable_stated_timeout() = Seconds(30);
  item.set_previous_id("0abc-9");
  item.add_tokens("deploy-42");
  item.add_signals("USR1");
  RegisterSpec spec = FromProto(item);
  EXPECT_EQ(spec.name, "job");
  EXPECT_EQ(spec.labels.at("team"), "a");
  EXPECT_EQ(spec.metadata.at("k"), "v");
  EXPECT_EQ(spec.parent_id, "7f3a-1");
  EXPECT_EQ(spec.timeout, absl::Seconds(3));
  EXPECT_EQ(spec.stated_timeout, absl::Seconds(30));
  EXPECT_EQ(spec.previous_id, "0abc-9");
  EXPECT_THAT(spec.tokens, ElementsAre("deploy-42"));
  EXPECT_THAT(spec.signals, ElementsAre(SIGUSR1));
}

TEST(Convert, AnItemWithoutATimeoutHasNone) {
  pb::RegisterItem item;
  item.set_name("job");
  RegisterSpec spec = FromProto(item);
  EXPECT_FALSE(spec.timeout.has_value());
  EXPECT_FALSE(spec.stated_timeout.has_value());
}

TEST(Convert, ACreateTokenRequestBecomesATokenSpec) {
  pb::CreateTokenRequest request;
  request.set_name("both");
  (*request.mutable_labels())["team"] = "a";
  *request.mutable_timeout() = Seconds(60);
  request.add_all_of("a");
  request.add_all_of("b");
  TokenSpec spec = FromProto(request);
  EXPECT_EQ(spec.name, "both");
  EXPECT_EQ(spec.labels.at("team"), "a");
  EXPECT_EQ(spec.timeout, absl::Minutes(1));
  EXPECT_THAT(spec.all_of, ElementsAre("a", "b"));
}

TEST(Convert, ADeadlineIsInFromNowAtATimeOrNone) {
  const absl::Time now = absl::FromUnixSeconds(1'000'000);
  pb::SetDeadlineRequest request;
  *request.mutable_in() = Seconds(30);
  EXPECT_EQ(DeadlineFromProto(request, now), now + absl::Seconds(30));
  request.mutable_at()->set_seconds(2'000'000);
  EXPECT_EQ(DeadlineFromProto(request, now), absl::FromUnixSeconds(2'000'000));
  request.set_none(true);
  EXPECT_EQ(DeadlineFromProto(request, now), std::nullopt);
}

TEST(Convert, AFilterWithABadSelectorOrStatusNamesTheField) {
  pb::OperationFilter filter;
  filter.set_selector("team in (a");
  absl::StatusOr<OperationFilter> bad = FromProto(filter, "filter");
  ASSERT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::StartsWith("filter.selector: position"));
  filter.clear_selector();
  filter.add_statuses(pb::OPERATION_STATUS_RUNNING);
  filter.add_statuses(pb::OPERATION_STATUS_PENDING);
  bad = FromProto(filter, "filter");
  EXPECT_EQ(bad.status().message(),
            "filter.statuses[1]: OPERATION_STATUS_PENDING is not a daemon status");
}

TEST(Convert, AStatusKeepsItsCodeAndMessageOnTheWire) {
  grpc::Status status = ToGrpc(absl::NotFoundError("no operation 'x'"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no operation 'x'");
  EXPECT_TRUE(ToGrpc(absl::OkStatus()).ok());
}

TEST(Convert, AConditionsStateGoesOnTheWire) {
  ConditionStatus c;
  c.name = "disk-low";
  c.definition = "disk_free_below(/, 5%)";
  c.subscribers = 3;
  c.interval = absl::Seconds(2);
  c.last_value = "12%";
  pb::ConditionState out;
  ToProto(c, &out);
  EXPECT_EQ(out.name(), "disk-low");
  EXPECT_EQ(out.definition(), "disk_free_below(/, 5%)");
  EXPECT_EQ(out.subscribers(), 3);
  EXPECT_EQ(out.interval().seconds(), 2);
  EXPECT_EQ(out.last_value(), "12%");
  EXPECT_FALSE(out.has_last_check());
}

}  // namespace
}  // namespace hother::cancelable::daemon
