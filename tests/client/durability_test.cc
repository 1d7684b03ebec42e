// The SDK's part of "nothing lost": a finish survives a broken session, an
// operation the daemon lost while the process was away is reported, not
// silently registered under a new id, and a forked child never writes to its
// parent's session.
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hother/cancelable/client/client.h"
#include "tests/client/client_fixture.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable {
namespace {

using ::testing::HasSubstr;

TEST_F(ClientTest, AFinishMadeWhileDisconnectedReachesTheNextDaemon) {
  auto client = Connect();
  auto op = StartRegistered(*client, {.name = "finishes-offline"});
  const std::string id = op->id();
  daemon_->Shutdown();
  daemon_.reset();
  ASSERT_TRUE(Eventually([&] { return !client->connected(); }));
  op->Finish(absl::OkStatus());  // nobody to tell now
  StartDaemon();
  // Registered again (same id) and finished, rather than forgotten.
  ASSERT_TRUE(Eventually([&] {
    absl::StatusOr<daemon::Operation> got = daemon_->state().graph.Get(id);
    return got.ok() && got->status == daemon::OpStatus::kCompleted;
  }));
  EXPECT_EQ(daemon_->state().graph.live_count(), 0u);
}

TEST_F(ClientTest, AnOperationTheDaemonLostWhileTheProcessWasAwayIsReportedAsLost) {
  auto client = Connect();
  auto op = StartRegistered(*client, {.name = "away-too-long"});
  const std::string id = op->id();
  const uint64_t session = client->session_id();
  // The daemon ends the session as a lapsed lease does: its operations are LOST.
  for (const auto& sink : daemon_->state().sessions.Sinks()) {
    sink->End(absl::DeadlineExceededError("lease expired"), /*flush=*/false);
  }
  ASSERT_TRUE(Eventually([&] { return op->lost(); })) << op->registration_error();
  EXPECT_NE(client->session_id(), session);
  EXPECT_TRUE(absl::IsFailedPrecondition(op->registration_error()));
  EXPECT_THAT(std::string(op->registration_error().message()), HasSubstr("was lost"));
  EXPECT_EQ(op->id(), id);  // not replaced by an id its user never saw
  EXPECT_EQ(daemon_->state().graph.live_count(), 0u);
  EXPECT_EQ(DaemonView(id).status, daemon::OpStatus::kLost);
  op->Finish(absl::OkStatus());                             // nothing is sent for it
  auto next = StartRegistered(*client, {.name = "fresh"});  // the client carries on
  EXPECT_FALSE(next->lost());
}

TEST_F(ClientTest, StatusReportsARefusedRegistrationInsteadOfCallingItselfConnected) {
  auto client = Connect();
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(10)));
  auto fine = StartRegistered(*client, {.name = "fine"});
  EXPECT_TRUE(client->status().ok()) << client->status();
  // A parent the daemon does not know: refused, and said so at the client.
  auto orphan = client->Start({.name = "orphan", .parent_id = "00000000-999999"});
  ASSERT_TRUE(Eventually([&] { return !orphan->registration_error().ok(); }));
  EXPECT_TRUE(client->connected());
  const absl::Status status = client->status();
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("1 operation is not registered"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"orphan\""));
  EXPECT_THAT(std::string(status.message()), HasSubstr("00000000-999999"));
  // Finished, it no longer counts.
  orphan->Finish(absl::OkStatus());
  EXPECT_TRUE(client->status().ok()) << client->status();
  // Disconnected: UNAVAILABLE, naming the endpoint.
  daemon_->Shutdown();
  daemon_.reset();
  ASSERT_TRUE(Eventually([&] { return !client->connected(); }));
  EXPECT_TRUE(absl::IsUnavailable(client->status())) << client->status();
  EXPECT_THAT(std::string(client->status().message()), HasSubstr(endpoint_));
}

TEST_F(ClientTest, AForkedChildNeverWritesToItsParentsSession) {
  auto client = Connect();
  auto parents = StartRegistered(*client, {.name = "parents"});
  const std::string id = parents->id();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Only async-signal-safe outcomes: the exit code says what failed.
    auto own = client->Start({.name = "childs"});
    if (own->registration_error().code() != absl::StatusCode::kFailedPrecondition) _exit(2);
    if (own->WaitRegistered(absl::Milliseconds(10))) _exit(3);
    parents->Cancel("from the child");  // local only
    if (!parents->IsCancelled()) _exit(4);
    parents->Finish(absl::OkStatus());
    own.reset();
    parents.reset();
    client.reset();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // The parent's operation is as it was, and its session still works.
  EXPECT_EQ(DaemonView(id).status, daemon::OpStatus::kRunning);
  EXPECT_EQ(DaemonView(id).cancel, nullptr);
  EXPECT_FALSE(parents->IsCancelled());
  auto after = StartRegistered(*client, {.name = "after-fork"});
  EXPECT_EQ(daemon_->state().graph.live_count(), 2u);
}

TEST_F(ClientTest, ALocalCancelOfTheScopeReachesTheDaemonAndOtherProcessesAtOnce) {
  auto client = Connect();
  auto other_process = Connect();
  auto op = StartRegistered(*client, {.name = "local-source"});
  auto elsewhere = StartRegistered(*other_process, {.name = "child", .parent_id = op->id()});
  // Not RemoteOperation::Cancel: a local source cancels the scope itself
  // (as a local parent scope or token would), and the operation is not finished.
  op->scope().Cancel(CancelReason::kManual, "cancelled in-process");
  elsewhere->token().Wait();
  EXPECT_EQ(elsewhere->token().details()->reason, CancelReason::kParent);
  EXPECT_EQ(DaemonView(op->id()).status, daemon::OpStatus::kCancelling);
  EXPECT_EQ(DaemonView(op->id()).cancel->message, "cancelled in-process");
}

TEST_F(ClientTest, ADaemonCancelWaitsForAShieldHeldOnTheOperationsScope) {
  auto client = Connect();
  auto op = StartRegistered(*client, {.name = "shielded"});
  std::optional<ShieldGuard> shield(op->scope().Shield());
  ASSERT_TRUE(daemon_->state().graph.Cancel(op->id(), "stop now", "test", true).ok());
  // The daemon queued the notice before this registration's reply, and the
  // SDK handles replies in order: once it is registered, the notice was read.
  StartRegistered(*client, {.name = "after-the-notice"});
  EXPECT_FALSE(op->IsCancelled());  // held by the shield
  shield.reset();                   // released: the held cancel lands, with the daemon's record
  ASSERT_TRUE(op->IsCancelled());
  EXPECT_EQ(op->token().details()->message, "stop now");
  EXPECT_EQ(op->token().details()->actor, "test");
}

}  // namespace
}  // namespace hother::cancelable
