// The validation of what clients send: every error is INVALID_ARGUMENT and
// its text, which names the field, is a contract users read.
#include "daemon/service/validate.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hother::cancelable::daemon {
namespace {

std::string ErrorOf(const absl::Status& status) {
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  return std::string(status.message());
}

google::protobuf::Duration Seconds(int64_t s, int32_t nanos = 0) {
  google::protobuf::Duration d;
  d.set_seconds(s);
  d.set_nanos(nanos);
  return d;
}

TEST(Validate, ADurationMustBePositive) {
  EXPECT_TRUE(ValidatePositive("timeout", Seconds(0, 1)).ok());
  EXPECT_EQ(ErrorOf(ValidatePositive("timeout", Seconds(0))), "timeout: must be positive");
  EXPECT_EQ(ErrorOf(ValidatePositive("timeout", Seconds(-3))), "timeout: must be positive");
}

TEST(Validate, ARegisterItemNamesTheFieldOfItsTimeouts) {
  pb::RegisterItem item;
  item.set_name("job");
  *item.mutable_timeout() = Seconds(5);
  *item.mutable_stated_timeout() = Seconds(30);
  EXPECT_TRUE(ValidateRegisterItem("register.items[0]", item).ok());
  *item.mutable_stated_timeout() = Seconds(-1);
  EXPECT_EQ(ErrorOf(ValidateRegisterItem("register.items[0]", item)),
            "register.items[0].stated_timeout: must be positive");
  *item.mutable_timeout() = Seconds(0);
  EXPECT_EQ(ErrorOf(ValidateRegisterItem("register.items[2]", item)),
            "register.items[2].timeout: must be positive");
}

TEST(Validate, ARegisterItemRefusesAnUnknownSignal) {
  pb::RegisterItem item;
  item.set_name("job");
  item.add_signals("SIGKILL");
  EXPECT_EQ(ErrorOf(ValidateRegisterItem("register.items[1]", item)),
            "register.items[1].signals[0]: 'SIGKILL' is not one of SIGTERM, SIGINT, SIGHUP, "
            "SIGUSR1, SIGUSR2, SIGQUIT");
}

TEST(Validate, IdsAreRequiredWhereSaidBoundedAndOfLabelCharacters) {
  EXPECT_TRUE(ValidateId("parent_id", "", /*required=*/false).ok());
  EXPECT_EQ(ErrorOf(ValidateId("id", "", /*required=*/true)), "id: required");
  EXPECT_EQ(ErrorOf(ValidateId("id", "a b", true)), "id: 'a b' is not an operation id");
  // The value is quoted by a short prefix only, with its size.
  EXPECT_EQ(ErrorOf(ValidateId("id", std::string(1000, 'a'), true)),
            "id: '" + std::string(40, 'a') + "'... (1000 bytes) is longer than 64 bytes");
}

TEST(Validate, ACancelRequestNeedsAnId) {
  pb::CancelRequest request;
  EXPECT_EQ(ErrorOf(ValidateCancelRequest(request)), "id: required");
  request.set_id("7f3a-1");
  EXPECT_TRUE(ValidateCancelRequest(request).ok());
}

TEST(Validate, ACheckAccessRequestBoundsItsVerbAndTarget) {
  pb::CheckAccessRequest request;
  request.set_verb(std::string(33, 'x'));
  EXPECT_EQ(ErrorOf(ValidateCheckAccessRequest(request)), "verb: 33 bytes; a verb is at most 32");
  request.set_verb("cancel");
  EXPECT_TRUE(ValidateCheckAccessRequest(request).ok());
  request.set_operation_id(std::string(3 << 20, 'a'));
  const absl::Status long_id = ValidateCheckAccessRequest(request);
  EXPECT_TRUE(absl::IsInvalidArgument(long_id));
  EXPECT_EQ(ErrorOf(long_id).rfind("operation_id: ", 0), 0u) << ErrorOf(long_id);
  EXPECT_LT(long_id.message().size(), 200u);
  request.set_token(std::string(3 << 20, 'a'));
  const absl::Status long_token = ValidateCheckAccessRequest(request);
  EXPECT_EQ(ErrorOf(long_token).rfind("token: ", 0), 0u) << ErrorOf(long_token);
  EXPECT_LT(long_token.message().size(), 200u);
}

TEST(Validate, AHelloWithAnOverlongSessionSecretIsRefused) {
  pb::Hello hello;
  hello.set_previous_session_secret(std::string(65, 'f'));
  EXPECT_EQ(ErrorOf(ValidateHello(hello)), "hello.previous_session_secret: 65 bytes, at most 64");
  hello.set_previous_session_secret(std::string(32, 'f'));
  EXPECT_TRUE(ValidateHello(hello).ok());
}

TEST(Validate, AHelloWithAnOverlongHostIsRefused) {
  pb::Hello hello;
  hello.set_host(std::string(300, 'h'));
  EXPECT_EQ(ErrorOf(ValidateHello(hello)), "hello.host: 300 bytes, at most 256");
}

TEST(Validate, CancelAllAndCancelTokenBoundTheirActorAsCancelDoes) {
  pb::CancelAllRequest all;
  all.set_actor(std::string(3 << 20, 'a'));
  EXPECT_THAT(ErrorOf(ValidateCancelAllRequest(all)), ::testing::StartsWith("actor: longer than"));
  pb::CancelTokenRequest token;
  token.set_name("deploy-42");
  token.set_actor(std::string(2000, 'a'));
  EXPECT_THAT(ErrorOf(ValidateCancelTokenRequest(token)),
              ::testing::StartsWith("actor: longer than 1024 bytes"));
  token.set_actor("cancelctl uid=0");
  EXPECT_TRUE(ValidateCancelTokenRequest(token).ok());
}

TEST(Validate, CreateTokenNamesTheBadInput) {
  pb::CreateTokenRequest request;
  request.set_name("release");
  request.add_all_of("a");
  request.add_all_of("");
  EXPECT_THAT(ErrorOf(ValidateCreateTokenRequest(request)), ::testing::StartsWith("all_of[1]"));
  request.clear_all_of();
  *request.mutable_timeout() = Seconds(-1);
  EXPECT_EQ(ErrorOf(ValidateCreateTokenRequest(request)), "timeout: must be positive");
}

TEST(Validate, SetDeadlineNeedsAWhenAndATarget) {
  pb::SetDeadlineRequest request;
  EXPECT_EQ(ErrorOf(ValidateSetDeadlineRequest(request)), "when: set in, at or none");
  request.set_none(true);
  EXPECT_EQ(ErrorOf(ValidateSetDeadlineRequest(request)), "target: set operation_id or token");
  request.set_operation_id("7f3a-1");
  EXPECT_TRUE(ValidateSetDeadlineRequest(request).ok());
}

}  // namespace
}  // namespace hother::cancelable::daemon
