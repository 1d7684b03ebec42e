// cancelctl's text output: aligned tables, durations for people, and the
// descriptions of operations and tokens. (JSON output: json.h.)
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_CLIENT_CANCELCTL_OUTPUT_H_
#define HOTHER_CANCELABLE_CLIENT_CANCELCTL_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hother/cancelable/v1/cancelable.pb.h"

namespace hother::cancelable::cancelctl {

namespace pb = ::hother::cancelable::v1;

using Row = std::vector<std::string>;

// Rows printed as aligned columns. With `min_widths`, a column is never
// narrower than given (for rows printed one at a time, as `watch` does).
std::string FormatTable(const std::vector<Row>& rows, const std::vector<size_t>& min_widths = {});
// The words the table and the JSON use: "running", "manual".
std::string StatusName(pb::OperationStatus status);
std::string ReasonName(pb::CancelReason reason);
// "3s", "4m12s", "2h5m" (rounded for people).
std::string HumanDuration(absl::Duration d);
std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels);
// "2026-12-03T08:00:00Z (in 5m0s)", "... (passed)"; "-" when unset, and
// when `cancelled`, since a deadline of something cancelled will not fire.
std::string FormatDeadline(const google::protobuf::Timestamp* deadline, absl::Time now,
                           bool cancelled);
// "manual: bad deploy (by cancelctl uid=0) [7f3a-1 at ...]" then "  <- ..."
// for each cause.
std::string DescribeCancel(const pb::CancelDetails& cancel);
// Multi-line description for `get`.
std::string DescribeOperation(const pb::Operation& op, absl::Time now);
std::string DescribeToken(const pb::Token& token, absl::Time now);
Row OperationHeader(bool wide);
Row OperationRow(const pb::Operation& op, absl::Time now, bool wide);

}  // namespace hother::cancelable::cancelctl

#endif  // HOTHER_CANCELABLE_CLIENT_CANCELCTL_OUTPUT_H_
