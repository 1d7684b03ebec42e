// cancelctl's shared pieces: global options, the connection to canceld, the
// streams a command writes to, exit codes, and the one way a command calls
// the daemon and prints the answer (JSON or text) or the failure.
//
// Exit codes (documented in docs/CANCELCTL.md):
//   0 ok, 1 error, 2 usage (bad flags, bad selector, bad input),
//   3 not found, 4 permission denied, 5 daemon unavailable, 6 timed out,
//   and for `run`: the command's own status, or 124 when it was cancelled.
//
// Thread-safety: a Cli is used by one command on one thread.
#ifndef HOTHER_CANCELABLE_CLIENT_CANCELCTL_CLI_H_
#define HOTHER_CANCELABLE_CLIENT_CANCELCTL_CLI_H_

#include <functional>
#include <istream>
#include <memory>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "client/cancelctl/json.h"
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
  // --endpoint or $CANCELD_ENDPOINT named it: its directory is not checked
  // (the daemon behind it still is).
  bool explicit_endpoint = false;
  std::vector<uint32_t> trust_uids;               // --trust-uid: more uids a daemon may run as
  absl::Duration rpc_timeout = absl::Seconds(5);  // --rpc-timeout: each call's deadline
  Format format = Format::kTable;
};

// Where a command writes: its answer to `out`, diagnostics to `err`.
struct Streams {
  std::ostream& out;
  std::ostream& err;
};

// Where a command reads a person's answer (cancel-all's question), and
// whether a person is there to answer (stdin is a terminal).
struct Input {
  std::istream& in;
  bool terminal = false;
};

class Cli {
 public:
  Cli(GlobalOptions options, Streams streams);

  const GlobalOptions& options() const { return options_; }
  bool json() const { return options_.format == Format::kJson; }
  bool wide() const { return options_.format == Format::kWide; }
  std::ostream& out() const { return streams_.out; }
  std::ostream& err() const { return streams_.err; }
  // PERMISSION_DENIED when the process on the socket is not a trusted
  // canceld, or the socket's directory could be another user's: then no
  // command may talk to it (Execute checks this first).
  const absl::Status& Untrusted() const { return untrusted_; }
  // Connects again (a unix socket's channel lives as long as its
  // connection): for commands that outlive a daemon's restart (watch).
  void Redial();
  pb::Canceld::Stub& stub() { return *stub_; }
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  // A context with the --rpc-timeout deadline.
  std::unique_ptr<grpc::ClientContext> Context() const;

  // Prints "cancelctl: <what>: <message>" to err (for UNAVAILABLE, where the
  // daemon was looked for and why it was not reached); returns the exit code.
  int Fail(const std::string& what, const grpc::Status& status) const;
  // Prints "cancelctl: <message>" to err; returns kUsage.
  int Usage(const std::string& message) const;
  // "who is asking", recorded by the daemon with each cancel.
  std::string Actor() const;

  // The shape of nearly every command: calls `rpc` with a fresh context; on
  // failure prints it (Fail) and returns its exit code; on success prints
  // the response as JSON with -o json, or through `print_text`, and returns 0.
  template <typename Response>
  int Call(const std::string& what,
           const std::function<grpc::Status(grpc::ClientContext*, Response*)>& rpc,
           const std::function<void(const Response&)>& print_text) {
    Response response;
    grpc::Status status = rpc(Context().get(), &response);
    if (!status.ok()) return Fail(what, status);
    if (json()) return PrintJson(what, response);
    print_text(response);
    return kOk;
  }

  // Calls a paged `rpc` until its last page, every page's items appended to
  // `all` (each page's next_page_token becomes the next request's token).
  template <typename Request, typename Response>
  grpc::Status AllPages(
      Request request, Response* all,
      const std::function<grpc::Status(grpc::ClientContext*, const Request&, Response*)>& rpc) {
    for (;;) {
      Response page;
      grpc::Status status = rpc(Context().get(), request, &page);
      if (!status.ok()) return status;
      std::string next = page.next_page_token();
      all->MergeFrom(page);  // repeated fields append
      if (next.empty()) break;
      request.set_page_token(std::move(next));
    }
    all->clear_next_page_token();
    return grpc::Status::OK;
  }

  // Prints `message` as one line of JSON and returns kOk; a value with no
  // JSON form prints nothing to out, an error to err, and returns kError.
  int PrintJson(const std::string& what, const google::protobuf::Message& message) const;

 private:
  GlobalOptions options_;
  Streams streams_;
  absl::Status untrusted_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Canceld::Stub> stub_;
};

int ExitCodeFor(const grpc::Status& status);

// Parses a duration flag ("500ms", "30s"); `positive` refuses zero. On a bad
// value prints "cancelctl: <flag> '<text>' is not a ... duration like 30s"
// to `err` and returns false (the caller exits with kUsage).
bool ParseDurationFlag(const std::string& flag, const std::string& text, bool positive,
                       absl::Duration* out, std::ostream& err);

// Why a unix socket cannot be used by this user, with what grants access
// ("permission denied on /run/canceld/canceld.sock (mode 0660, group canceld):
// join the group canceld"), or empty when it can (or the endpoint is TCP).
std::string SocketPermissionProblem(const std::string& endpoint);

}  // namespace hother::cancelable::cancelctl

#endif  // HOTHER_CANCELABLE_CLIENT_CANCELCTL_CLI_H_
