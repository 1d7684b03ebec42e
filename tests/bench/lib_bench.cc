// Micro-benchmarks of the in-process library, each beside the baseline it is
// judged against, measured in the same run (`make bench`). After the usual
// Google Benchmark table, a second table prints each target as a ratio to its
// baseline, so the machine's noise cancels out.
#include <atomic>
#include <cstdio>
#include <map>
#include <numeric>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "hother/cancelable/internal/mutex.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/linked_token.h"
#include "hother/cancelable/registry.h"
#include "hother/cancelable/token.h"

namespace hother::cancelable {
namespace {

// --- IsCancelled() against a bare atomic load. ---

void BM_AtomicLoad(benchmark::State& state) {
  std::atomic<bool> flag{false};
  for (auto _ : state) benchmark::DoNotOptimize(flag.load(std::memory_order_acquire));
}
BENCHMARK(BM_AtomicLoad);

void BM_IsCancelled(benchmark::State& state) {
  CancellationToken token;
  for (auto _ : state) benchmark::DoNotOptimize(token.IsCancelled());
}
BENCHMARK(BM_IsCancelled);

// --- Cancel with 0, 1 and 100 callbacks (token creation and registration
// included; BM_CreateAndRegister measures those alone). ---

void BM_CreateAndRegister(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  for (auto _ : state) {
    CancellationToken token;
    std::vector<CancellationToken::Registration> regs;
    regs.reserve(n);
    for (int i = 0; i < n; ++i) regs.push_back(token.OnCancel([](const CancellationDetails&) {}));
    benchmark::DoNotOptimize(token);
  }
}
BENCHMARK(BM_CreateAndRegister)->Arg(0)->Arg(1)->Arg(100);

void BM_Cancel(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  int calls = 0;
  for (auto _ : state) {
    CancellationToken token;
    std::vector<CancellationToken::Registration> regs;
    regs.reserve(n);
    for (int i = 0; i < n; ++i) {
      regs.push_back(token.OnCancel([&calls](const CancellationDetails&) { ++calls; }));
    }
    token.Cancel();
  }
  benchmark::DoNotOptimize(calls);
}
BENCHMARK(BM_Cancel)->Arg(0)->Arg(1)->Arg(100);

// --- Register + deregister a callback, beside std::stop_callback. ---

void BM_StdStopCallback(benchmark::State& state) {
  std::stop_source source;
  std::stop_token stop = source.get_token();
  int calls = 0;
  for (auto _ : state) {
    std::stop_callback cb(stop, [&calls] { ++calls; });
    benchmark::DoNotOptimize(&cb);
  }
  benchmark::DoNotOptimize(calls);
}
BENCHMARK(BM_StdStopCallback);

void BM_RegisterDeregister(benchmark::State& state) {
  CancellationToken token;
  int calls = 0;
  for (auto _ : state) {
    CancellationCallback cb(token, [&calls](const CancellationDetails&) { ++calls; });
    benchmark::DoNotOptimize(&cb);
  }
  benchmark::DoNotOptimize(calls);
}
BENCHMARK(BM_RegisterDeregister);

void BM_OnCancelRegistration(benchmark::State& state) {
  CancellationToken token;
  int calls = 0;
  for (auto _ : state) {
    auto reg = token.OnCancel([&calls](const CancellationDetails&) { ++calls; });
    benchmark::DoNotOptimize(&reg);
  }
  benchmark::DoNotOptimize(calls);
}
BENCHMARK(BM_OnCancelRegistration);

// --- Scopes. ---

void BM_ScopeEnterExit(benchmark::State& state) {
  for (auto _ : state) {
    Cancelable op;
    (void)op.Enter();
    op.Exit();
  }
}
BENCHMARK(BM_ScopeEnterExit);

void BM_ScopeEnterExitWithTimeout(benchmark::State& state) {
  for (auto _ : state) {
    auto op = Cancelable::WithTimeout(absl::Seconds(30));
    (void)op.Enter();
    op.Exit();
  }
}
BENCHMARK(BM_ScopeEnterExitWithTimeout);

void BM_ScopeRunWithParent(benchmark::State& state) {
  Cancelable parent;
  for (auto _ : state) {
    Cancelable child({.parent = &parent});
    benchmark::DoNotOptimize(child.Run([] { return 1; }));
  }
}
BENCHMARK(BM_ScopeRunWithParent);

// --- Linked tokens. ---

void BM_CreateLinkedToken(benchmark::State& state) {
  CancellationToken source;
  for (auto _ : state) {
    LinkedCancellationToken linked;
    linked.Link(source);
    benchmark::DoNotOptimize(linked);
  }
}
BENCHMARK(BM_CreateLinkedToken);

// --- Registry. ---

void BM_RegistryRegisterUnregister(benchmark::State& state) {
  OperationRegistry registry;
  Cancelable op;
  for (auto _ : state) {
    (void)registry.Register(op);
    registry.Unregister(op.id());
  }
}
BENCHMARK(BM_RegistryRegisterUnregister);

// --- Streams: 10 million integers, beside the same loop without a scope. ---

constexpr int kStreamItems = 10'000'000;

const std::vector<int>& StreamInput() {
  static const std::vector<int>* const input = [] {
    auto* v = new std::vector<int>(kStreamItems);
    std::iota(v->begin(), v->end(), 0);
    return v;
  }();
  return *input;
}

void BM_PlainLoop(benchmark::State& state) {
  for (auto _ : state) {
    int64_t sum = 0;
    for (int x : StreamInput()) {
      sum += x;
      benchmark::DoNotOptimize(sum);
    }
  }
  state.SetItemsProcessed(state.iterations() * kStreamItems);
}
BENCHMARK(BM_PlainLoop)->Unit(benchmark::kMillisecond);

void BM_Stream(benchmark::State& state) {
  for (auto _ : state) {
    Cancelable op;
    int64_t sum = 0;
    {
      auto stream = op.Stream(StreamInput());
      for (int x : stream) {
        sum += x;
        benchmark::DoNotOptimize(sum);
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kStreamItems);
}
BENCHMARK(BM_Stream)->Unit(benchmark::kMillisecond);

// --- Why the library has its own mutex: Debian's absl::Mutex runs its
// deadlock detector on every lock (see internal/mutex.h). ---

void BM_AbslMutexLockUnlock(benchmark::State& state) {
  absl::Mutex mu;
  for (auto _ : state) {
    mu.Lock();
    mu.Unlock();
  }
}
BENCHMARK(BM_AbslMutexLockUnlock);

void BM_LibraryMutexLockUnlock(benchmark::State& state) {
  internal::Mutex mu;
  for (auto _ : state) {
    mu.Lock();
    mu.Unlock();
  }
}
BENCHMARK(BM_LibraryMutexLockUnlock);

// --- The ratio table. ---

class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && !run.error_occurred) {
        ns_[run.benchmark_name()] = run.GetAdjustedRealTime() *
                                    (run.time_unit == benchmark::kMillisecond ? 1e6 : 1.0);
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  double ns(const std::string& name) const {
    auto it = ns_.find(name);
    return it == ns_.end() ? 0.0 : it->second;
  }

 private:
  std::map<std::string, double> ns_;
};

void PrintTargets(const RecordingReporter& r) {
  auto row = [](const char* what, double value, const char* unit, const char* target,
                bool met) {
    std::printf("%-52s %10.2f %-6s %-28s %s\n", what, value, unit, target, met ? "met" : "MISSED");
  };
  std::printf("\n%-52s %10s %-6s %-28s %s\n", "target", "measured", "", "budget", "");
  double is_cancelled = r.ns("BM_IsCancelled") / r.ns("BM_AtomicLoad");
  row("IsCancelled / atomic load", is_cancelled, "x", "about 1x (<= 2x)", is_cancelled <= 2.0);
  double reg = r.ns("BM_RegisterDeregister") / r.ns("BM_StdStopCallback");
  row("register+deregister / std::stop_callback", reg, "x", "<= 1.5x", reg <= 1.5);
  double scope = r.ns("BM_ScopeEnterExit");
  row("scope enter+exit (plain)", scope, "ns", "< 1000 ns", scope < 1000);
  double scope_timeout = r.ns("BM_ScopeEnterExitWithTimeout");
  row("scope enter+exit (with a timeout)", scope_timeout, "ns", "< 1000 ns", scope_timeout < 1000);
  double stream = (r.ns("BM_Stream") - r.ns("BM_PlainLoop")) / kStreamItems;
  row("stream overhead per item (stream - plain loop)", stream, "ns", "< 10 ns", stream < 10);
  double mutex = r.ns("BM_AbslMutexLockUnlock") / r.ns("BM_LibraryMutexLockUnlock");
  row("(info) Debian absl::Mutex / library mutex", mutex, "x", "why internal/mutex.h", true);
  double registry = r.ns("BM_RegistryRegisterUnregister");
  row("registry register+unregister", registry, "ns", "< 5000 ns (reference)", registry < 5000);
}

}  // namespace
}  // namespace hother::cancelable

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  hother::cancelable::RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  hother::cancelable::PrintTargets(reporter);
  benchmark::Shutdown();
  return 0;
}
