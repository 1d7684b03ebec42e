// cancelctl list, get, cancel, cancel-all, health and version.
#include "client/cancelctl/commands.h"

#include <istream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/cancelctl/output.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "hother/cancelable/version.h"

namespace hother::cancelable::cancelctl {
namespace {

void PrintOperations(const Cli& cli, const google::protobuf::RepeatedPtrField<pb::Operation>& ops) {
  const absl::Time now = absl::Now();
  std::vector<Row> rows = {OperationHeader(cli.wide())};
  for (const pb::Operation& op : ops) rows.push_back(OperationRow(op, now, cli.wide()));
  cli.out() << FormatTable(rows);
}

// canceld lists the oldest 1000 matches of a cancel-all; says how many more.
void PrintUnlisted(const Cli& cli, const pb::CancelAllResponse& response) {
  if (response.matched() > response.operations_size()) {
    cli.out() << "... and " << response.matched() - response.operations_size()
              << " more (the first " << response.operations_size() << " are listed)\n";
  }
}

std::string Plural(int64_t n, absl::string_view word) {
  return absl::StrCat(n, " ", word, n == 1 ? "" : "s");
}

}  // namespace

bool BuildFilter(const FilterArgs& args, pb::OperationFilter* out, std::ostream& err) {
  out->set_selector(args.selector);
  out->set_name_glob(args.name_glob);
  for (const std::string& status : args.statuses) {
    pb::OperationStatus value;
    if (!pb::OperationStatus_Parse("OPERATION_STATUS_" + absl::AsciiStrToUpper(status), &value) ||
        value == pb::OPERATION_STATUS_UNSPECIFIED) {
      err << "cancelctl: --status: '" << status
          << "' is not a status (running, cancelling, completed, cancelled, failed, timeout, "
             "lost)\n";
      return false;
    }
    out->add_statuses(value);
  }
  return true;
}

bool ParseLabels(const std::vector<std::string>& labels, const char* flag,
                 std::map<std::string, std::string>* out, std::ostream& err) {
  for (const std::string& label : labels) {
    std::pair<std::string, std::string> kv = absl::StrSplit(label, absl::MaxSplits('=', 1));
    if (kv.first.empty() || label.find('=') == std::string::npos) {
      err << "cancelctl: " << flag << " '" << label << "': expected key=value\n";
      return false;
    }
    (*out)[kv.first] = kv.second;
  }
  return true;
}

int ListCommand(Cli& cli, const ListArgs& args) {
  pb::ListOperationsRequest request;
  if (!BuildFilter(args.filter, request.mutable_filter(), cli.err())) return kUsage;
  if (args.filter.statuses.empty() && !args.all) {  // what is live, unless asked
    request.mutable_filter()->add_statuses(pb::OPERATION_STATUS_RUNNING);
    request.mutable_filter()->add_statuses(pb::OPERATION_STATUS_CANCELLING);
  }
  request.set_page_size(1000);
  pb::ListOperationsResponse all;
  grpc::Status status = cli.AllPages<pb::ListOperationsRequest, pb::ListOperationsResponse>(
      request, &all, [&](grpc::ClientContext* c, const auto& r, auto* page) {
        return cli.stub().ListOperations(c, r, page);
      });
  if (!status.ok()) return cli.Fail("list", status);
  if (cli.json()) return cli.PrintJson("list", all);
  PrintOperations(cli, all.operations());
  return kOk;
}

int GetCommand(Cli& cli, const std::string& id, int64_t causes_from) {
  pb::GetOperationRequest request;
  request.set_id(id);
  request.set_cause_offset(causes_from);
  return cli.Call<pb::Operation>(
      absl::StrCat("get ", id),
      [&](grpc::ClientContext* c, pb::Operation* r) {
        return cli.stub().GetOperation(c, request, r);
      },
      [&](const pb::Operation& op) { cli.out() << DescribeOperation(op, absl::Now()); });
}

int CancelCommand(Cli& cli, const CancelArgs& args) {
  int exit_code = kOk;
  for (const std::string& id : args.ids) {
    pb::CancelRequest request;
    request.set_id(id);
    request.set_message(args.message);
    request.set_no_cascade(args.no_cascade);
    request.set_actor(cli.Actor());
    int code = cli.Call<pb::CancelResponse>(
        absl::StrCat("cancel ", id),
        [&](grpc::ClientContext* c, pb::CancelResponse* r) {
          return cli.stub().Cancel(c, request, r);
        },
        [&](const pb::CancelResponse& response) {
          if (response.first()) {
            cli.out() << id << ": cancel requested (" << Plural(response.reached(), "operation")
                      << ")\n";
          } else if (response.resent() > 0) {
            cli.out() << id << ": already " << StatusName(response.operation().status())
                      << "; the cancel was sent again to the owners of "
                      << Plural(response.resent(), "operation") << " still cancelling\n";
          } else {
            cli.out() << id << ": already " << StatusName(response.operation().status())
                      << "; nothing changed\n";
          }
        });
    if (exit_code == kOk) exit_code = code;
  }
  return exit_code;
}

namespace {

// On a terminal, shows what would be cancelled and asks; true to go on.
bool Confirm(Cli& cli, const pb::CancelAllRequest& request, std::istream& in, int* exit_code) {
  pb::CancelAllRequest preview = request;
  preview.set_dry_run(true);
  pb::CancelAllResponse matched;
  grpc::Status status = cli.stub().CancelAll(cli.Context().get(), preview, &matched);
  if (!status.ok()) {
    *exit_code = cli.Fail("cancel-all", status);
    return false;
  }
  PrintOperations(cli, matched.operations());
  PrintUnlisted(cli, matched);
  cli.out() << "Cancel these " << matched.matched() << " operations? [y/N] " << std::flush;
  std::string answer;
  std::getline(in, answer);
  if (answer == "y" || answer == "Y" || answer == "yes") return true;
  cli.out() << "Nothing cancelled.\n";
  *exit_code = kOk;
  return false;
}

}  // namespace

int CancelAllCommand(Cli& cli, const CancelAllArgs& args, Input input) {
  pb::CancelAllRequest request;
  if (!BuildFilter(args.filter, request.mutable_filter(), cli.err())) return kUsage;
  if (args.filter.selector.empty() && args.filter.name_glob.empty() && !args.all) {
    return cli.Usage("cancel-all: say what to cancel: -l SELECTOR, --name GLOB or --all");
  }
  request.set_all(args.all);
  request.set_message(args.message);
  request.set_actor(cli.Actor());
  if (!args.dry_run && !args.yes) {
    if (!input.terminal) {
      return cli.Usage("cancel-all: refusing without -y when not on a terminal");
    }
    int exit_code = kOk;
    if (!Confirm(cli, request, input.in, &exit_code)) return exit_code;
  }
  request.set_dry_run(args.dry_run);
  return cli.Call<pb::CancelAllResponse>(
      "cancel-all",
      [&](grpc::ClientContext* c, pb::CancelAllResponse* r) {
        return cli.stub().CancelAll(c, request, r);
      },
      [&](const pb::CancelAllResponse& response) {
        PrintOperations(cli, response.operations());
        PrintUnlisted(cli, response);
        if (args.dry_run) {
          cli.out() << "Dry run: " << Plural(response.matched(), "operation")
                    << " would be cancelled; nothing changed.\n";
        } else {
          cli.out() << "Cancelled " << Plural(response.cancelled(), "operation") << ".\n";
        }
      });
}

int HealthCommand(Cli& cli) {
  using grpc::health::v1::HealthCheckResponse;
  auto stub = grpc::health::v1::Health::NewStub(cli.channel());
  grpc::health::v1::HealthCheckRequest request;
  HealthCheckResponse response;
  grpc::Status status = stub->Check(cli.Context().get(), request, &response);
  if (!status.ok()) return cli.Fail("health", status);
  // The state store's health: serving, but not keeping what it is told, is
  // not healthy either.
  pb::DaemonInfo daemon;
  const bool store_failing =
      cli.stub().GetDaemonInfo(cli.Context().get(), pb::GetDaemonInfoRequest(), &daemon).ok() &&
      !daemon.store_error().empty();
  if (cli.json()) {
    if (const int code = cli.PrintJson("health", response); code != kOk) return code;
  } else {
    cli.out() << HealthCheckResponse::ServingStatus_Name(response.status()) << "\n";
  }
  if (store_failing) {
    cli.err() << "cancelctl: health: the state store is failing (cancels are delivered but not "
                 "kept): "
              << daemon.store_error() << "\n";
  }
  return response.status() == HealthCheckResponse::SERVING && !store_failing ? kOk : kUnavailable;
}

int CanICommand(Cli& cli, const CanIArgs& args) {
  pb::CheckAccessRequest request;
  request.set_verb(args.verb);
  const bool token = args.token || absl::StartsWith(args.verb, "token-");
  if (!args.target.empty()) {
    if (token) {
      request.set_token(args.target);
    } else {
      request.set_operation_id(args.target);
    }
  }
  pb::CheckAccessResponse response;
  grpc::Status status = cli.stub().CheckAccess(cli.Context().get(), request, &response);
  if (!status.ok()) return cli.Fail("auth can-i", status);
  if (cli.json()) {
    const int printed = cli.PrintJson("auth can-i", response);
    if (printed != kOk) return printed;
  } else {
    cli.out() << (response.allowed() ? "yes" : "no") << "\n"
              << response.reason() << " (you are " << response.principal() << ")\n";
  }
  return response.allowed() ? kOk : kPermissionDenied;
}

int VersionCommand(Cli& cli) {
  pb::GetDaemonInfoRequest request;
  pb::DaemonInfo daemon;
  grpc::Status status = cli.stub().GetDaemonInfo(cli.Context().get(), request, &daemon);
  if (cli.json()) {
    google::protobuf::Value out;
    auto& fields = *out.mutable_struct_value()->mutable_fields();
    fields["cancelctl"].set_string_value(kVersion);
    absl::StatusOr<google::protobuf::Value> canceld = ToJsonValue(daemon);
    if (status.ok() && canceld.ok()) {
      fields["canceld"] = *std::move(canceld);
    } else {
      fields["canceld"].set_null_value(google::protobuf::NULL_VALUE);
    }
    cli.out() << JsonText(out) << "\n";
    return kOk;
  }
  cli.out() << "cancelctl " << kVersion << "\n";
  if (status.ok()) {
    cli.out() << "canceld " << daemon.version() << " (pid " << daemon.pid() << ", "
              << cli.options().endpoint << ")\n";
    if (!daemon.state_store().empty()) {
      cli.out() << "state: " << daemon.state_store() << " (" << daemon.durability() << ")\n";
    }
  } else {
    cli.out() << "canceld: not reachable at " << cli.options().endpoint << "\n";
  }
  return kOk;
}

}  // namespace hother::cancelable::cancelctl
