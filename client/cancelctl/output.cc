#include "client/cancelctl/output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cancelctl/json.h"
#include "proto/wire.h"

namespace hother::cancelable::cancelctl {
namespace {

// "uid=1000(alice) pid=4242 host=h session=7, process \"importer\" (its
// word)": what canceld verified first, then what the client said.
std::string OwnerText(const pb::Owner& owner) {
  std::string verified;
  if (owner.uid() >= 0 && !owner.principal().empty()) {
    verified = absl::StrCat("uid=", owner.uid(),
                            owner.user().empty() ? "" : absl::StrCat("(", owner.user(), ")"), " ");
  } else if (!owner.principal().empty()) {
    verified = absl::StrCat(owner.principal(), " ");
  }
  return absl::StrCat(verified, "pid=", owner.pid(), " host=", owner.host(),
                      " session=", owner.session_id(), ", process \"", owner.process_name(),
                      "\" (its word)");
}

std::string ListOrDash(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return items.empty() ? std::string("-") : absl::StrJoin(items, ", ");
}

std::string Hop(const pb::Cancellation& c) {
  return absl::StrCat(ReasonName(c.reason()), ": ", c.message(),
                      c.actor().empty() ? "" : absl::StrCat(" (by ", c.actor(), ")"), " [",
                      c.origin_id(), " at ", absl::FormatTime(wire::FromProto(c.time())), "]");
}

}  // namespace

std::string FormatTable(const std::vector<Row>& rows, const std::vector<size_t>& min_widths) {
  std::vector<size_t> widths = min_widths;
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

std::string StatusName(pb::OperationStatus status) {
  return EnumWord("OperationStatus", pb::OperationStatus_Name(status));
}

std::string ReasonName(pb::CancelReason reason) {
  return EnumWord("CancelReason", pb::CancelReason_Name(reason));
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

std::string FormatDeadline(const google::protobuf::Timestamp* deadline, absl::Time now,
                           bool cancelled) {
  if (deadline == nullptr) return "-";
  const absl::Time at = wire::FromProto(*deadline);
  if (cancelled && at > now) return "-";
  return absl::StrCat(absl::FormatTime(at), at > now ? " (in " + HumanDuration(at - now) + ")"
                                                     : std::string(" (passed)"));
}

std::string DescribeCancel(const pb::CancelDetails& cancel) {
  std::string out = "Cancel:\n  " + Hop(cancel.cancellation()) + "\n";
  const int near = cancel.cause_chain_size() - (cancel.omitted_causes() > 0 ? 1 : 0);
  for (int i = 0; i < cancel.cause_chain_size(); ++i) {
    if (i == near) {
      absl::StrAppend(&out, "  <- ... ", cancel.omitted_causes(),
                      " more causes (cancelctl get --causes-from shows them)\n");
    }
    out += "  <- " + Hop(cancel.cause_chain(i)) + "\n";
  }
  return out;
}

Row OperationHeader(bool wide) {
  Row header = {"ID", "NAME", "STATUS", "AGE", "OWNER", "LABELS"};
  if (wide) header.insert(header.end(), {"PARENT", "DEADLINE", "REASON", "PROGRESS"});
  return header;
}

Row OperationRow(const pb::Operation& op, absl::Time now, bool wide) {
  Row row = {op.id(),
             op.name(),
             StatusName(op.status()),
             HumanDuration(now - wire::FromProto(op.created_time())),
             absl::StrCat(op.owner().process_name(), "/", op.owner().pid()),
             FormatLabels(op.labels())};
  if (wide) {
    const bool has_deadline = op.has_deadline() && !op.has_cancel();
    row.push_back(op.parent_id().empty() ? "-" : op.parent_id());
    row.push_back(has_deadline
                      ? absl::StrCat("in ", HumanDuration(wire::FromProto(op.deadline()) - now))
                      : "-");
    row.push_back(op.has_cancel() ? ReasonName(op.cancel().cancellation().reason()) : "-");
    row.push_back(op.has_last_progress() ? op.last_progress().message() : "-");
  }
  return row;
}

std::string DescribeOperation(const pb::Operation& op, absl::Time now) {
  const absl::Time created = wire::FromProto(op.created_time());
  std::vector<Row> rows = {
      {"ID:", op.id()},
      {"Name:", op.name()},
      {"Status:", StatusName(op.status())},
      {"Labels:", FormatLabels(op.labels())},
      {"Owner:", OwnerText(op.owner())},
      {"Parent:", op.parent_id().empty() ? "-" : op.parent_id()},
      {"Children:", ListOrDash(op.child_ids())},
      {"Created:",
       absl::StrCat(absl::FormatTime(created), " (", HumanDuration(now - created), " ago)")},
  };
  if (op.has_deadline()) {
    rows.push_back({"Deadline:", FormatDeadline(&op.deadline(), now, op.has_cancel())});
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
  if (op.has_cancel()) out += DescribeCancel(op.cancel());
  return out;
}

std::string DescribeToken(const pb::Token& token, absl::Time now) {
  std::vector<Row> rows = {
      {"Name:", token.name()},
      {"Labels:", FormatLabels(token.labels())},
      {"Status:", token.has_cancel() ? "cancelled" : "active"},
      {"Deadline:",
       FormatDeadline(token.has_deadline() ? &token.deadline() : nullptr, now, token.has_cancel())},
      {"Sources:", ListOrDash(token.sources())},
      {"Targets:", ListOrDash(token.targets())},
      {"All of:", ListOrDash(token.all_of())},
      {"Operations:", ListOrDash(token.operation_ids())},
  };
  std::string out = FormatTable(rows);
  if (token.has_cancel()) out += DescribeCancel(token.cancel());
  return out;
}

}  // namespace hother::cancelable::cancelctl
