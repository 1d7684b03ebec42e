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
      Owner owner{static_cast<uint64_t>(i % sessions + 1), "bench-service", 4242, "host"};
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

}  // namespace
}  // namespace hother::cancelable::daemon

BENCHMARK_MAIN();
