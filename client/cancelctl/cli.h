// cancelctl's shared pieces: global options, the connection, exit codes and
// output. Each command lives in its own file (commands.cc, run_command.cc).
//
// Exit codes (documented in docs/CANCELCTL.md):
//   0 ok, 1 error, 2 usage (bad flags, bad selector, bad input),
//   3 not found, 4 permission denied, 5 daemon unavailable, 6 timed out,
//   and for `run`: the command's own status, or 124 when it was cancelled.
#ifndef HOTHER_CANCELABLE_CLIENT_CANCELCTL_CLI_H_
#define HOTHER_CANCELABLE_CLIENT_CANCELCTL_CLI_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"

namespace hother::cancelable::cancelctl {

namespace pb = ::hother::cancelable::v1;

enum ExitCode {
  kOk = 0,
  kError = 1,
  kUsage = 2,
  kNotFound = 3,
  kPermissionDenied = 4,
  kUnavailable = 5,
  kTimedOut = 6,
  kRunCancelled = 124,
};

enum class Format { kTable, kWide, kJson };

struct GlobalOptions {
  std::string endpoint;  // resolved
  absl::Duration timeout = absl::Seconds(5);
  Format format = Format::kTable;
};

class Cli {
 public:
  explicit Cli(GlobalOptions options);

  const GlobalOptions& options() const { return options_; }
  pb::Canceld::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // A context with the --timeout deadline.
  std::unique_ptr<grpc::ClientContext> Context() const;

  // Prints "cancelctl: <what>: <message>" to stderr; returns the exit code.
  int Fail(const std::string& what, const grpc::Status& status) const;
  // "who is asking", recorded by the daemon with each cancel.
  std::string Actor() const;

 private:
  GlobalOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Canceld::Stub> stub_;
};

int ExitCodeFor(const grpc::Status& status);

// Parses a duration flag ("500ms", "30s"); `positive` refuses zero. On a bad
// value prints "cancelctl: <flag> '<text>' is not a ... duration like 30s"
// and returns false (the caller exits with kUsage).
bool ParseDurationFlag(const std::string& flag, const std::string& text, bool positive,
                       absl::Duration* out);

// --- Output. ---

// Rows printed as aligned columns.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);
// The proto3 JSON form of a message, on one line.
std::string ToJson(const google::protobuf::Message& message);
std::string StatusName(pb::OperationStatus status);
std::string ReasonName(pb::CancelReason reason);
// "3s", "4m12s", "2h5m" (rounded for people).
std::string HumanDuration(absl::Duration d);
std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels);
// Multi-line description for `get`.
std::string DescribeOperation(const pb::Operation& op, absl::Time now);
std::vector<std::string> OperationRow(const pb::Operation& op, absl::Time now, bool wide);
std::vector<std::string> OperationHeader(bool wide);

}  // namespace hother::cancelable::cancelctl

#endif  // HOTHER_CANCELABLE_CLIENT_CANCELCTL_CLI_H_
