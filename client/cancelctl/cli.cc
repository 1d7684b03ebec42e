#include "client/cancelctl/cli.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/src/daemon_channel.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hother/cancelable/internal/endpoint.h"

namespace hother::cancelable::cancelctl {

Cli::Cli(GlobalOptions options, Streams streams) : options_(std::move(options)), streams_(streams) {
  Redial();
}

void Cli::Redial() {
  client_internal::DaemonTrust trust;
  trust.extra_uids.assign(options_.trust_uids.begin(), options_.trust_uids.end());
  trust.explicit_endpoint = options_.explicit_endpoint;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> verified =
      client_internal::DialDaemon(options_.endpoint, trust);
  untrusted_ = absl::OkStatus();
  if (verified.ok()) {
    channel_ = *std::move(verified);
  } else {
    // Nothing there (the calls report it as they always have), or someone
    // not to be trusted (Untrusted() says so; nothing is sent to it).
    if (absl::IsPermissionDenied(verified.status())) untrusted_ = verified.status();
    channel_ = grpc::CreateChannel(options_.endpoint, grpc::InsecureChannelCredentials());
  }
  stub_ = pb::Canceld::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Cli::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.rpc_timeout));
  return context;
}

int ExitCodeFor(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return kUsage;
    case grpc::StatusCode::NOT_FOUND:
      return kNotFound;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return kPermissionDenied;
    case grpc::StatusCode::UNAVAILABLE:
      return kUnavailable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kTimedOut;
    default:
      return kError;
  }
}

std::string SocketPermissionProblem(const std::string& endpoint) {
  std::optional<std::string> path = UnixSocketPath(endpoint);
  if (!path.has_value() || access(path->c_str(), R_OK | W_OK) == 0 || errno != EACCES) return "";
  std::string what = absl::StrCat("permission denied on ", *path);
  struct stat st;
  if (stat(path->c_str(), &st) == 0) {
    struct group* group = getgrgid(st.st_gid);
    const std::string name = group != nullptr ? group->gr_name : absl::StrCat(st.st_gid);
    absl::StrAppendFormat(&what, " (mode %04o, group %s): members of the group %s may use it",
                          st.st_mode & 07777, name, name);
  } else {
    absl::StrAppend(&what, " (its directory is not searchable by this user)");
  }
  return what;
}

int Cli::Fail(const std::string& what, const grpc::Status& status) const {
  std::string message = status.error_message();
  int code = ExitCodeFor(status);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    if (std::string denied = SocketPermissionProblem(options_.endpoint); !denied.empty()) {
      message = denied;
      code = kPermissionDenied;
    } else {
      message = absl::StrCat("canceld is not reachable at ", options_.endpoint, " (", message, ")");
    }
  } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    message = absl::StrCat("no answer within ", absl::FormatDuration(options_.rpc_timeout),
                           " (--rpc-timeout)");
  }
  err() << "cancelctl: " << what << ": " << message << "\n";
  return code;
}

int Cli::Usage(const std::string& message) const {
  err() << "cancelctl: " << message << "\n";
  return kUsage;
}

int Cli::PrintJson(const std::string& what, const google::protobuf::Message& message) const {
  absl::StatusOr<std::string> json = ToJson(message);
  if (!json.ok()) {
    err() << "cancelctl: " << what
          << ": cannot print the answer as JSON: " << json.status().message() << "\n";
    return kError;
  }
  out() << *json << std::endl;
  return kOk;
}

std::string Cli::Actor() const {
  // Who runs it is verified by canceld (the socket's peer credentials);
  // this is only the client's word about itself.
  return "cancelctl";
}

bool ParseDurationFlag(const std::string& flag, const std::string& text, bool positive,
                       absl::Duration* out, std::ostream& err) {
  absl::Duration d;
  if (absl::ParseDuration(text, &d) &&
      (positive ? d > absl::ZeroDuration() : d >= absl::ZeroDuration())) {
    *out = d;
    return true;
  }
  err << "cancelctl: " << flag << " '" << text << "' is not a " << (positive ? "positive " : "")
      << "duration like 30s or 500ms\n";
  return false;
}

}  // namespace hother::cancelable::cancelctl
