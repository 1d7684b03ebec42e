// What every benchmark scenario shares: samples in microseconds, their
// percentiles, and "arrivals", the receiving side of a trigger -> arrival
// measurement (a stream reader, a watcher, a subscriber or an SDK callback
// marks each arrival; the measuring thread awaits the n-th one).
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_SAMPLES_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_SAMPLES_H_

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace hother::cancelable::bench {

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  size_t count = 0;
};

inline Percentiles Summarize(std::vector<double> samples) {
  if (samples.empty()) return {};
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) { return samples[static_cast<size_t>(q * (samples.size() - 1))]; };
  return {at(0.50), at(0.90), at(0.99), samples.back(), samples.size()};
}

// How many samples to take, after how many unrecorded warm-up rounds.
struct Sampling {
  int samples = 2000;
  int warmup = 200;
};

// One side of a trigger -> arrival measurement, set up once (streams held,
// watchers created, clients connected; the callable owns them) and then
// sampled many times: each call is one sample, in microseconds. Empty if it
// could not be set up.
using Probe = std::function<double()>;

// Samples the probes in turn, round after round (A B A B ...), so that the
// machine's noise falls on all of them alike; the first `warmup` rounds are
// not recorded. Returns each probe's samples.
inline std::vector<std::vector<double>> Interleave(const Sampling& sampling,
                                                   const std::vector<Probe*>& probes) {
  std::vector<std::vector<double>> out(probes.size());
  for (int round = 0; round < sampling.warmup + sampling.samples; ++round) {
    for (size_t p = 0; p < probes.size(); ++p) {
      const double micros = (*probes[p])();
      if (round >= sampling.warmup) out[p].push_back(micros);
    }
  }
  return out;
}

// Runs `work(thread, count)` on `threads` threads, each doing an equal share
// of `total`; returns the operations done per second.
inline double RatePerSecond(int threads, int total, const std::function<void(int, int)>& work) {
  const int share = total / threads;
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) workers.emplace_back([&work, t, share] { work(t, share); });
  for (auto& w : workers) w.join();
  return share * threads / absl::ToDoubleSeconds(absl::Now() - start);
}

class Arrivals {
 public:
  // Wakes the waiting thread only when its awaited count is reached: a
  // fan-out of 100,000 arrivals must not cost the receivers 100,000 wake-ups
  // of the measuring thread.
  void Mark() {
    const absl::Time now = absl::Now();
    std::lock_guard<std::mutex> lock(mu_);
    last_ = now;
    if (++count_ == awaited_) cv_.notify_all();
  }
  int64_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  // Awaits the n-th arrival (counted from the start); returns when the last
  // arrival so far was marked.
  absl::Time WaitFor(int64_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    awaited_ = n;
    cv_.wait(lock, [&] { return count_ >= n; });
    return last_;
  }
  // As WaitFor, for at most `timeout`; false if it has not come.
  bool WaitFor(int64_t n, absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    awaited_ = n;
    return cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] { return count_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t count_ = 0;
  int64_t awaited_ = 0;
  absl::Time last_;
};

inline double MicrosSince(absl::Time start, absl::Time end) {
  return absl::ToDoubleMicroseconds(end - start);
}

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_SAMPLES_H_
