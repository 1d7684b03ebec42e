// Tests of the client SDK against an in-process daemon on a temp socket.
#include "hother/cancelable/client/client.h"

#include <signal.h>

#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/daemon.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "hother/cancelable/client/propagation.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/scheduler.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"
#include "tests/client/client_fixture.h"
#include "tests/lib/test_util.h"
#include "tests/support/process.h"

namespace hother::cancelable {
namespace {

using daemon::Daemon;
using daemon::OpStatus;

TEST_F(ClientTest, ADaemonCancelReachesTheLocalTokenWithItsChain) {
  auto client = Connect();
  auto parent = StartRegistered(*client, {.name = "parent"});
  auto child = StartRegistered(*client, {.name = "child", .parent = parent.get()});
  EXPECT_EQ(DaemonView(child->id()).parent_id(), parent->id());
  ASSERT_TRUE(daemon_->state().graph.Cancel(parent->id(), "stop it", "test", true).ok());
  child->token().Wait();
  auto details = child->token().details();
  EXPECT_EQ(details->reason, CancelReason::kParent);
  EXPECT_EQ(details->origin_id, child->id());
  ASSERT_NE(details->cause, nullptr);
  EXPECT_EQ(details->cause->message, "stop it");
  EXPECT_EQ(details->cause->actor, "test");
}

// A CancelAll reply lists the oldest 1000 matches and counts them all, so it
// stays small at any registry size (a million snapshots would exceed gRPC's
// message limit after the cancel had happened).
TEST_F(ClientTest, CancelAllOfMoreThanAThousandListsAThousandAndCancelsEveryOne) {
  auto client = Connect();
  std::vector<std::unique_ptr<RemoteOperation>> ops;
  for (int i = 0; i < 1001; ++i)
    ops.push_back(client->Start({.name = "many", .labels = {{"run", "big"}}}));
  for (auto& op : ops) ASSERT_TRUE(op->WaitRegistered(absl::Seconds(10)));
  auto stub =
      v1::Canceld::NewStub(grpc::CreateChannel(endpoint_, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  v1::CancelAllRequest request;
  request.mutable_filter()->set_selector("run=big");
  v1::CancelAllResponse response;
  ASSERT_TRUE(stub->CancelAll(&context, request, &response).ok());
  EXPECT_EQ(response.matched(), 1001);
  EXPECT_EQ(response.cancelled(), 1001);
  ASSERT_EQ(response.operations_size(), 1000);
  EXPECT_EQ(response.operations(0).id(), ops[0]->id());  // oldest first
  for (auto& op : ops) op->token().Wait();
}

// 80,000 cancels for one session would be a ~7 MB message, beyond gRPC's
// 4 MiB limit: the session would break and the cancels be lost. They travel
// as notices of at most wire::kMaxBatchItems items.
constexpr int kBeyondOneMessage = 80'000;

TEST_F(ClientTest, ACancelAllOfMoreOperationsThanOneMessageHoldsReachesEveryOne) {
  auto client = Connect();
  std::vector<std::unique_ptr<RemoteOperation>> ops;
  for (int i = 0; i < kBeyondOneMessage; ++i) ops.push_back(client->Start({.name = "many"}));
  for (auto& op : ops) ASSERT_TRUE(op->WaitRegistered(absl::Seconds(30)));
  const uint64_t session = client->session_id();
  daemon::OperationFilter all;
  all.name_glob = "many";
  daemon::CancelAllResult result =
      daemon_->state().graph.CancelAll(all, "all of them", "test", false, 10);
  ASSERT_EQ(result.cancelled, kBeyondOneMessage);
  for (auto& op : ops) ASSERT_TRUE(op->token().WaitFor(absl::Seconds(30)));
  EXPECT_EQ(ops.back()->token().details()->message, "all of them");
  EXPECT_EQ(client->session_id(), session);  // the session never broke
}

TEST_F(ClientTest, MoreOperationsThanOneMessageHoldsAreAllRegisteredAgainAfterARestart) {
  auto client = Connect();
  std::vector<std::unique_ptr<RemoteOperation>> ops;
  for (int i = 0; i < kBeyondOneMessage; ++i) ops.push_back(client->Start({.name = "many"}));
  for (auto& op : ops) ASSERT_TRUE(op->WaitRegistered(absl::Seconds(30)));
  daemon_->Shutdown();
  daemon_.reset();
  StartDaemon();
  ASSERT_TRUE(Eventually(
      [&] { return daemon_->state().graph.live_count() == static_cast<size_t>(kBeyondOneMessage); },
      absl::Seconds(60)));
  EXPECT_TRUE(daemon_->state().graph.Get(ops.back()->id()).ok());
}

TEST_F(ClientTest, ALocalScopeUnderARemoteOperationIsCancelledByTheDaemon) {
  auto client = Connect();
  auto op = StartRegistered(*client, {.name = "remote"});
  Cancelable local({.name = "local", .parent = &op->scope()});
  ASSERT_TRUE(daemon_->state().graph.Cancel(op->id(), "", "test", true).ok());
  local.token().Wait();
  EXPECT_EQ(local.token().reason(), CancelReason::kParent);
}

TEST_F(ClientTest, FinishReportsTheOutcome) {
  auto client = Connect();
  auto ok = StartRegistered(*client, {.name = "ok"});
  auto failed = StartRegistered(*client, {.name = "failed"});
  auto cancelled = StartRegistered(*client, {.name = "cancelled"});
  std::string ok_id = ok->id(), failed_id = failed->id(), cancelled_id = cancelled->id();
  ok->Finish();
  failed->Finish(absl::InternalError("disk full"));
  ASSERT_TRUE(daemon_->state().graph.Cancel(cancelled_id, "", "test", true).ok());
  cancelled->token().Wait();
  cancelled.reset();  // the destructor finishes with the cancellation
  ASSERT_TRUE(Eventually([&] { return IsFinished(DaemonView(cancelled_id).status); }));
  EXPECT_EQ(DaemonView(ok_id).status, OpStatus::kCompleted);
  EXPECT_EQ(DaemonView(failed_id).status, OpStatus::kFailed);
  EXPECT_EQ(DaemonView(failed_id).error, "disk full");
  EXPECT_EQ(DaemonView(cancelled_id).status, OpStatus::kCancelled);
}

TEST_F(ClientTest, ALocalCancelReachesTheDaemon) {
  auto client = Connect();
  auto op = StartRegistered(*client, {.name = "local-cancel"});
  EXPECT_TRUE(op->Cancel("changed my mind"))
      << "already cancelled: " << op->token().details()->message << " by "
      << op->token().details()->actor << " at " << op->token().details()->origin_id;
  EXPECT_TRUE(op->IsCancelled());
  ASSERT_TRUE(Eventually([&] { return DaemonView(op->id()).cancel != nullptr; }));
  EXPECT_EQ(DaemonView(op->id()).cancel->message, "changed my mind");
}

TEST_F(ClientTest, ACancelThenAnImmediateFinishStillReachesDescendantsElsewhere) {
  auto owner_client = Connect();
  auto other_client = Connect();
  auto parent = StartRegistered(*owner_client, {.name = "parent"});
  auto child = StartRegistered(*other_client, {.name = "child", .parent_id = parent->id()});
  parent->Cancel("abandoned");
  parent.reset();  // finishes at once: the cancel must reach the daemon first
  child->token().Wait();
  EXPECT_EQ(child->token().details()->Root().message, "abandoned");
}

TEST_F(ClientTest, AChildStartedBeforeItsParentIsRegisteredStillNamesIt) {
  auto client = Connect();
  auto parent = client->Start({.name = "parent"});
  auto child = client->Start({.name = "child", .parent = parent.get()});  // no wait
  ASSERT_TRUE(child->WaitRegistered(absl::Seconds(10)));
  EXPECT_EQ(DaemonView(child->id()).parent_id(), parent->id());
}

TEST_F(ClientTest, ProgressIsCoalesced) {
  auto client = Connect();
  auto op = StartRegistered(*client, {.name = "busy"});
  const uint64_t before = daemon_->state().events.current_sequence();
  for (int i = 1; i <= 10000; ++i) op->ReportProgress(absl::StrCat("step ", i));
  ASSERT_TRUE(Eventually([&] {
    auto p = DaemonView(op->id()).last_progress;
    return p != nullptr && p->message == "step 10000";
  }));
  // A hot loop of 10,000 reports reaches the daemon as a handful.
  EXPECT_LT(daemon_->state().events.current_sequence() - before, 50u);
}

TEST_F(ClientTest, WithoutADaemonStartWorksLocallyAndRegistersWhenItComes) {
  daemon_->Shutdown();
  daemon_.reset();
  auto client = Connect();
  EXPECT_FALSE(client->connected());
  auto timed = client->Start({.name = "local-timeout", .timeout = absl::Milliseconds(100)});
  timed->token().Wait();  // enforced locally
  EXPECT_EQ(timed->token().reason(), CancelReason::kTimeout);
  auto waiting = client->Start({.name = "waiting"});
  EXPECT_TRUE(waiting->id().empty());
  StartDaemon();
  ASSERT_TRUE(waiting->WaitRegistered(absl::Seconds(10)));
  EXPECT_EQ(DaemonView(waiting->id()).name(), "waiting");
}

TEST_F(ClientTest, AfterADaemonRestartOperationsKeepTheirIdAndDeadline) {
  auto client = Connect();
  auto op = StartRegistered(*client, {.name = "long", .timeout = absl::Minutes(10)});
  const std::string id = op->id();
  const absl::Time deadline = *DaemonView(id).deadline;
  daemon_->Shutdown();
  daemon_.reset();
  StartDaemon();
  ASSERT_TRUE(Eventually([&] { return daemon_->state().graph.Get(id).ok(); }));
  EXPECT_EQ(op->id(), id);
  EXPECT_LT(absl::AbsDuration(*DaemonView(id).deadline - deadline), absl::Seconds(2));
  // And a cancel after the restart still reaches it.
  ASSERT_TRUE(daemon_->state().graph.Cancel(id, "after restart", "test", true).ok());
  op->token().Wait();
  EXPECT_EQ(op->token().details()->message, "after restart");
}

TEST_F(ClientTest, ARegistrationTheDaemonRefusesSaysWhy) {
  auto client = Connect();
  auto op = client->Start({.name = "orphan", .parent_id = "no-such-parent"});
  EXPECT_FALSE(op->WaitRegistered(absl::Seconds(10)));
  EXPECT_TRUE(absl::IsNotFound(op->registration_error()));
  EXPECT_EQ(op->registration_error().message(), "parent_id: no operation 'no-such-parent'");
}

// Stand-ins for grpc::ClientContext and grpc::ServerContext.
struct FakeClientContext {
  void AddMetadata(const std::string& key, const std::string& value) { metadata[key] = value; }
  std::map<std::string, std::string> metadata;
};
struct FakeServerContext {
  const std::multimap<std::string, std::string>& client_metadata() const { return metadata; }
  std::multimap<std::string, std::string> metadata;
};

TEST_F(ClientTest, PropagationMakesTheCalleesOperationAChildOfTheCallers) {
  auto caller_client = Connect();
  auto callee_client = Connect();
  auto caller = StartRegistered(*caller_client, {.name = "caller"});
  FakeClientContext outgoing;
  AttachOperation(outgoing, *caller);
  FakeServerContext incoming;
  incoming.metadata.insert(outgoing.metadata.begin(), outgoing.metadata.end());
  auto callee = StartFromIncoming(*callee_client, incoming, {.name = "callee"});
  ASSERT_TRUE(callee->WaitRegistered(absl::Seconds(10)));
  EXPECT_EQ(DaemonView(callee->id()).parent_id(), caller->id());
  caller->Cancel("caller gave up");
  callee->token().Wait();
  EXPECT_EQ(callee->token().reason(), CancelReason::kParent);
}

// A daemon that stops reading (SIGSTOP, a hung host) must not stop the
// service: Start and Finish only queue, and the session's writer thread
// waits. Once the daemon runs again, everything queued reaches it, in order.
TEST(ClientWithAStoppedDaemon, StartAndFinishDoNotWaitForTheDaemonToRead) {
  test_support::TempDir dir;
  const std::string endpoint = absl::StrCat("unix:", dir.path(), "/canceld.sock");
  test_support::Process canceld(
      {CANCELD_PATH, "--state-dir", "none", "--listen", endpoint, "--lease-timeout", "60s"},
      dir.path() + "/canceld");
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(dir.path() + "/canceld.sock"); }))
      << canceld.err();
  ClientOptions options;
  options.endpoint = endpoint;
  auto client = *Client::Connect(options);
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(30))) << canceld.err();
  auto first = client->Start({.name = "before"});
  ASSERT_TRUE(first->WaitRegistered(absl::Seconds(10)));

  canceld.Signal(SIGSTOP);
  // Far more than the connection's buffers and flow-control window hold.
  constexpr int kOperations = 100'000;
  std::vector<std::unique_ptr<RemoteOperation>> ops;
  auto started = std::async(std::launch::async, [&] {
    for (int i = 0; i < kOperations; ++i) {
      ops.push_back(client->Start({.name = "while-stopped"}));
      if (i % 2 == 0) ops.back()->Finish();
    }
  });
  const bool returned = started.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  canceld.Signal(SIGCONT);
  started.wait();
  EXPECT_TRUE(returned) << "Start/Finish waited for a stopped daemon";
  ASSERT_TRUE(ops.back()->WaitRegistered(absl::Seconds(60)));
  EXPECT_EQ(first->id().empty(), false);
  ops.clear();
  client.reset();
  EXPECT_EQ(canceld.Terminate(absl::Seconds(30)), 0) << canceld.err();
}

// A daemon silent for its lease is left, as it leaves a silent client: the
// session ends (dropping what was queued for it), operations carry on
// locally, and everything live is registered again once it answers.
TEST(ClientWithAStoppedDaemon, ASilentDaemonIsLeftAfterItsLeaseAndRejoinedWhenItAnswers) {
  test_support::TempDir dir;
  const std::string endpoint = absl::StrCat("unix:", dir.path(), "/canceld.sock");
  test_support::Process canceld({CANCELD_PATH, "--state-dir", "none", "--listen", endpoint,
                                 "--heartbeat-interval", "100ms", "--lease-timeout", "1s"},
                                dir.path() + "/canceld");
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(dir.path() + "/canceld.sock"); }))
      << canceld.err();
  ClientOptions options;
  options.endpoint = endpoint;
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  auto client = *Client::Connect(options);
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(30))) << canceld.err();
  auto op = client->Start({.name = "long"});
  ASSERT_TRUE(op->WaitRegistered(absl::Seconds(10)));

  canceld.Signal(SIGSTOP);
  const bool left = Eventually([&] { return !client->connected(); }, absl::Seconds(30));
  auto meanwhile = client->Start({.name = "meanwhile"});  // works offline
  canceld.Signal(SIGCONT);
  ASSERT_TRUE(left) << "the SDK stayed on a daemon that stopped answering";
  EXPECT_FALSE(op->IsCancelled());
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(30)));
  EXPECT_TRUE(meanwhile->WaitRegistered(absl::Seconds(30)));
  EXPECT_TRUE(Eventually([&] { return !op->id().empty(); }));
  client.reset();
  EXPECT_EQ(canceld.Terminate(absl::Seconds(30)), 0) << canceld.err();
}

// Time the SDK spends in a user's callback is not the daemon's silence: a
// callback slower than the lease must not end a healthy session (that would
// make every operation of the process LOST).
TEST_F(ClientTest, ACallbackSlowerThanTheLeaseDoesNotEndTheSession) {
  daemon_->Shutdown();
  daemon_.reset();
  daemon::DaemonOptions options;
  options.listen = {endpoint_};
  options.limits.heartbeat_interval = absl::Milliseconds(100);
  options.limits.lease_timeout = absl::Milliseconds(500);
  daemon_ = *Daemon::Start(options);
  auto client = Connect();
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(10)));
  const uint64_t session = client->session_id();
  auto slow = StartRegistered(*client, {.name = "slow"});
  auto other = StartRegistered(*client, {.name = "other"});
  Notification done;
  CancellationCallback callback(slow->token(), [&](const CancellationDetails&) {
    absl::SleepFor(absl::Seconds(2));  // the slow callback under test: 4 leases
    done.Notify();
  });
  ASSERT_TRUE(daemon_->state().graph.Cancel(slow->id(), "slowly", "test", true).ok());
  done.WaitForNotification();
  // A round trip after the callback: a session ended meanwhile would show.
  auto after = StartRegistered(*client, {.name = "after"});
  EXPECT_EQ(client->session_id(), session);
  EXPECT_EQ(DaemonView(other->id()).status, OpStatus::kRunning);
}

// Operations may carry up to 64 KiB of metadata each: a page of them is cut
// at 1 MiB (with a token that lists on), and every one is still listed.
TEST_F(ClientTest, PagesOfHeavyOperationsStayWithinTheReplyBudgetAndListEveryOne) {
  auto client = Connect();
  Metadata heavy;
  for (int i = 0; i < 64; ++i) heavy["k" + std::to_string(i)] = std::string(1000, 'v');
  std::vector<std::unique_ptr<RemoteOperation>> ops;
  for (int i = 0; i < 40; ++i)
    ops.push_back(StartRegistered(*client, {.name = "heavy", .metadata = heavy}));
  auto stub =
      v1::Canceld::NewStub(grpc::CreateChannel(endpoint_, grpc::InsecureChannelCredentials()));
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext context;
    v1::ListOperationsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    v1::ListOperationsResponse response;
    ASSERT_TRUE(stub->ListOperations(&context, request, &response).ok());
    EXPECT_LE(response.ByteSizeLong(), 2u << 20);
    for (const auto& op : response.operations()) listed.push_back(op.id());
    token = response.next_page_token();
    ++pages;
  } while (!token.empty());
  EXPECT_GE(pages, 3);  // 40 x 64 KiB does not fit one 1 MiB page
  ASSERT_EQ(listed.size(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i) EXPECT_EQ(listed[i], ops[i]->id());
}

// The last owner of a Client may drop it, with its operation, from that
// operation's own cancel callback (on the SDK's reader thread): the reader
// must neither join itself nor run on a destroyed client (ASan checks this).
TEST_F(ClientTest, AClientAndItsOperationDestroyedFromTheOperationsCallbackEndCleanly) {
  auto client = Connect();
  auto op = StartRegistered(*client, {.name = "self"});
  const std::string id = op->id();
  Notification done;
  CancellationToken token = op->token();
  CancellationToken::Registration registration = token.OnCancel([&](const CancellationDetails&) {
    op.reset();
    client.reset();
    done.Notify();
  });
  ASSERT_TRUE(daemon_->state().graph.Cancel(id, "end it all", "test", true).ok());
  done.WaitForNotification();
  // The session ends as a clean close: the operation was finished, not lost.
  ASSERT_TRUE(Eventually([&] { return DaemonView(id).status == OpStatus::kCancelled; }));
}

// --- The SDK on an injected clock (ClientOptions::scheduler over a FakeClock). ---

TEST(ClientOnAFakeClock, ALocalDeadlineFiresWhenTheClockReachesIt) {
  test_support::TempDir dir;
  FakeClock clock;
  Scheduler scheduler(clock);
  ClientOptions options;
  options.endpoint = absl::StrCat("unix:", dir.path(), "/nobody.sock");  // no daemon
  options.scheduler = &scheduler;
  auto client = *Client::Connect(options);
  auto op = client->Start({.name = "timed", .timeout = absl::Hours(1)});
  clock.Advance(absl::Minutes(59));
  EXPECT_FALSE(op->IsCancelled());
  clock.Advance(absl::Minutes(1));  // an hour has passed, on the clock given
  ASSERT_TRUE(op->token().WaitFor(absl::Seconds(30)));
  EXPECT_EQ(op->token().details()->reason, CancelReason::kTimeout);
  EXPECT_EQ(op->token().details()->message, TimeoutMessage(absl::Hours(1)));
}

TEST(ClientOnAFakeClock, ReconnectsWaitTheirBackoffOnTheInjectedClock) {
  test_support::TempDir dir;
  const std::string endpoint = absl::StrCat("unix:", dir.path(), "/canceld.sock");
  FakeClock clock;
  Scheduler scheduler(clock);
  ClientOptions options;
  options.endpoint = endpoint;
  options.scheduler = &scheduler;
  options.initial_backoff = absl::Seconds(1);
  auto client = *Client::Connect(options);
  ASSERT_FALSE(client->WaitConnectedOrRefused(absl::Seconds(30)));  // no daemon yet
  daemon::DaemonOptions daemon_options;
  daemon_options.listen = {endpoint};
  auto daemon = *Daemon::Start(daemon_options);
  // The SDK sleeps its backoff (0.5 to 1 s) in the clock's time, which
  // stands still: two real seconds later it has not tried again.
  EXPECT_FALSE(client->WaitConnected(absl::Seconds(2)));
  EXPECT_TRUE(Eventually([&] {
    clock.Advance(absl::Seconds(1));
    return client->connected();
  }));
}

TEST(ClientOnAFakeClock, HeartbeatsAreSentOnTheInjectedClock) {
  test_support::TempDir dir;
  const std::string endpoint = absl::StrCat("unix:", dir.path(), "/canceld.sock");
  daemon::DaemonOptions daemon_options;
  daemon_options.listen = {endpoint};
  daemon_options.limits.heartbeat_interval = absl::Milliseconds(100);
  daemon_options.limits.lease_timeout = absl::Milliseconds(500);
  auto daemon = *Daemon::Start(daemon_options);
  FakeClock clock;
  Scheduler scheduler(clock);
  ClientOptions options;
  options.endpoint = endpoint;
  options.scheduler = &scheduler;
  auto client = *Client::Connect(options);
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(30)));
  auto op = client->Start({.name = "kept"});
  ASSERT_TRUE(op->WaitRegistered(absl::Seconds(10)));
  // The clock standing still, no heartbeat goes: the daemon (real time)
  // ends the session after its lease, and the operation is lost there.
  const std::string id = op->id();
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<daemon::Operation> seen = daemon->state().graph.Get(id);
    return seen.ok() && seen->status == OpStatus::kLost;
  }));
}

TEST(ClientOnAFakeClock, ASilentDaemonIsLeftWhenTheInjectedClockPassesItsLease) {
  test_support::TempDir dir;
  const std::string endpoint = absl::StrCat("unix:", dir.path(), "/canceld.sock");
  test_support::Process canceld(
      {CANCELD_PATH, "--state-dir", "none", "--listen", endpoint, "--lease-timeout", "60s"},
      dir.path() + "/canceld");
  // Serving, not only bound: on the fake clock the SDK's retry would never come.
  ASSERT_TRUE(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials())
                  ->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(30))))
      << canceld.err();
  FakeClock clock;
  Scheduler scheduler(clock);
  ClientOptions options;
  options.endpoint = endpoint;
  options.scheduler = &scheduler;
  auto client = *Client::Connect(options);
  ASSERT_TRUE(client->WaitConnected(absl::Seconds(30))) << canceld.err();
  canceld.Signal(SIGSTOP);
  clock.Advance(absl::Seconds(59));
  EXPECT_TRUE(client->connected());  // within the lease
  // A reply the daemon sent before it stopped may be read late (on a loaded
  // machine, after several advances) and restart the count once: the SDK
  // must leave within two more leases of fake time, whichever it counts from.
  bool left = false;
  for (int i = 0; i < 61 && !left; ++i) {
    clock.Advance(absl::Seconds(2));
    left = Eventually([&] { return !client->connected(); }, absl::Seconds(i == 0 ? 10 : 1));
  }
  canceld.Signal(SIGCONT);
  EXPECT_TRUE(left) << "the SDK stayed on a daemon silent past its lease";
  client.reset();
  EXPECT_EQ(canceld.Terminate(absl::Seconds(30)), 0) << canceld.err();
}

}  // namespace
}  // namespace hother::cancelable
