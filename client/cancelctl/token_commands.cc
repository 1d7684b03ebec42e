// cancelctl tokens create|get|list|cancel|link, and cancelctl deadline.
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/cancelctl/commands.h"
#include "proto/wire.h"

namespace hother::cancelable::cancelctl {
namespace {

void PrintToken(const Cli& cli, const pb::Token& token) {
  if (cli.options().format == Format::kJson) {
    std::cout << ToJson(token) << "\n";
    return;
  }
  const absl::Time now = absl::Now();
  auto list = [](const auto& items) {
    return items.empty() ? std::string("-") : absl::StrJoin(items, ", ");
  };
  std::vector<std::vector<std::string>> rows = {
      {"Name:", token.name()},
      {"Labels:", FormatLabels(token.labels())},
      {"Status:", token.has_cancel() ? "cancelled" : "active"},
      {"Deadline:", token.has_deadline()
                        ? absl::StrCat(absl::FormatTime(wire::FromProto(token.deadline())), " (in ",
                                       HumanDuration(wire::FromProto(token.deadline()) - now), ")")
                        : "-"},
      {"Sources:", list(token.sources())},
      {"Targets:", list(token.targets())},
      {"All of:", list(token.all_of())},
      {"Operations:", list(token.operation_ids())},
  };
  std::cout << FormatTable(rows);
  if (token.has_cancel()) {
    const pb::Cancellation& c = token.cancel().cancellation();
    std::cout << "Cancel:\n  " << ReasonName(c.reason()) << ": " << c.message()
              << (c.actor().empty() ? "" : " (by " + c.actor() + ")") << "\n";
    for (const pb::Cancellation& cause : token.cancel().cause_chain()) {
      std::cout << "  <- " << ReasonName(cause.reason()) << ": " << cause.message() << "\n";
    }
  }
}

}  // namespace

bool ParseLabels(const std::vector<std::string>& labels, const char* flag,
                 std::map<std::string, std::string>* out) {
  for (const std::string& label : labels) {
    std::pair<std::string, std::string> kv = absl::StrSplit(label, absl::MaxSplits('=', 1));
    if (kv.first.empty() || label.find('=') == std::string::npos) {
      std::cerr << "cancelctl: " << flag << " '" << label << "': expected key=value\n";
      return false;
    }
    (*out)[kv.first] = kv.second;
  }
  return true;
}

int TokensCreateCommand(Cli& cli, const TokenCreateArgs& args) {
  pb::CreateTokenRequest request;
  request.set_name(args.name);
  std::map<std::string, std::string> labels;
  if (!ParseLabels(args.labels, "tokens create: -l", &labels)) return kUsage;
  request.mutable_labels()->insert(labels.begin(), labels.end());
  if (!args.timeout.empty()) {
    absl::Duration timeout;
    if (!ParseDurationFlag("tokens create: --timeout", args.timeout, /*positive=*/true, &timeout)) {
      return kUsage;
    }
    wire::ToProto(timeout, request.mutable_timeout());
  }
  for (const std::string& input : args.all_of) request.add_all_of(input);
  pb::Token token;
  grpc::Status status = cli.stub().CreateToken(cli.Context().get(), request, &token);
  if (!status.ok()) return cli.Fail(absl::StrCat("tokens create ", args.name), status);
  PrintToken(cli, token);
  return kOk;
}

int TokensGetCommand(Cli& cli, const std::string& name) {
  pb::GetTokenRequest request;
  request.set_name(name);
  pb::Token token;
  grpc::Status status = cli.stub().GetToken(cli.Context().get(), request, &token);
  if (!status.ok()) return cli.Fail(absl::StrCat("tokens get ", name), status);
  PrintToken(cli, token);
  return kOk;
}

int TokensListCommand(Cli& cli, const std::string& selector) {
  pb::ListTokensRequest request;
  request.set_selector(selector);
  pb::ListTokensResponse response;
  grpc::Status status = cli.stub().ListTokens(cli.Context().get(), request, &response);
  if (!status.ok()) return cli.Fail("tokens list", status);
  if (cli.options().format == Format::kJson) {
    std::cout << ToJson(response) << "\n";
    return kOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "STATUS", "OPERATIONS", "TARGETS", "DEADLINE", "LABELS"}};
  const absl::Time now = absl::Now();
  for (const pb::Token& t : response.tokens()) {
    rows.push_back(
        {t.name(), t.has_cancel() ? "cancelled" : "active", absl::StrCat(t.operation_ids_size()),
         t.targets().empty() ? "-" : absl::StrJoin(t.targets(), ","),
         t.has_deadline() ? absl::StrCat("in ", HumanDuration(wire::FromProto(t.deadline()) - now))
                          : "-",
         FormatLabels(t.labels())});
  }
  std::cout << FormatTable(rows);
  return kOk;
}

int TokensCancelCommand(Cli& cli, const std::string& name, const std::string& message) {
  pb::CancelTokenRequest request;
  request.set_name(name);
  request.set_message(message);
  request.set_actor(cli.Actor());
  pb::CancelTokenResponse response;
  grpc::Status status = cli.stub().CancelToken(cli.Context().get(), request, &response);
  if (!status.ok()) return cli.Fail(absl::StrCat("tokens cancel ", name), status);
  if (cli.options().format == Format::kJson) {
    std::cout << ToJson(response) << "\n";
  } else if (response.first()) {
    std::cout << name << ": cancelled (" << response.tokens_reached() << " tokens, "
              << response.operations_reached() << " operations)\n";
  } else {
    std::cout << name << ": already cancelled; nothing changed\n";
  }
  return kOk;
}

int TokensLinkCommand(Cli& cli, const std::string& source, const std::string& target) {
  pb::LinkTokensRequest request;
  request.set_source(source);
  request.set_target(target);
  pb::Token token;
  grpc::Status status = cli.stub().LinkTokens(cli.Context().get(), request, &token);
  if (!status.ok()) return cli.Fail("tokens link", status);
  if (cli.options().format == Format::kJson) {
    std::cout << ToJson(token) << "\n";
  } else {
    std::cout << "cancelling " << source << " now cancels " << target << "\n";
  }
  return kOk;
}

int DeadlineCommand(Cli& cli, const DeadlineArgs& args) {
  pb::SetDeadlineRequest request;
  if (args.token) {
    request.set_token(args.target);
  } else {
    request.set_operation_id(args.target);
  }
  const int chosen = !args.in.empty() + !args.at.empty() + args.none;
  if (chosen != 1) {
    std::cerr << "cancelctl: deadline: give exactly one of --in DURATION, --at TIME, --none\n";
    return kUsage;
  }
  if (!args.in.empty()) {
    absl::Duration in;
    if (!ParseDurationFlag("deadline: --in", args.in, /*positive=*/false, &in)) return kUsage;
    wire::ToProto(in, request.mutable_in());
  } else if (!args.at.empty()) {
    absl::Time at;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, args.at, &at, &error)) {
      std::cerr << "cancelctl: deadline: --at '" << args.at
                << "' is not an RFC 3339 time like 2026-11-30T18:00:00Z (" << error << ")\n";
      return kUsage;
    }
    wire::ToProto(at, request.mutable_at());
  } else {
    request.set_none(true);
  }
  pb::SetDeadlineResponse response;
  grpc::Status status = cli.stub().SetDeadline(cli.Context().get(), request, &response);
  if (!status.ok()) return cli.Fail(absl::StrCat("deadline ", args.target), status);
  if (response.has_deadline()) {
    absl::Time at = wire::FromProto(response.deadline());
    std::cout << args.target << ": deadline " << absl::FormatTime(at) << " (in "
              << HumanDuration(at - absl::Now()) << ")\n";
  } else {
    std::cout << args.target << ": no deadline\n";
  }
  return kOk;
}

int ConditionsCommand(Cli& cli) {
  pb::ListConditionsRequest request;
  pb::ListConditionsResponse response;
  grpc::Status status = cli.stub().ListConditions(cli.Context().get(), request, &response);
  if (!status.ok()) return cli.Fail("conditions", status);
  if (cli.options().format == Format::kJson) {
    std::cout << ToJson(response) << "\n";
    return kOk;
  }
  std::vector<std::vector<std::string>> rows = {
      {"CONDITION", "SUBSCRIBERS", "EVERY", "LAST VALUE", "LAST CHECK", "ERROR"}};
  const absl::Time now = absl::Now();
  for (const pb::ConditionState& c : response.conditions()) {
    rows.push_back({c.name() == c.definition() || c.definition().empty()
                        ? c.name()
                        : absl::StrCat(c.name(), " = ", c.definition()),
                    absl::StrCat(c.subscribers()), HumanDuration(wire::FromProto(c.interval())),
                    c.last_value().empty() ? "-" : c.last_value(),
                    c.has_last_check()
                        ? absl::StrCat(HumanDuration(now - wire::FromProto(c.last_check())), " ago")
                        : "-",
                    c.last_error().empty() ? "-" : c.last_error()});
  }
  std::cout << FormatTable(rows);
  return kOk;
}

}  // namespace hother::cancelable::cancelctl
