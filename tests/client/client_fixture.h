// The fixture of the SDK's tests: an in-process daemon on a socket in a temp
// dir, and clients with short backoffs.
#ifndef HOTHER_CANCELABLE_TESTS_CLIENT_CLIENT_FIXTURE_H_
#define HOTHER_CANCELABLE_TESTS_CLIENT_CLIENT_FIXTURE_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/daemon.h"
#include "gtest/gtest.h"
#include "hother/cancelable/client/client.h"
#include "tests/support/process.h"

namespace hother::cancelable {

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = absl::StrCat("unix:", dir_.path(), "/canceld.sock");
    StartDaemon();
  }
  void StartDaemon() {
    daemon::DaemonOptions options;
    options.listen = {endpoint_};
    options.limits.heartbeat_interval = absl::Milliseconds(100);
    absl::StatusOr<std::unique_ptr<daemon::Daemon>> d = daemon::Daemon::Start(options);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = *std::move(d);
  }
  std::unique_ptr<Client> Connect() {
    ClientOptions options;
    options.endpoint = endpoint_;
    options.process_name = "client-test";
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(200);
    options.progress_interval = absl::Milliseconds(50);
    auto client = Client::Connect(options);
    EXPECT_TRUE(client.ok());
    return *std::move(client);
  }
  std::unique_ptr<RemoteOperation> StartRegistered(Client& client, StartOptions options) {
    auto op = client.Start(std::move(options));
    EXPECT_TRUE(op->WaitRegistered(absl::Seconds(10))) << op->registration_error();
    return op;
  }
  daemon::Operation DaemonView(const std::string& id) {
    absl::StatusOr<daemon::Operation> op = daemon_->state().graph.Get(id);
    EXPECT_TRUE(op.ok()) << op.status();
    return op.ok() ? *op : daemon::Operation{};
  }

  test_support::TempDir dir_;
  std::string endpoint_;
  std::unique_ptr<daemon::Daemon> daemon_;
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_TESTS_CLIENT_CLIENT_FIXTURE_H_
