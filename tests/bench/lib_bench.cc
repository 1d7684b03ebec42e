// Micro-benchmarks of the in-process library, each beside the baseline it is
// judged against, measured in the same run. The benchmark driver (driver.cc,
// `make bench`) runs this program and turns the pairs into ratios, so the
// machine's noise cancels out; it can also be run alone.
#include <atomic>
#include <numeric>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/internal/mutex.h"
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

// --- Streams: 10 million integers, beside the same loop without a scope.
// The argument is the item count (the driver reads it from the name). ---

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
BENCHMARK(BM_PlainLoop)->Arg(kStreamItems)->Unit(benchmark::kMillisecond);

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
BENCHMARK(BM_Stream)->Arg(kStreamItems)->Unit(benchmark::kMillisecond);

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

}  // namespace
}  // namespace hother::cancelable

BENCHMARK_MAIN();
