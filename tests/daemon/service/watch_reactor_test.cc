// A Watch stream against an in-process daemon: its bound on a watcher that
// does not read.
#include "daemon/service/watch_reactor.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/daemon.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"
#include "tests/support/process.h"

namespace hother::cancelable::daemon {
namespace {

TEST(WatchReactor, AWatcherThatFallsBehindItsQueueLimitIsEndedAndToldWhereToResume) {
  test_support::TempDir dir;
  DaemonOptions options;
  options.listen = {absl::StrCat("unix:", dir.path(), "/canceld.sock")};
  options.limits.watch_queue_limit = 50;
  absl::StatusOr<std::unique_ptr<Daemon>> daemon = Daemon::Start(options);
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  auto stub = pb::Canceld::NewStub(
      grpc::CreateChannel(options.listen[0], grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto reader = stub->Watch(&context, pb::WatchRequest());
  pb::WatchEvent event;
  ASSERT_TRUE(reader->Read(&event));
  ASSERT_EQ(event.type(), pb::WATCH_EVENT_TYPE_START);

  // Far more than the transport buffers while nobody reads.
  const std::string name(200, 'n');
  for (int i = 0; i < 20'000; ++i) {
    ASSERT_TRUE((*daemon)->state().graph.Register(Owner{1, "p", 1, "h"}, {.name = name}).ok());
  }
  uint64_t expected = 1;
  while (reader->Read(&event)) {
    EXPECT_EQ(event.sequence(), expected++);  // what was sent came in order, none skipped
  }
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_THAT(status.error_message(),
              ::testing::HasSubstr("watcher fell behind by more than 50 events or"));
  EXPECT_LT(expected, 20'000u);
  (*daemon)->Shutdown();
}

}  // namespace
}  // namespace hother::cancelable::daemon
