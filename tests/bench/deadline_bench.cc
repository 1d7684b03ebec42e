// How late canceld's deadlines fire with many pending: the operation graph on
// the real clock with N operations whose deadlines are far away, plus a
// sample of operations with deadlines due during the run; each sample's
// lateness is (the time its cancel was recorded) - (its deadline). The
// baseline is the same sample with nothing else pending, in the same run.
//
//   deadline_bench [--pending 1000000] [--samples 10000]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/core/event_log.h"
#include "daemon/core/operation_graph.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::daemon {
namespace {

class CountingListener : public CancelListener {
 public:
  void DeliverCancels(uint64_t, std::vector<CancelDelivery> items) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& item : items) lateness_.push_back(item.details->time);
  }
  std::vector<absl::Time> times() {
    std::lock_guard<std::mutex> lock(mu_);
    return lateness_;
  }

 private:
  std::mutex mu_;
  std::vector<absl::Time> lateness_;
};

struct Stats {
  double p50_ms, p99_ms, max_ms;
};

// Registers `pending` far-away deadlines, then `samples` due within ~2 s, and
// waits until every sample has fired.
Stats Measure(size_t pending, size_t samples) {
  Scheduler scheduler(Clock::Real());
  EventLog events(/*retain=*/16);
  CountingListener listener;
  OperationGraph graph(Clock::Real(), scheduler, events, listener,
                       GraphOptions{.max_operations = pending + samples + 1,
                                    .finished_retention = 16});
  Owner owner{1, "bench", 1, "host"};
  for (size_t i = 0; i < pending; ++i) {
    RegisterSpec spec{.name = "far", .timeout = absl::Hours(1) + absl::Milliseconds(i % 100000)};
    (void)graph.Register(owner, std::move(spec));
  }
  std::vector<std::pair<std::string, absl::Time>> sampled;
  const absl::Time start = absl::Now() + absl::Milliseconds(200);
  for (size_t i = 0; i < samples; ++i) {
    // Spread over 2 s so the deadline thread is busy, as in real life.
    absl::Duration offset = absl::Microseconds(200 * static_cast<int64_t>(i));
    absl::Duration timeout = start + offset - absl::Now();
    RegisterSpec spec{.name = "sample", .timeout = std::max(timeout, absl::Milliseconds(1))};
    absl::StatusOr<RegisterResult> r = graph.Register(owner, std::move(spec));
    sampled.emplace_back(r->id, *graph.Get(r->id)->deadline);
  }
  while (listener.times().size() < samples) absl::SleepFor(absl::Milliseconds(50));
  std::vector<double> late;
  for (const auto& [id, deadline] : sampled) {
    absl::Time fired = graph.Get(id)->cancel->time;
    late.push_back(absl::ToDoubleMilliseconds(fired - deadline));
  }
  std::sort(late.begin(), late.end());
  return {late[late.size() / 2], late[late.size() * 99 / 100], late.back()};
}

}  // namespace
}  // namespace hother::cancelable::daemon

int main(int argc, char** argv) {
  size_t pending = 1'000'000;
  size_t samples = 10'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--pending") == 0) pending = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--samples") == 0) samples = std::strtoull(argv[i + 1], nullptr, 10);
  }
  using hother::cancelable::daemon::Measure;
  auto baseline = Measure(0, samples);
  auto loaded = Measure(pending, samples);
  std::printf("%-40s %10s %10s %10s\n", "deadline lateness (ms)", "p50", "p99", "max");
  std::printf("%-40s %10.3f %10.3f %10.3f\n", "baseline: 0 other pending", baseline.p50_ms,
              baseline.p99_ms, baseline.max_ms);
  std::printf("%-40s %10.3f %10.3f %10.3f\n",
              absl::StrCat(pending, " other pending").c_str(), loaded.p50_ms, loaded.p99_ms,
              loaded.max_ms);
  std::printf("target: p99 under 2 ms with 1,000,000 pending: %s\n",
              loaded.p99_ms < 2.0 ? "met" : "MISSED");
  return 0;
}
