// cancelctl watch: events as they happen, resumed across daemon restarts.
#include <algorithm>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cancelctl/commands.h"
#include "client/cancelctl/output.h"

namespace hother::cancelable::cancelctl {
namespace {

// Columns wide enough for most rows, so that rows printed one by one align.
const std::vector<size_t> kWatchWidths = {6, 16, 12, 16, 10, 10};

// Reconnects back off from 200 ms to 5 s; after a minute without the daemon
// the watch gives up (exit 5).
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(200);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
constexpr absl::Duration kGiveUpAfter = absl::Minutes(1);

// What happened, in a few words: the progress message, or the cancel's.
std::string Detail(const pb::WatchEvent& event) {
  const pb::Operation& op = event.operation();
  if (event.type() == pb::WATCH_EVENT_TYPE_PROGRESS && op.has_last_progress()) {
    return op.last_progress().message();
  }
  if (op.has_cancel() && (event.type() == pb::WATCH_EVENT_TYPE_CANCEL_REQUESTED ||
                          event.type() == pb::WATCH_EVENT_TYPE_LOST)) {
    return op.cancel().cancellation().message();
  }
  if (!op.error().empty()) return op.error();
  return "-";
}

void PrintEvent(Cli& cli, const pb::WatchEvent& event) {
  if (cli.json()) {
    cli.PrintJson("watch", event);
    return;
  }
  const pb::Operation& op = event.operation();
  cli.out() << FormatTable(
                   {{absl::StrCat(event.sequence()),
                     EnumWord("WatchEventType", pb::WatchEventType_Name(event.type())), op.id(),
                     op.name(), StatusName(op.status()),
                     op.has_cancel() ? ReasonName(op.cancel().cancellation().reason()) : "-",
                     Detail(event)}},
                   kWatchWidths)
            << std::flush;
}

// How one Watch stream ended.
struct StreamEnd {
  bool count_reached = false;  // --count events were printed
  bool heard = false;          // the daemon answered (a reconnect starts afresh)
  grpc::Status status;         // why it ended otherwise
};

// Says where the events start: after the current one, or a replay's first.
void SayWhere(Cli& cli, const pb::WatchRequest& request, uint64_t current) {
  if (request.start_sequence() > 0) {
    cli.err() << "replaying from sequence " << request.start_sequence() << " (now at " << current
              << ")\n";
  } else if (request.from_sequence() > 0) {
    cli.err() << "resuming after sequence " << request.from_sequence() << " (now at " << current
              << ")\n";
  } else {
    cli.err() << "watching from sequence " << current + 1 << "\n";
  }
}

// One Watch stream until it ends, counting what it printed in `printed` and
// moving `request` on past each event (for a resume).
StreamEnd WatchOnce(Cli& cli, const WatchArgs& args, pb::WatchRequest& request, int& printed) {
  StreamEnd end;
  grpc::ClientContext context;
  auto reader = cli.stub().Watch(&context, request);
  pb::WatchEvent event;
  while (reader->Read(&event)) {
    end.heard = true;
    if (event.type() == pb::WATCH_EVENT_TYPE_START) {
      if (cli.json()) cli.PrintJson("watch", event);
      SayWhere(cli, request, event.sequence());
      // The run the sequences belong to: a resume across a restart says so.
      request.set_epoch(event.epoch());
      // Resume after what was current, unless a replay is under way.
      if (request.from_sequence() == 0 && request.start_sequence() == 0) {
        request.set_from_sequence(event.sequence());
      }
      continue;
    }
    request.set_start_sequence(0);
    request.set_from_sequence(event.sequence());
    if (event.type() == pb::WATCH_EVENT_TYPE_RESYNC) {
      cli.err() << "watch: events were lost (canceld restarted, or they left its window); the "
                   "current state follows, then new events\n";
      if (cli.json()) cli.PrintJson("watch", event);
      continue;
    }
    PrintEvent(cli, event);
    if (args.count > 0 && ++printed >= args.count) {
      context.TryCancel();
      reader->Finish();
      end.count_reached = true;
      return end;
    }
  }
  end.status = reader->Finish();
  return end;
}

}  // namespace

int WatchCommand(Cli& cli, const WatchArgs& args) {
  if (args.count < 0) return cli.Usage("watch: --count must be 0 (no limit) or more");
  pb::WatchRequest request;
  if (!BuildFilter(args.filter, request.mutable_filter(), cli.err())) return kUsage;
  request.set_start_sequence(args.from_sequence);
  if (!cli.json()) {
    cli.out() << FormatTable({{"SEQ", "EVENT", "ID", "NAME", "STATUS", "REASON", "DETAIL"}},
                             kWatchWidths)
              << std::flush;
  }
  int printed = 0;
  absl::Duration backoff = kFirstBackoff;
  absl::Time unreachable_since = absl::Now();
  std::mt19937 random(std::random_device{}());
  for (;;) {
    const StreamEnd end = WatchOnce(cli, args, request, printed);
    if (end.count_reached) return kOk;
    // A daemon that went away: resume from the last sequence when it is back.
    if (end.heard) {
      backoff = kFirstBackoff;
      unreachable_since = absl::Now();
    }
    if (end.status.error_code() != grpc::StatusCode::UNAVAILABLE ||
        absl::Now() - unreachable_since > kGiveUpAfter) {
      return cli.Fail("watch", end.status);
    }
    cli.err() << "watch: connection lost; resuming after sequence " << request.from_sequence()
              << "\n";
    absl::SleepFor(backoff * std::uniform_real_distribution<double>(0.5, 1.0)(random));
    backoff = std::min(backoff * 2, kMaxBackoff);
    cli.Redial();
    if (!cli.Untrusted().ok()) {
      cli.err() << "cancelctl: watch: " << cli.Untrusted().message() << "\n";
      return kPermissionDenied;
    }
  }
}

}  // namespace hother::cancelable::cancelctl
