// cancelctl tokens create|get|list|cancel|link|delete, and cancelctl deadline.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/cancelctl/commands.h"
#include "client/cancelctl/output.h"
#include "proto/wire.h"

namespace hother::cancelable::cancelctl {
namespace {

void PrintToken(Cli& cli, const pb::Token& token) {
  cli.out() << DescribeToken(token, absl::Now());
}

}  // namespace

int TokensCreateCommand(Cli& cli, const TokenCreateArgs& args) {
  pb::CreateTokenRequest request;
  request.set_name(args.name);
  std::map<std::string, std::string> labels;
  if (!ParseLabels(args.labels, "tokens create: -l", &labels, cli.err())) return kUsage;
  request.mutable_labels()->insert(labels.begin(), labels.end());
  if (!args.timeout.empty()) {
    absl::Duration timeout;
    if (!ParseDurationFlag("tokens create: --timeout", args.timeout, /*positive=*/true, &timeout,
                           cli.err())) {
      return kUsage;
    }
    wire::ToProto(timeout, request.mutable_timeout());
  }
  for (const std::string& input : args.all_of) request.add_all_of(input);
  return cli.Call<pb::Token>(
      absl::StrCat("tokens create ", args.name),
      [&](grpc::ClientContext* c, pb::Token* r) { return cli.stub().CreateToken(c, request, r); },
      [&](const pb::Token& token) { PrintToken(cli, token); });
}

int TokensGetCommand(Cli& cli, const TokenArgs& args) {
  pb::GetTokenRequest request;
  request.set_name(args.name);
  return cli.Call<pb::Token>(
      absl::StrCat("tokens get ", args.name),
      [&](grpc::ClientContext* c, pb::Token* r) { return cli.stub().GetToken(c, request, r); },
      [&](const pb::Token& token) { PrintToken(cli, token); });
}

int TokensListCommand(Cli& cli, const TokenArgs& args) {
  pb::ListTokensRequest request;
  request.set_selector(args.selector);
  request.set_page_size(1000);
  pb::ListTokensResponse all;  // every page, in name order
  grpc::Status status = cli.AllPages<pb::ListTokensRequest, pb::ListTokensResponse>(
      request, &all, [&](grpc::ClientContext* c, const auto& r, auto* page) {
        return cli.stub().ListTokens(c, r, page);
      });
  if (!status.ok()) return cli.Fail("tokens list", status);
  if (cli.json()) return cli.PrintJson("tokens list", all);
  std::vector<Row> rows = {{"NAME", "STATUS", "OPERATIONS", "TARGETS", "DEADLINE", "LABELS"}};
  const absl::Time now = absl::Now();
  for (const pb::Token& t : all.tokens()) {
    const bool deadline = t.has_deadline() && !t.has_cancel();
    std::string targets = t.targets().empty() ? "-" : absl::StrJoin(t.targets(), ",");
    if (t.target_count() > t.targets_size()) {
      absl::StrAppend(&targets, ",... (", t.target_count(), ")");
    }
    rows.push_back(
        {t.name(), t.has_cancel() ? "cancelled" : "active",
         absl::StrCat(std::max<int64_t>(t.operation_count(), t.operation_ids_size())), targets,
         deadline ? absl::StrCat("in ", HumanDuration(wire::FromProto(t.deadline()) - now)) : "-",
         FormatLabels(t.labels())});
  }
  cli.out() << FormatTable(rows);
  return kOk;
}

int TokensDeleteCommand(Cli& cli, const TokenArgs& args) {
  pb::DeleteTokenRequest request;
  request.set_name(args.name);
  request.set_force(args.force);
  return cli.Call<pb::DeleteTokenResponse>(
      absl::StrCat("tokens delete ", args.name),
      [&](grpc::ClientContext* c, pb::DeleteTokenResponse* r) {
        return cli.stub().DeleteToken(c, request, r);
      },
      [&](const pb::DeleteTokenResponse& response) {
        cli.out() << args.name << ": deleted";
        if (response.detached_operations() > 0) {
          cli.out() << " (" << response.detached_operations() << " live operations detached)";
        }
        cli.out() << "\n";
      });
}

int TokensCancelCommand(Cli& cli, const TokenArgs& args) {
  pb::CancelTokenRequest request;
  request.set_name(args.name);
  request.set_message(args.message);
  request.set_actor(cli.Actor());
  return cli.Call<pb::CancelTokenResponse>(
      absl::StrCat("tokens cancel ", args.name),
      [&](grpc::ClientContext* c, pb::CancelTokenResponse* r) {
        return cli.stub().CancelToken(c, request, r);
      },
      [&](const pb::CancelTokenResponse& response) {
        if (response.first()) {
          cli.out() << args.name << ": cancelled (" << response.tokens_reached() << " tokens, "
                    << response.operations_reached() << " operations)\n";
        } else {
          cli.out() << args.name << ": already cancelled; nothing changed\n";
        }
      });
}

int TokensLinkCommand(Cli& cli, const TokenArgs& args) {
  pb::LinkTokensRequest request;
  request.set_source(args.source);
  request.set_target(args.target);
  return cli.Call<pb::Token>(
      "tokens link",
      [&](grpc::ClientContext* c, pb::Token* r) { return cli.stub().LinkTokens(c, request, r); },
      [&](const pb::Token&) {
        cli.out() << "cancelling " << args.source << " now cancels " << args.target << "\n";
      });
}

namespace {

// Fills the `when` of a deadline request from exactly one of --in/--at/--none.
bool DeadlineWhen(Cli& cli, const DeadlineArgs& args, pb::SetDeadlineRequest& request) {
  const int chosen = !args.in.empty() + !args.at.empty() + args.none;
  if (chosen != 1) {
    cli.Usage("deadline: give exactly one of --in DURATION, --at TIME, --none");
    return false;
  }
  if (!args.in.empty()) {
    absl::Duration in;
    if (!ParseDurationFlag("deadline: --in", args.in, /*positive=*/false, &in, cli.err())) {
      return false;
    }
    wire::ToProto(in, request.mutable_in());
  } else if (!args.at.empty()) {
    absl::Time at;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, args.at, &at, &error)) {
      cli.Usage(absl::StrCat("deadline: --at '", args.at,
                             "' is not an RFC 3339 time like 2026-11-30T18:00:00Z (", error, ")"));
      return false;
    }
    wire::ToProto(at, request.mutable_at());
  } else {
    request.set_none(true);
  }
  return true;
}

}  // namespace

int DeadlineCommand(Cli& cli, const DeadlineArgs& args) {
  pb::SetDeadlineRequest request;
  if (args.token) {
    request.set_token(args.target);
  } else {
    request.set_operation_id(args.target);
  }
  if (!DeadlineWhen(cli, args, request)) return kUsage;
  return cli.Call<pb::SetDeadlineResponse>(
      absl::StrCat("deadline ", args.target),
      [&](grpc::ClientContext* c, pb::SetDeadlineResponse* r) {
        return cli.stub().SetDeadline(c, request, r);
      },
      [&](const pb::SetDeadlineResponse& response) {
        if (!response.has_deadline()) {
          cli.out() << args.target << ": no deadline\n";
          return;
        }
        const absl::Time now = absl::Now();
        const absl::Time at = wire::FromProto(response.deadline());
        cli.out() << args.target << ": deadline " << absl::FormatTime(at)
                  << (at > now ? absl::StrCat(" (in ", HumanDuration(at - now), ")")
                               : std::string(" (had passed: cancelled now)"))
                  << "\n";
      });
}

int ConditionsCommand(Cli& cli) {
  pb::ListConditionsRequest request;
  return cli.Call<pb::ListConditionsResponse>(
      "conditions",
      [&](grpc::ClientContext* c, pb::ListConditionsResponse* r) {
        return cli.stub().ListConditions(c, request, r);
      },
      [&](const pb::ListConditionsResponse& response) {
        std::vector<Row> rows = {
            {"CONDITION", "SUBSCRIBERS", "EVERY", "LAST VALUE", "LAST CHECK", "ERROR"}};
        const absl::Time now = absl::Now();
        for (const pb::ConditionState& c : response.conditions()) {
          rows.push_back(
              {c.name() == c.definition() || c.definition().empty()
                   ? c.name()
                   : absl::StrCat(c.name(), " = ", c.definition()),
               absl::StrCat(c.subscribers()), HumanDuration(wire::FromProto(c.interval())),
               c.last_value().empty() ? "-" : c.last_value(),
               c.has_last_check()
                   ? absl::StrCat(HumanDuration(now - wire::FromProto(c.last_check())), " ago")
                   : "-",
               c.last_error().empty() ? "-" : c.last_error()});
        }
        cli.out() << FormatTable(rows);
      });
}

}  // namespace hother::cancelable::cancelctl
