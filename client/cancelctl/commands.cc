#include "client/cancelctl/commands.h"

#include <unistd.h>

#include <iostream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace hother::cancelable::cancelctl {
namespace {

// Fills `out`, or prints a usage error and returns false.
bool BuildFilter(const FilterArgs& args, pb::OperationFilter* out) {
  out->set_selector(args.selector);
  out->set_name_glob(args.name_glob);
  for (const std::string& status : args.statuses) {
    pb::OperationStatus value;
    if (!pb::OperationStatus_Parse("OPERATION_STATUS_" + absl::AsciiStrToUpper(status), &value) ||
        value == pb::OPERATION_STATUS_UNSPECIFIED) {
      std::cerr << "cancelctl: --status: '" << status
                << "' is not a status (running, cancelling, completed, cancelled, failed, "
                   "timeout, lost)\n";
      return false;
    }
    out->add_statuses(value);
  }
  return true;
}

void PrintOperations(const Cli& cli, const std::vector<pb::Operation>& ops) {
  const absl::Time now = absl::Now();
  const bool wide = cli.options().format == Format::kWide;
  std::vector<std::vector<std::string>> rows = {OperationHeader(wide)};
  for (const pb::Operation& op : ops) rows.push_back(OperationRow(op, now, wide));
  std::cout << FormatTable(rows);
}

}  // namespace

int ListCommand(Cli& cli, const FilterArgs& args) {
  pb::ListOperationsRequest request;
  if (!BuildFilter(args, request.mutable_filter())) return kUsage;
  request.set_page_size(1000);
  pb::ListOperationsResponse all;
  for (;;) {
    pb::ListOperationsResponse page;
    grpc::Status status = cli.stub().ListOperations(cli.Context().get(), request, &page);
    if (!status.ok()) return cli.Fail("list", status);
    for (pb::Operation& op : *page.mutable_operations()) *all.add_operations() = std::move(op);
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (cli.options().format == Format::kJson) {
    std::cout << ToJson(all) << "\n";
    return kOk;
  }
  PrintOperations(cli, {all.operations().begin(), all.operations().end()});
  return kOk;
}

int GetCommand(Cli& cli, const std::string& id) {
  pb::GetOperationRequest request;
  request.set_id(id);
  pb::Operation op;
  grpc::Status status = cli.stub().GetOperation(cli.Context().get(), request, &op);
  if (!status.ok()) return cli.Fail(absl::StrCat("get ", id), status);
  if (cli.options().format == Format::kJson) {
    std::cout << ToJson(op) << "\n";
  } else {
    std::cout << DescribeOperation(op, absl::Now());
  }
  return kOk;
}

int CancelCommand(Cli& cli, const std::vector<std::string>& ids, const std::string& message,
                  bool no_cascade) {
  int exit_code = kOk;
  for (const std::string& id : ids) {
    pb::CancelRequest request;
    request.set_id(id);
    request.set_message(message);
    request.set_no_cascade(no_cascade);
    request.set_actor(cli.Actor());
    pb::CancelResponse response;
    grpc::Status status = cli.stub().Cancel(cli.Context().get(), request, &response);
    if (!status.ok()) {
      int code = cli.Fail(absl::StrCat("cancel ", id), status);
      if (exit_code == kOk) exit_code = code;
      continue;
    }
    if (cli.options().format == Format::kJson) {
      std::cout << ToJson(response) << "\n";
    } else if (response.first()) {
      std::cout << id << ": cancel requested (" << response.reached() << " operation"
                << (response.reached() == 1 ? "" : "s") << ")\n";
    } else {
      std::cout << id << ": already " << StatusName(response.operation().status())
                << "; nothing changed\n";
    }
  }
  return exit_code;
}

namespace {

// canceld lists the oldest 1000 matches of a cancel-all; says how many more.
void PrintUnlisted(const pb::CancelAllResponse& response) {
  if (response.matched() > response.operations_size()) {
    std::cout << "... and " << response.matched() - response.operations_size()
              << " more (the first " << response.operations_size() << " are listed)\n";
  }
}

}  // namespace

int CancelAllCommand(Cli& cli, const CancelAllArgs& args) {
  pb::CancelAllRequest request;
  if (!BuildFilter(args.filter, request.mutable_filter())) return kUsage;
  if (args.filter.selector.empty() && args.filter.name_glob.empty() && !args.all) {
    std::cerr << "cancelctl: cancel-all: say what to cancel: -l SELECTOR, --name GLOB or --all\n";
    return kUsage;
  }
  request.set_all(args.all);
  request.set_message(args.message);
  request.set_actor(cli.Actor());
  if (!args.dry_run && !args.yes) {
    if (!isatty(STDIN_FILENO)) {
      std::cerr << "cancelctl: cancel-all: refusing without -y when not on a terminal\n";
      return kUsage;
    }
    pb::CancelAllRequest preview = request;
    preview.set_dry_run(true);
    pb::CancelAllResponse matched;
    grpc::Status status = cli.stub().CancelAll(cli.Context().get(), preview, &matched);
    if (!status.ok()) return cli.Fail("cancel-all", status);
    PrintOperations(cli, {matched.operations().begin(), matched.operations().end()});
    PrintUnlisted(matched);
    std::cout << "Cancel these " << matched.matched() << " operations? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::cout << "Nothing cancelled.\n";
      return kOk;
    }
  }
  request.set_dry_run(args.dry_run);
  pb::CancelAllResponse response;
  grpc::Status status = cli.stub().CancelAll(cli.Context().get(), request, &response);
  if (!status.ok()) return cli.Fail("cancel-all", status);
  if (cli.options().format == Format::kJson) {
    std::cout << ToJson(response) << "\n";
    return kOk;
  }
  PrintOperations(cli, {response.operations().begin(), response.operations().end()});
  PrintUnlisted(response);
  if (args.dry_run) {
    std::cout << "Dry run: " << response.matched()
              << " operations would be cancelled; nothing changed.\n";
  } else {
    std::cout << "Cancelled " << response.cancelled() << " operations.\n";
  }
  return kOk;
}

int WatchCommand(Cli& cli, const WatchArgs& args) {
  pb::WatchRequest request;
  if (!BuildFilter(args.filter, request.mutable_filter())) return kUsage;
  request.set_from_sequence(args.from_sequence);
  int printed = 0;
  const bool json = cli.options().format == Format::kJson;
  if (!json) {
    std::cout << FormatTable({{"SEQ", "EVENT", "ID", "NAME", "STATUS", "REASON"}}) << std::flush;
  }
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext context;
    auto reader = cli.stub().Watch(&context, request);
    pb::WatchEvent event;
    while (reader->Read(&event)) {
      attempt = 0;
      if (json) {
        std::cout << ToJson(event) << std::endl;
      }
      if (event.type() == pb::WATCH_EVENT_TYPE_START) {
        if (!json) std::cerr << "watching from sequence " << event.sequence() << "\n";
        if (request.from_sequence() == 0) request.set_from_sequence(event.sequence());
        continue;
      }
      request.set_from_sequence(event.sequence());
      if (!json) {
        std::string type = pb::WatchEventType_Name(event.type()).substr(17);
        const pb::Operation& op = event.operation();
        std::cout << FormatTable({{absl::StrCat(event.sequence()), absl::AsciiStrToLower(type),
                                   op.id(), op.name(), StatusName(op.status()),
                                   op.has_cancel() ? ReasonName(op.cancel().cancellation().reason())
                                                   : "-"}})
                  << std::flush;
      }
      if (args.count > 0 && ++printed >= args.count) {
        context.TryCancel();
        reader->Finish();
        return kOk;
      }
    }
    grpc::Status status = reader->Finish();
    // A daemon that went away: resume from the last sequence when it is back.
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE || attempt >= 50) {
      return cli.Fail("watch", status);
    }
    if (!json)
      std::cerr << "watch: connection lost; resuming from " << request.from_sequence() << "\n";
    absl::SleepFor(absl::Milliseconds(200));
  }
}

int HealthCommand(Cli& cli) {
  auto stub = grpc::health::v1::Health::NewStub(cli.channel());
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(cli.Context().get(), request, &response);
  if (!status.ok()) return cli.Fail("health", status);
  std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()) << "\n";
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kOk : kUnavailable;
}

}  // namespace hother::cancelable::cancelctl
