// canceld's operation graph at scale (issue 5, scenario 4): resident memory
// per live operation, and how long ListOperations and CancelAll take over
// all of them. The graph is measured without gRPC (one session, one owner);
// the baseline is the process's resident memory before registering.
//
//   scale_bench --operations 100000; scale_bench --operations 1000000
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/core/event_log.h"
#include "daemon/core/operation_graph.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {
namespace {

class NullListener : public CancelListener {
 public:
  void DeliverCancels(uint64_t, std::vector<CancelDelivery>) override {}
};

size_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

void Measure(size_t operations) {
  Scheduler scheduler(Clock::Real());
  EventLog events(/*retain=*/65536);  // the daemon's default
  NullListener listener;
  OperationGraph graph(Clock::Real(), scheduler, events, listener,
                       GraphOptions{.max_operations = operations + 1});
  Owner owner{1, "bench-service", 4242, "host"};
  const size_t before = ResidentBytes();
  const absl::Time start = absl::Now();
  for (size_t i = 0; i < operations; ++i) {
    RegisterSpec spec;
    spec.name = "import-batch";
    spec.labels = {{"team", "data"}, {"shard", std::to_string(i % 64)}};
    (void)graph.Register(owner, std::move(spec));
  }
  const absl::Duration register_time = absl::Now() - start;
  const size_t after = ResidentBytes();
  const absl::Time list_start = absl::Now();
  size_t listed = 0;
  std::string token;
  do {
    auto page = graph.List({}, 1000, token);
    listed += page->operations.size();
    token = page->next_page_token;
  } while (!token.empty());
  const absl::Duration list_time = absl::Now() - list_start;
  OperationFilter filter;
  filter.selector = *Selector::Parse("team=data");
  const absl::Time cancel_start = absl::Now();
  CancelAllResult all = graph.CancelAll(filter, "bench", "bench", /*dry_run=*/false);
  const absl::Duration cancel_time = absl::Now() - cancel_start;
  std::printf("%-12zu %14.0f %14.1f %12.0f %12.0f %14.0f\n", operations,
              static_cast<double>(after - before) / static_cast<double>(operations),
              absl::ToDoubleSeconds(register_time) > 0
                  ? static_cast<double>(operations) / absl::ToDoubleSeconds(register_time) / 1000
                  : 0.0,
              absl::ToDoubleMilliseconds(list_time), absl::ToDoubleMilliseconds(cancel_time),
              static_cast<double>(all.cancelled));
  if (listed != operations) std::printf("listed %zu of %zu!\n", listed, operations);
}

}  // namespace
}  // namespace hother::cancelable::daemon

int main(int argc, char** argv) {
  size_t operations = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--operations") == 0) operations = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::printf("%-12s %14s %14s %12s %12s %14s\n", "operations", "bytes/op (RSS)", "k registers/s",
              "list all ms", "cancel-all ms", "cancelled");
  // One size per process: freed memory is not returned to the system, so a
  // second size in the same process would measure less than it uses.
  hother::cancelable::daemon::Measure(operations);
  std::printf("target: under 1 KiB per live operation at 1,000,000 (daemon RSS)\n");
  return 0;
}
