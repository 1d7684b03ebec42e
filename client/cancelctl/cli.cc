#include "client/cancelctl/cli.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/wire.h"

namespace hother::cancelable::cancelctl {

Cli::Cli(GlobalOptions options) : options_(std::move(options)) {
  channel_ = grpc::CreateChannel(options_.endpoint, grpc::InsecureChannelCredentials());
  stub_ = pb::Canceld::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Cli::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.timeout));
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

int Cli::Fail(const std::string& what, const grpc::Status& status) const {
  std::string message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    message = absl::StrCat("canceld is not reachable at ", options_.endpoint, " (", message, ")");
  } else if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    message =
        absl::StrCat("no answer within ", absl::FormatDuration(options_.timeout), " (--timeout)");
  }
  std::cerr << "cancelctl: " << what << ": " << message << "\n";
  return ExitCodeFor(status);
}

std::string Cli::Actor() const {
  const char* user = getenv("USER");
  return absl::StrCat("cancelctl uid=", getuid(),
                      user != nullptr ? absl::StrCat(" user=", user) : "", " pid=", getpid());
}

bool ParseDurationFlag(const std::string& flag, const std::string& text, bool positive,
                       absl::Duration* out) {
  absl::Duration d;
  if (absl::ParseDuration(text, &d) &&
      (positive ? d > absl::ZeroDuration() : d >= absl::ZeroDuration())) {
    *out = d;
    return true;
  }
  std::cerr << "cancelctl: " << flag << " '" << text << "' is not a "
            << (positive ? "positive " : "") << "duration like 30s or 500ms\n";
  return false;
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

std::string StatusName(pb::OperationStatus status) {
  std::string name = pb::OperationStatus_Name(status);
  name = name.substr(std::string("OPERATION_STATUS_").size());
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  return name;
}

std::string ReasonName(pb::CancelReason reason) {
  std::string name = pb::CancelReason_Name(reason);
  name = name.substr(std::string("CANCEL_REASON_").size());
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  return name;
}

std::string HumanDuration(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  if (d < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
  if (d < absl::Minutes(1)) return absl::StrCat(absl::ToInt64Seconds(d), "s");
  if (d < absl::Hours(1)) {
    return absl::StrCat(absl::ToInt64Minutes(d), "m", absl::ToInt64Seconds(d) % 60, "s");
  }
  return absl::StrCat(absl::ToInt64Hours(d), "h", absl::ToInt64Minutes(d) % 60, "m");
}

std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(absl::StrCat(k, "=", v));
  std::sort(parts.begin(), parts.end());
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

std::vector<std::string> OperationHeader(bool wide) {
  std::vector<std::string> header = {"ID", "NAME", "STATUS", "AGE", "OWNER", "LABELS"};
  if (wide) {
    header.insert(header.end(), {"PARENT", "DEADLINE", "REASON", "PROGRESS"});
  }
  return header;
}

std::vector<std::string> OperationRow(const pb::Operation& op, absl::Time now, bool wide) {
  std::vector<std::string> row = {op.id(),
                                  op.name(),
                                  StatusName(op.status()),
                                  HumanDuration(now - wire::FromProto(op.created_time())),
                                  absl::StrCat(op.owner().process_name(), "/", op.owner().pid()),
                                  FormatLabels(op.labels())};
  if (wide) {
    row.push_back(op.parent_id().empty() ? "-" : op.parent_id());
    row.push_back(op.has_deadline()
                      ? absl::StrCat("in ", HumanDuration(wire::FromProto(op.deadline()) - now))
                      : "-");
    row.push_back(op.has_cancel() ? ReasonName(op.cancel().cancellation().reason()) : "-");
    row.push_back(op.has_last_progress() ? op.last_progress().message() : "-");
  }
  return row;
}

std::string DescribeOperation(const pb::Operation& op, absl::Time now) {
  std::vector<std::vector<std::string>> rows = {
      {"ID:", op.id()},
      {"Name:", op.name()},
      {"Status:", StatusName(op.status())},
      {"Labels:", FormatLabels(op.labels())},
      {"Owner:", absl::StrCat(op.owner().process_name(), " pid=", op.owner().pid(),
                              " host=", op.owner().host(), " session=", op.owner().session_id())},
      {"Parent:", op.parent_id().empty() ? "-" : op.parent_id()},
      {"Children:", op.child_ids().empty() ? "-" : absl::StrJoin(op.child_ids(), ", ")},
      {"Created:", absl::StrCat(absl::FormatTime(wire::FromProto(op.created_time())), " (",
                                HumanDuration(now - wire::FromProto(op.created_time())), " ago)")},
  };
  if (op.has_deadline()) {
    absl::Time deadline = wire::FromProto(op.deadline());
    rows.push_back(
        {"Deadline:",
         absl::StrCat(absl::FormatTime(deadline), " (",
                      deadline > now ? "in " + HumanDuration(deadline - now) : "passed", ")")});
  }
  if (op.has_finished_time()) {
    rows.push_back({"Finished:", absl::FormatTime(wire::FromProto(op.finished_time()))});
  }
  if (op.has_cancelling_for()) {
    rows.push_back({"Cancelling for:", HumanDuration(wire::FromProto(op.cancelling_for()))});
  }
  if (op.has_last_progress()) rows.push_back({"Progress:", op.last_progress().message()});
  if (!op.error().empty()) rows.push_back({"Error:", op.error()});
  std::string out = FormatTable(rows);
  if (op.has_cancel()) {
    auto hop = [](const pb::Cancellation& c) {
      return absl::StrCat(ReasonName(c.reason()), ": ", c.message(),
                          c.actor().empty() ? "" : absl::StrCat(" (by ", c.actor(), ")"), " [",
                          c.origin_id(), " at ", absl::FormatTime(wire::FromProto(c.time())), "]");
    };
    out += "Cancel:\n  " + hop(op.cancel().cancellation()) + "\n";
    for (const pb::Cancellation& cause : op.cancel().cause_chain()) {
      out += "  <- " + hop(cause) + "\n";
    }
  }
  return out;
}

}  // namespace hother::cancelable::cancelctl
