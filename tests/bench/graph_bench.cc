// Micro-benchmarks of canceld's operation graph without gRPC: what one
// registration, one cancel and one CancelAll cost in the daemon itself. They
// locate the daemon's share of the driver's end-to-end figures (fan-out is
// mostly CancelAll) and are the before/after of the graph's optimisations.
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "daemon/core/event_log.h"
#include "daemon/core/operation_graph.h"
#include "daemon/core/policy.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {
namespace {

class NullListener : public CancelListener {
 public:
  void DeliverCancels(uint64_t, std::vector<CancelDelivery> items) override {
    benchmark::DoNotOptimize(items.data());
  }
};

// A graph as the daemon builds it (the default event log), with operations
// registered by `sessions` owners.
struct Fixture {
  Scheduler scheduler{Clock::Real()};
  EventLog events{65536};
  NullListener listener;
  OperationGraph graph{Clock::Real(), scheduler, events, listener, GraphOptions{}};

  std::vector<std::string> Register(int count, int sessions, const std::string& run) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
      Owner owner{static_cast<uint64_t>(i % sessions + 1),
                  "bench-service",
                  4242,
                  "host",
                  "uid:1000",
                  1000,
                  "alice"};
      RegisterSpec spec{.name = "fan", .labels = {{"run", run}, {"team", "data"}}};
      ids.push_back(graph.Register(owner, std::move(spec))->id);
    }
    return ids;
  }
};

void BM_GraphRegisterFinish(benchmark::State& state) {
  Fixture f;
  Owner owner{1, "bench-service", 4242, "host"};
  for (auto _ : state) {
    RegisterSpec spec{.name = "op", .labels = {{"team", "data"}}};
    std::string id = f.graph.Register(owner, std::move(spec))->id;
    (void)f.graph.Finish(1, id, OpStatus::kCompleted, "");
  }
}
BENCHMARK(BM_GraphRegisterFinish);

// CancelAll of range(0) operations over 100 sessions; the time is per
// operation cancelled.
void BM_GraphCancelAll(benchmark::State& state) {
  Fixture f;
  const int count = static_cast<int>(state.range(0));
  int run = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string label = std::to_string(run++);
    std::vector<std::string> ids = f.Register(count, 100, label);
    OperationFilter filter;
    filter.selector = *Selector::Parse("run=" + label);
    state.ResumeTiming();
    CancelAllResult result = f.graph.CancelAll(filter, "", "bench", false, 1000);
    benchmark::DoNotOptimize(result.cancelled);
    state.PauseTiming();
    for (int i = 0; i < count; ++i) {
      (void)f.graph.Finish(static_cast<uint64_t>(i % 100 + 1), ids[i], OpStatus::kCancelled, "");
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_GraphCancelAll)->Arg(10000)->Unit(benchmark::kMillisecond);

// Authorization of a Cancel as the daemon does it (docs/SECURITY.md): the
// operation's owner read from the graph, then the policy's check, for a
// caller who owns it. BM_GraphOwnerOf alone is the graph's share.
void BM_AuthorizeCancel(benchmark::State& state) {
  Fixture f;
  const std::vector<std::string> ids = f.Register(1000, 10, "auth");
  Policy policy;
  Principal caller;
  caller.kind = Principal::Kind::kUnix;
  caller.uid = 1000;
  caller.pid = 4242;
  size_t i = 0;
  for (auto _ : state) {
    const std::string& id = ids[i++ % ids.size()];
    absl::StatusOr<std::shared_ptr<const Owner>> owner = f.graph.OwnerOf(id);
    absl::Status allowed = policy.MayActOn(caller, Verb::kCancel, id, **owner);
    benchmark::DoNotOptimize(allowed);
  }
}
BENCHMARK(BM_AuthorizeCancel);

// The policy's check alone (an owner already in hand).
void BM_PolicyCheck(benchmark::State& state) {
  Policy policy;
  Principal caller;
  caller.kind = Principal::Kind::kUnix;
  caller.uid = 1000;
  const Owner owner{1, "svc", 4242, "host", "uid:1000", 1000, "alice"};
  const std::string id = "00000001-7";
  for (auto _ : state) {
    absl::Status allowed = policy.MayActOn(caller, Verb::kCancel, id, owner);
    benchmark::DoNotOptimize(allowed);
  }
}
BENCHMARK(BM_PolicyCheck);

}  // namespace
}  // namespace hother::cancelable::daemon

BENCHMARK_MAIN();
