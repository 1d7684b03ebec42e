#include "tests/bench/deadlines.h"

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "daemon/core/event_log.h"
#include "daemon/core/operation_graph.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable::bench {
namespace {

using daemon::CancelDelivery;

// Counts delivered cancels; the samples' times are read from the graph.
class CountingListener : public daemon::CancelListener {
 public:
  void DeliverCancels(uint64_t, std::vector<CancelDelivery> items) override {
    for (size_t i = 0; i < items.size(); ++i) delivered_.Mark();
  }
  Arrivals& delivered() { return delivered_; }

 private:
  Arrivals delivered_;
};

}  // namespace

Percentiles DeadlineLateness(size_t pending, size_t samples) {
  Scheduler scheduler(Clock::Real());
  daemon::EventLog events(/*retain=*/16);
  CountingListener listener;
  daemon::OperationGraph graph(Clock::Real(), scheduler, events, listener,
                               daemon::GraphOptions{.max_operations = pending + samples + 1,
                                                    .finished_retention = samples + 16});
  daemon::Owner owner{1, "bench", 1, "host"};
  for (size_t i = 0; i < pending; ++i) {
    daemon::RegisterSpec spec{.name = "far",
                              .timeout = absl::Hours(1) + absl::Milliseconds(i % 100000)};
    (void)graph.Register(owner, std::move(spec));
  }
  std::vector<std::pair<std::string, absl::Time>> sampled;
  const absl::Time start = absl::Now() + absl::Milliseconds(200);
  for (size_t i = 0; i < samples; ++i) {
    // Spread over 2 s so the deadline thread is busy, as in real life.
    const absl::Duration offset = absl::Microseconds(static_cast<int64_t>(2'000'000 / samples * i));
    const absl::Duration timeout = start + offset - absl::Now();
    daemon::RegisterSpec spec{.name = "sample",
                              .timeout = std::max(timeout, absl::Milliseconds(1))};
    absl::StatusOr<daemon::RegisterResult> r = graph.Register(owner, std::move(spec));
    if (!r.ok()) continue;
    sampled.emplace_back(r->id, *graph.Get(r->id)->deadline);
  }
  listener.delivered().WaitFor(static_cast<int64_t>(sampled.size()));
  std::vector<double> late;
  for (const auto& [id, deadline] : sampled) {
    absl::StatusOr<daemon::Operation> op = graph.Get(id);
    if (op.ok() && op->cancel != nullptr) {
      late.push_back(absl::ToDoubleMilliseconds(op->cancel->time - deadline));
    }
  }
  return Summarize(std::move(late));
}

}  // namespace hother::cancelable::bench
