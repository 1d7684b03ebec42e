// The benchmark driver (`make bench`): canceld side by side with a bare gRPC
// server, etcd and Redis, in one run, on a unix socket in a temp dir and on
// TCP loopback. It starts every peer it needs, runs the scenarios of issue 5,
// stops what it started, prints one table, and with --write splices the same
// table into docs/BENCHMARKS.md.
//
//   1. cancel latency: trigger -> the receiving client's callback;
//   2. fan-out: CancelAll over many sessions -> the last SDK callback;
//   3. throughput: operations per second, 1 and 8 client threads;
//   4. scale: the daemon's resident memory per live operation, List/CancelAll;
//   5. deadlines: lateness with 1,000,000 pending;
//   6. the library's micro-benchmarks (lib_bench);
//   7. latency and fan-out again with 0, 10 and 100 watchers connected (run
//      before 4, which replaces the shared daemon);
//   8. deep and wide trees;
//   9. the durable state: latency, the Cancel RPC's round trip (beside
//      etcd's Put) and throughput with the store off, sync and batch.
// Every figure sits next to a baseline measured in the same run: this machine
// is shared and noisy, and the ratio is what counts.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/bench/bare_peer.h"
#include "tests/bench/canceld_peer.h"
#include "tests/bench/deadlines.h"
#include "tests/bench/etcd_peer.h"
#include "tests/bench/host.h"
#include "tests/bench/library_benchmarks.h"
#include "tests/bench/redis_peer.h"
#include "tests/bench/report.h"
#include "tests/support/process.h"

namespace hother::cancelable::bench {
namespace {

struct Flags {
  int samples = 2000;
  int warmup = 200;
  int ops = 20000;
  std::vector<std::string> fanout = {"100x100", "1000x100"};
  int fanout_reps = 10;
  std::vector<size_t> scale = {100'000, 1'000'000};
  int scale_sessions = 10;
  size_t deadline_pending = 1'000'000;
  size_t deadline_samples = 10'000;
  double lib_min_time = 0.5;
  std::string canceld = CANCELD_PATH;
  std::string lib_bench = LIB_BENCH_PATH;
  std::vector<int> scenarios = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  size_t chain = 10'000;
  size_t tree = 100'000;
  std::vector<int> watchers = {0, 10, 100};
  std::string write;
  std::string command;
};

// A target of ARCHITECTURE.md, as measured.
struct Target {
  std::string what;
  std::string measured;
  std::string budget;
  bool met;
};

class Driver {
 public:
  explicit Driver(Flags flags) : flags_(std::move(flags)) {}

  int Run();

 private:
  void Latency();
  void FanOut();
  void Throughput();
  void Scale();
  void Deadlines();
  void Library();
  void Watching();
  void Trees();
  void Durable();
  std::string Header() const;

  // Records a failure (the run goes on, and exits non-zero at the end).
  void Fail(const std::string& what) {
    std::cerr << "bench: " << what << "\n";
    failures_.push_back(what);
  }
  // The peer, or null if it did not start (a failure recorded by Run).
  template <typename T>
  static T* Started(absl::StatusOr<std::unique_ptr<T>>& peer) {
    return peer.ok() ? peer->get() : nullptr;
  }

  Flags flags_;
  test_support::TempDir dir_;
  std::vector<Table> tables_;
  std::vector<Target> targets_;
  std::vector<std::string> failures_;
  // Scenarios 1-3 share one of each peer.
  absl::StatusOr<std::unique_ptr<BarePeer>> bare_ = BarePeer::Start(dir_.path());
  absl::StatusOr<std::unique_ptr<CanceldPeer>> canceld_ =
      CanceldPeer::Start({.binary = flags_.canceld, .dir = dir_.path()});
  absl::StatusOr<std::unique_ptr<EtcdPeer>> etcd_ = EtcdPeer::Start(dir_.path());
  absl::StatusOr<std::unique_ptr<RedisPeer>> redis_ = RedisPeer::Start(dir_.path());
};

std::vector<std::string> PercentileRow(const std::string& what, const Percentiles& p,
                                       const Percentiles* base, int decimals = 1) {
  return {what, Fixed(p.p50, decimals), Fixed(p.p90, decimals), Fixed(p.p99, decimals),
          base == nullptr ? "" : Ratio(p.p50 / base->p50)};
}

void Driver::Latency() {
  Table table{.title = "1. Cancel latency (µs): trigger -> the receiving client's callback",
              .header = {"", "p50", "p90", "p99", "p50 vs bare"}};
  const Sampling sampling{.samples = flags_.samples, .warmup = flags_.warmup};
  Peer* bare = Started(bare_);
  Peer* canceld = Started(canceld_);
  if (bare == nullptr || canceld == nullptr) return;
  for (Transport transport : {Transport::kUnix, Transport::kTcp}) {
    // The bare floor first, then canceld, etcd and Redis, sampled in turn.
    std::vector<Peer*> peers = {bare, canceld};
    for (Peer* other : std::vector<Peer*>{Started(etcd_), Started(redis_)}) {
      if (other != nullptr) peers.push_back(other);
    }
    std::vector<Probe> probes;
    probes.reserve(peers.size());  // `ready` points into it
    std::vector<Probe*> ready;
    std::vector<Peer*> sampled;
    for (Peer* peer : peers) {
      probes.push_back(peer->LatencyProbe(transport));
      if (probes.back() == nullptr) {
        Fail(absl::StrCat(peer->latency_name(), " (", NameOf(transport), "): could not be set up"));
        if (peer == bare || peer == canceld) return;
        continue;
      }
      ready.push_back(&probes.back());
      sampled.push_back(peer);
    }
    std::vector<std::vector<double>> samples = Interleave(sampling, ready);
    const Percentiles base = Summarize(samples[0]);
    const Percentiles ours = Summarize(samples[1]);
    Percentiles etcd;
    for (size_t i = 0; i < sampled.size(); ++i) {
      const Percentiles p = Summarize(samples[i]);
      if (sampled[i] == Started(etcd_)) etcd = p;
      table.rows.push_back(
          PercentileRow(absl::StrCat(sampled[i]->latency_name(), " (", NameOf(transport), ")"), p,
                        i == 0 ? nullptr : &base));
    }
    targets_.push_back({absl::StrCat("cancel latency p50, ", NameOf(transport), ", vs bare gRPC"),
                        absl::StrCat(Fixed(ours.p50, 1), " µs vs ", Fixed(base.p50, 1),
                                     " µs = ", Ratio(ours.p50 / base.p50)),
                        "<= 1.2x", ours.p50 <= 1.2 * base.p50});
    if (etcd.count > 0) {
      targets_.push_back({absl::StrCat("cancel latency p50, ", NameOf(transport), ", vs etcd"),
                          absl::StrCat(Fixed(ours.p50, 1), " µs vs ", Fixed(etcd.p50, 1),
                                       " µs = ", Ratio(ours.p50 / etcd.p50)),
                          "well below (< 0.5x)", ours.p50 < 0.5 * etcd.p50});
    }
  }
  table.notes.push_back(absl::StrCat(flags_.samples, " samples each after ", flags_.warmup,
                                     " rounds of warm-up, the systems sampled in turn (one "
                                     "sample of each per round) so that "
                                     "the machine's noise falls on all alike; ratios are p50 "
                                     "against the bare push over the "
                                     "same kind of socket."));
  tables_.push_back(std::move(table));
}

void Driver::FanOut() {
  Table table{.title = "2. Fan-out, unix socket (µs to the last callback)",
              .header = {"", "p50", "p90", "p99", "p50 vs bare"}};
  BarePeer* bare = Started(bare_);
  CanceldPeer* canceld = Started(canceld_);
  if (bare == nullptr || canceld == nullptr) return;
  for (const std::string& shape : flags_.fanout) {
    int sessions = 0, per_session = 0;
    std::vector<std::string> parts = absl::StrSplit(shape, 'x');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &sessions) ||
        !absl::SimpleAtoi(parts[1], &per_session) || sessions <= 0 || per_session <= 0) {
      Fail(absl::StrCat("--fanout ", shape, ": expected SESSIONSxOPERATIONS, e.g. 100x100"));
      continue;
    }
    Probe bare_probe = bare->FanOutProbe(sessions);
    Probe canceld_probe = canceld->FanOutProbe(sessions, per_session);
    if (canceld_probe == nullptr) {
      Fail(absl::StrCat("fan-out ", shape, ": the SDK sessions could not connect"));
      continue;
    }
    std::vector<std::vector<double>> samples =
        Interleave({.samples = flags_.fanout_reps, .warmup = 1}, {&bare_probe, &canceld_probe});
    const Percentiles base = Summarize(samples[0]);
    const Percentiles ours = Summarize(samples[1]);
    table.rows.push_back(
        PercentileRow(absl::StrCat("bare push to ", sessions, " streams"), base, nullptr, 0));
    table.rows.push_back(
        PercentileRow(absl::StrCat("canceld CancelAll of ", Fixed(sessions * per_session, 0),
                                   " operations over ", sessions, " sessions"),
                      ours, &base, 0));
    targets_.push_back(
        {absl::StrCat("fan-out ", sessions, " sessions x ", per_session, ", vs bare push"),
         absl::StrCat(Fixed(ours.p50 / 1000, 1), " ms vs ", Fixed(base.p50 / 1000, 1),
                      " ms = ", Ratio(ours.p50 / base.p50)),
         "<= 3x", ours.p50 <= 3 * base.p50});
  }
  table.notes.push_back(
      absl::StrCat(flags_.fanout_reps,
                   " repetitions each after 1 of warm-up, sampled in turn; the "
                   "SDK clients run in the driver's process, canceld in its own."));
  tables_.push_back(std::move(table));
}

void Driver::Throughput() {
  Table table{
      .title = "3. Throughput (per second)",
      .header = {"", "1 thread (unix)", "8 threads (unix)", "1 thread (tcp)", "8 threads (tcp)"}};
  double best = 0;
  CanceldPeer* canceld = Started(canceld_);
  for (Peer* peer : std::vector<Peer*>{Started(bare_), canceld, Started(etcd_), Started(redis_)}) {
    if (peer == nullptr) continue;
    std::vector<std::string> row = {peer->throughput_name()};
    for (Transport transport : {Transport::kUnix, Transport::kTcp}) {
      for (int threads : {1, 8}) {
        const double rate = peer->Throughput(transport, threads, flags_.ops);
        if (peer == canceld) best = std::max(best, rate);
        row.push_back(Fixed(rate, 0));
      }
    }
    table.rows.push_back(std::move(row));
  }
  table.notes.push_back(
      absl::StrCat(Fixed(flags_.ops, 0),
                   " operations per cell. A canceld operation is a Start and a "
                   "Finish through an SDK session; etcd puts are durable (fsync)."));
  targets_.push_back({"throughput, operations registered + finished",
                      absl::StrCat(Fixed(best, 0), "/s"), ">= 50,000/s", best >= 50'000});
  tables_.push_back(std::move(table));
}

void Driver::Scale() {
  Table table{
      .title = "4. Scale: canceld's memory and whole-registry calls",
      .header = {"live operations", "daemon RSS before", "daemon RSS after", "bytes per operation",
                 "registrations/s", "ListOperations, all (ms)", "CancelAll, all (ms)"}};
  for (size_t operations : flags_.scale) {
    // A fresh daemon per size: freed memory is not returned to the system.
    test_support::TempDir dir;
    auto peer = CanceldPeer::Start(
        {.binary = flags_.canceld, .dir = dir.path(), .max_operations = operations + 1000});
    CanceldPeer* canceld = Started(peer);
    if (canceld == nullptr) {
      Fail(absl::StrCat("canceld (scale): ", peer.status().message()));
      continue;
    }
    const ScaleResult r = canceld->Scale(operations, flags_.scale_sessions);
    if (r.cancelled != static_cast<int64_t>(operations)) {
      Fail(absl::StrCat("scale ", operations, ": cancelled ", r.cancelled, " of ", operations));
    }
    const double per_op =
        (static_cast<double>(r.resident_after) - static_cast<double>(r.resident_before)) /
        static_cast<double>(operations);
    table.rows.push_back({Fixed(static_cast<double>(operations), 0),
                          absl::StrCat(Fixed(r.resident_before / 1048576.0, 1), " MiB"),
                          absl::StrCat(Fixed(r.resident_after / 1048576.0, 1), " MiB"),
                          Fixed(per_op, 0), Fixed(r.registrations_per_second, 0),
                          Fixed(r.list_ms, 0), Fixed(r.cancel_all_ms, 0)});
    if (operations == flags_.scale.back()) {
      targets_.push_back({absl::StrCat("memory per live operation at ", Fixed(operations, 0)),
                          absl::StrCat(Fixed(per_op, 0), " bytes"), "< 1 KiB", per_op < 1024});
    }
  }
  table.notes.push_back(
      absl::StrCat("The real canceld process (VmRSS), with ", flags_.scale_sessions,
                   " SDK sessions registering operations with a name and two labels; the "
                   "baseline is its RSS "
                   "with the sessions connected. ListOperations in pages of 1,000; "
                   "CancelAll by a label "
                   "selector, until the RPC returns."));
  tables_.push_back(std::move(table));
}

void Driver::Trees() {
  Table table{.title = "8. Deep and wide trees: one cancel of the root against one by one",
              .header = {"shape", "operations", "daemon RSS registered", "daemon peak RSS",
                         "cancel -> last callback (ms)"}};
  const std::vector<std::tuple<std::string, TreeShape, size_t>> runs = {
      {"chain (one Cancel of the root)", TreeShape::kChain, flags_.chain},
      {"the same number, one Cancel each", TreeShape::kOneByOne, flags_.chain},
      {"tree of fan-out 10 (one Cancel of the root)", TreeShape::kTree, flags_.tree},
      {"the same number, one Cancel each", TreeShape::kOneByOne, flags_.tree}};
  std::vector<TreeResult> results;
  for (const auto& [name, shape, operations] : runs) {
    // A fresh daemon for each: its peak RSS is this run's.
    test_support::TempDir dir;
    auto peer = CanceldPeer::Start(
        {.binary = flags_.canceld, .dir = dir.path(), .max_operations = operations + 1000});
    CanceldPeer* canceld = Started(peer);
    if (canceld == nullptr) {
      Fail(absl::StrCat("canceld (trees): ", peer.status().message()));
      return;
    }
    const TreeResult r = canceld->CancelTree(shape, operations);
    if (!r.delivered) Fail(absl::StrCat("trees: ", name, ": not every cancel arrived"));
    results.push_back(r);
    table.rows.push_back({name, Fixed(static_cast<double>(operations), 0),
                          absl::StrCat(Fixed(r.resident_registered / 1048576.0, 1), " MiB"),
                          absl::StrCat(Fixed(r.peak / 1048576.0, 1), " MiB"),
                          Fixed(r.cancel_ms, 0)});
  }
  if (results.size() == 4 && results[1].cancel_ms > 0 && results[3].cancel_ms > 0) {
    targets_.push_back(
        {absl::StrCat("cancel of a ", flags_.chain, "-deep chain, against one by one"),
         absl::StrCat(Fixed(results[0].cancel_ms / results[1].cancel_ms, 2), "x time, ",
                      Fixed(results[0].peak / 1048576.0, 0), " MiB peak"),
         "linear: <= 1x time, <= 400 MiB",
         results[0].cancel_ms <= results[1].cancel_ms && results[0].peak <= (size_t{400} << 20)});
    targets_.push_back(
        {absl::StrCat("cancel of a ", flags_.tree, "-operation tree, against one by one"),
         absl::StrCat(Fixed(results[2].cancel_ms / results[3].cancel_ms, 2), "x time"), "<= 1x",
         results[2].cancel_ms <= results[3].cancel_ms});
  }
  table.notes.push_back(
      "The real canceld process, one SDK session owning every operation (a callback on each). "
      "The cause chain is shared in memory and bounded on the wire (31 nearest hops and the "
      "root), so the cost of one cancel is linear in what it reaches. Peak RSS is VmHWM, "
      "registration included.");
  tables_.push_back(std::move(table));
}

void Driver::Durable() {
  // Three daemons, alike but for the store: off (--state-dir none), sync and
  // batch, each with its state in the driver's temp dir (the same
  // filesystem as etcd's data dir).
  struct Setup {
    const char* name;
    const char* state;  // "none", or the state dir's name under the temp dir
    const char* durability;
  };
  const std::vector<Setup> setups = {{"store off", "none", "sync"},
                                     {"store on, sync", "state-sync", "sync"},
                                     {"store on, batch", "state-batch", "batch"}};
  std::vector<std::unique_ptr<CanceldPeer>> peers;
  for (const Setup& setup : setups) {
    const std::string dir = absl::StrCat(dir_.path(), "/durable-", peers.size());
    std::filesystem::create_directories(dir);
    const std::string state =
        std::string(setup.state) == "none" ? "none" : absl::StrCat(dir_.path(), "/", setup.state);
    auto peer = CanceldPeer::Start(
        {.binary = flags_.canceld, .dir = dir, .state_dir = state, .durability = setup.durability});
    if (!peer.ok()) {
      Fail(absl::StrCat("canceld (", setup.name, "): ", peer.status().message()));
      return;
    }
    peers.push_back(*std::move(peer));
  }
  Table table{.title = "9. The durable state: the store off, sync and batch (unix socket)",
              .header = {"", "p50", "p90", "p99", "p50 vs store off"}};
  const Sampling sampling{.samples = flags_.samples, .warmup = flags_.warmup};
  // Samples the probes in turn (one per daemon, then any others) and adds a
  // row per daemon, "WHAT, setup"; empty (a failure recorded) if a probe
  // could not be set up or a call failed.
  auto sampled = [&](std::vector<Probe>& probes, const std::string& what) {
    std::vector<Probe*> ready;
    std::vector<Percentiles> out;
    for (Probe& probe : probes) ready.push_back(probe == nullptr ? nullptr : &probe);
    if (std::find(ready.begin(), ready.end(), nullptr) == ready.end()) {
      for (std::vector<double>& samples : Interleave(sampling, ready)) {
        if (std::any_of(samples.begin(), samples.end(), [](double v) { return v < 0; })) break;
        out.push_back(Summarize(std::move(samples)));
      }
    }
    if (out.size() != probes.size()) {
      Fail(absl::StrCat("durable state: ", what, ": a probe failed"));
      return std::vector<Percentiles>{};
    }
    for (size_t i = 0; i < peers.size(); ++i) {
      table.rows.push_back(PercentileRow(absl::StrCat(what, ", ", setups[i].name), out[i],
                                         i == 0 ? nullptr : &out[0]));
    }
    return out;
  };

  // Trigger -> SDK callback: delivery goes from memory whatever the store.
  std::vector<Probe> latency;
  for (auto& peer : peers) latency.push_back(peer->LatencyProbe(Transport::kUnix));
  const std::vector<Percentiles> lat = sampled(latency, "Cancel -> SDK callback");
  if (lat.empty()) return;
  targets_.push_back({"cancel latency p50 with the store on (sync), vs off",
                      absl::StrCat(Fixed(lat[1].p50, 1), " µs vs ", Fixed(lat[0].p50, 1),
                                   " µs = ", Ratio(lat[1].p50 / lat[0].p50)),
                      "<= 1.1x", lat[1].p50 <= 1.1 * lat[0].p50});

  // The Cancel RPC's round trip: with sync, OK waits for the fsync.
  std::vector<Probe> rpc;
  for (auto& peer : peers) rpc.push_back(peer->CancelRpcProbe());
  EtcdPeer* etcd = Started(etcd_);
  if (etcd != nullptr) rpc.push_back(etcd->PutProbe(Transport::kUnix));
  const std::vector<Percentiles> trip = sampled(rpc, "Cancel RPC round trip");
  if (trip.empty()) return;
  if (etcd != nullptr) {
    table.rows.push_back(PercentileRow("etcd Put round trip (fsync)", trip.back(), &trip[0]));
    targets_.push_back(
        {"Cancel RPC round trip p50 with sync, vs etcd Put",
         absl::StrCat(Fixed(trip[1].p50, 1), " µs vs ", Fixed(trip.back().p50, 1),
                      " µs = ", Ratio(trip[1].p50 / trip.back().p50), " (p99 ",
                      Fixed(trip[1].p99, 0), " vs ", Fixed(trip.back().p99, 0), " µs)"),
         "p50 <= etcd's", trip[1].p50 <= trip.back().p50});
  } else {
    Fail("durable state: etcd did not start; the round trip has no baseline");
  }

  // Throughput: operations registered and finished, and (store on) their
  // history durable, before the clock stops. Three rounds, the daemons in
  // turn within each (A B C A B C ...); the median of each cell.
  Table rates{.title = "9b. The durable state: throughput (operations/s, unix socket)",
              .header = {"", "1 thread", "8 threads", "best vs store off"}};
  constexpr int kRounds = 3;
  std::vector<std::vector<double>> one(peers.size()), eight(peers.size());
  for (int round = 0; round < kRounds; ++round) {
    for (size_t i = 0; i < peers.size(); ++i) {
      one[i].push_back(peers[i]->Throughput(Transport::kUnix, 1, flags_.ops));
      eight[i].push_back(peers[i]->Throughput(Transport::kUnix, 8, flags_.ops));
    }
  }
  std::vector<double> best;
  for (size_t i = 0; i < peers.size(); ++i) {
    const double m1 = Summarize(one[i]).p50, m8 = Summarize(eight[i]).p50;
    best.push_back(std::max(m1, m8));
    rates.rows.push_back({setups[i].name, Fixed(m1, 0), Fixed(m8, 0),
                          i == 0 ? "" : Ratio(best[i] / std::max(1.0, best[0]))});
  }
  targets_.push_back({"throughput with the store on (sync)",
                      absl::StrCat(Fixed(best[1], 0), "/s (store off ", Fixed(best[0], 0),
                                   "/s in the same rounds)"),
                      ">= 50,000/s", best[1] >= 50'000});
  table.notes.push_back(absl::StrCat(
      flags_.samples, " samples each after ", flags_.warmup,
      " rounds of warm-up, the three daemons (and etcd) sampled in turn. The callback is "
      "reached from memory before the store commits; with sync the RPC's OK waits for the "
      "commit (SQLite's WAL with synchronous=FULL: fsync before OK); with batch it does not. "
      "etcd's Put answers once its log is fsynced. Same filesystem for all."));
  rates.notes.push_back(absl::StrCat(
      Fixed(flags_.ops, 0),
      " operations per cell (Start and Finish through an SDK session), the median of ", kRounds,
      " rounds that take the daemons in turn; the clock stops once the daemon has read "
      "every finish and a Cancel RPC after them returned OK, i.e. (store on) the history of "
      "every operation is durable."));
  tables_.push_back(std::move(table));
  tables_.push_back(std::move(rates));
}

void Driver::Deadlines() {
  const Percentiles base = DeadlineLateness(0, flags_.deadline_samples);
  const Percentiles loaded = DeadlineLateness(flags_.deadline_pending, flags_.deadline_samples);
  Table table{.title = "5. Deadlines: how late they fire (ms)",
              .header = {"", "p50", "p99", "max"}};
  table.rows.push_back({"baseline: no other deadline pending", Fixed(base.p50, 3),
                        Fixed(base.p99, 3), Fixed(base.max, 3)});
  table.rows.push_back({absl::StrCat(Fixed(flags_.deadline_pending, 0), " other deadlines pending"),
                        Fixed(loaded.p50, 3), Fixed(loaded.p99, 3), Fixed(loaded.max, 3)});
  table.notes.push_back(absl::StrCat(Fixed(flags_.deadline_samples, 0),
                                     " sampled deadlines due over 2 s; the daemon's operation "
                                     "graph on the real clock, without gRPC."));
  if (loaded.count < flags_.deadline_samples) Fail("deadlines: some samples never fired");
  targets_.push_back(
      {absl::StrCat("deadline lateness p99, ", Fixed(flags_.deadline_pending, 0), " pending"),
       absl::StrCat(Fixed(loaded.p99, 3), " ms (baseline ", Fixed(base.p99, 3), " ms)"), "< 2 ms",
       loaded.count > 0 && loaded.p99 < 2.0});
  tables_.push_back(std::move(table));
}

void Driver::Library() {
  absl::StatusOr<LibraryTimes> times =
      RunLibraryBenchmarks(flags_.lib_bench, flags_.lib_min_time, dir_.path());
  if (!times.ok()) {
    Fail(absl::StrCat("lib_bench: ", times.status().message()));
    return;
  }
  auto ns = [&](const std::string& name) {
    auto it = times->find(name);
    if (it == times->end()) {
      Fail(absl::StrCat("lib_bench: no result for ", name));
      return std::nan("");
    }
    return it->second;
  };
  Table targets{.title = "6. The in-process library (lib_bench)",
                .header = {"", "baseline", "measured", "ratio", "budget", ""}};
  auto ratio_row = [&](const std::string& what, const std::string& base_name,
                       const std::string& name, double budget) {
    const double base = ns(base_name), value = ns(name);
    const bool met = value / base <= budget;
    targets.rows.push_back({what, absl::StrCat(Fixed(base, 2), " ns"),
                            absl::StrCat(Fixed(value, 2), " ns"), Ratio(value / base),
                            absl::StrCat("<= ", budget, "x"), Verdict(met)});
    targets_.push_back({what, Ratio(value / base), absl::StrCat("<= ", budget, "x"), met});
  };
  auto absolute_row = [&](const std::string& what, double value, double budget) {
    const bool met = value < budget;
    targets.rows.push_back({what, "", absl::StrCat(Fixed(value, 1), " ns"), "",
                            absl::StrCat("< ", Fixed(budget, 0), " ns"), Verdict(met)});
    targets_.push_back({what, absl::StrCat(Fixed(value, 1), " ns"),
                        absl::StrCat("< ", Fixed(budget, 0), " ns"), met});
  };
  ratio_row("IsCancelled() vs an atomic load", "BM_AtomicLoad", "BM_IsCancelled", 2.0);
  ratio_row("callback register + deregister vs std::stop_callback", "BM_StdStopCallback",
            "BM_RegisterDeregister", 1.5);
  absolute_row("scope enter + exit", ns("BM_ScopeEnterExit"), 1000);
  absolute_row("scope enter + exit, with a timeout", ns("BM_ScopeEnterExitWithTimeout"), 1000);
  // BM_Stream/N and BM_PlainLoop/N run over N items.
  for (const auto& [name, value] : *times) {
    if (name.rfind("BM_Stream/", 0) != 0) continue;
    const std::string items = name.substr(name.find('/') + 1);
    absolute_row("stream overhead per item",
                 (value - ns("BM_PlainLoop/" + items)) / std::stod(items), 10);
  }
  absolute_row("registry register + unregister", ns("BM_RegistryRegisterUnregister"), 5000);
  targets.notes.push_back(absl::StrCat("Every benchmark of that run (ns per iteration): ",
                                       absl::StrJoin(*times, ", ",
                                                     [](std::string* out, const auto& kv) {
                                                       absl::StrAppend(out, "`", kv.first, "` ",
                                                                       Fixed(kv.second, 1));
                                                     }),
                                       "."));
  tables_.push_back(std::move(targets));
}

void Driver::Watching() {
  Table table{.title = "7. Watchers connected: cancel latency (unix) and fan-out (100x100), p50",
              .header = {"watchers", "latency (µs)", "vs bare", "fan-out (ms)", "vs bare push",
                         "events the watchers read"}};
  BarePeer* bare = Started(bare_);
  CanceldPeer* canceld = Started(canceld_);
  if (bare == nullptr || canceld == nullptr) return;
  Probe bare_latency = bare->LatencyProbe(Transport::kUnix);
  Probe canceld_latency = canceld->LatencyProbe(Transport::kUnix);
  Probe bare_fanout = bare->FanOutProbe(100);
  Probe canceld_fanout = canceld->FanOutProbe(100, 100);
  if (bare_latency == nullptr || canceld_latency == nullptr || canceld_fanout == nullptr) {
    Fail("watchers: the probes could not be set up");
    return;
  }
  for (int count : flags_.watchers) {
    std::unique_ptr<Watchers> watchers = canceld->ConnectWatchers(count);
    if (watchers == nullptr) {
      Fail(absl::StrCat("watchers: ", count, " Watch streams could not start"));
      continue;
    }
    std::vector<std::vector<double>> latency = Interleave(
        {.samples = flags_.samples, .warmup = flags_.warmup}, {&bare_latency, &canceld_latency});
    std::vector<std::vector<double>> fanout =
        Interleave({.samples = flags_.fanout_reps, .warmup = 1}, {&bare_fanout, &canceld_fanout});
    const Percentiles lat_base = Summarize(latency[0]), lat = Summarize(latency[1]);
    const Percentiles fan_base = Summarize(fanout[0]), fan = Summarize(fanout[1]);
    table.rows.push_back({absl::StrCat(count), Fixed(lat.p50, 1), Ratio(lat.p50 / lat_base.p50),
                          Fixed(fan.p50 / 1000, 1), Ratio(fan.p50 / fan_base.p50),
                          Fixed(static_cast<double>(watchers->events()), 0)});
  }
  table.notes.push_back(absl::StrCat(
      "Each watcher is a Watch stream of every event, read as fast as it comes by a thread of "
      "the driver's; the rows are taken one after the other, each with its own bare baseline "
      "sampled in turn with canceld (",
      flags_.samples, " latency samples, ", flags_.fanout_reps, " fan-out repetitions)."));
  tables_.push_back(std::move(table));
}

std::string Driver::Header() const {
  return absl::StrCat("Run of ",
                      absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone()),
                      " on ", MachineDescription(), ".\nCommand: `", flags_.command, "`.\n");
}

int Driver::Run() {
  std::cout << Header() << std::flush;
  const absl::Time start = absl::Now();
  for (const absl::Status& started :
       {bare_.status(), canceld_.status(), etcd_.status(), redis_.status()}) {
    if (!started.ok()) Fail(std::string(started.message()));
  }
  auto wanted = [&](int scenario) {
    return std::find(flags_.scenarios.begin(), flags_.scenarios.end(), scenario) !=
           flags_.scenarios.end();
  };
  // In the order they run: 7 uses the shared daemon, which 4 replaces.
  struct Scenario {
    int number;
    const char* name;
    void (Driver::*run)();
  };
  const std::vector<Scenario> scenarios = {{1, "cancel latency", &Driver::Latency},
                                           {2, "fan-out", &Driver::FanOut},
                                           {3, "throughput", &Driver::Throughput},
                                           {7, "watchers", &Driver::Watching},
                                           {8, "deep and wide trees", &Driver::Trees},
                                           {4, "scale", &Driver::Scale},
                                           {9, "durable state", &Driver::Durable},
                                           {5, "deadlines", &Driver::Deadlines},
                                           {6, "library", &Driver::Library}};
  for (const Scenario& scenario : scenarios) {
    if (!wanted(scenario.number)) continue;
    std::cerr << "bench: " << scenario.number << ". " << scenario.name << "\n";
    // The scale runs start their own daemons; the shared one is not needed.
    if (scenario.number == 4) canceld_ = absl::CancelledError("stopped");
    (this->*scenario.run)();
  }

  Table summary{.title = "Targets (ARCHITECTURE.md)",
                .header = {"target", "measured", "budget", ""}};
  for (const Target& t : targets_)
    summary.rows.push_back({t.what, t.measured, t.budget, Verdict(t.met)});
  Report report;
  report.Add(std::move(summary));
  // By number ("7. ..." ran before "4. ...").
  std::stable_sort(tables_.begin(), tables_.end(), [](const Table& a, const Table& b) {
    return std::atoi(a.title.c_str()) < std::atoi(b.title.c_str());
  });
  for (Table& table : tables_) report.Add(std::move(table));
  std::cout << report.Text();
  std::cout << "\nbench: took "
            << absl::FormatDuration(absl::Trunc(absl::Now() - start, absl::Seconds(1))) << "\n";
  if (!flags_.write.empty()) {
    const std::string body = absl::StrCat(Header(), report.Markdown());
    absl::Status written = SpliceInto(flags_.write, body);
    if (!written.ok())
      Fail(std::string(written.message()));
    else
      std::cout << "bench: wrote the table into " << flags_.write << "\n";
  }
  for (const std::string& failure : failures_) std::cerr << "bench: FAILED: " << failure << "\n";
  return failures_.empty() ? 0 : 1;
}

}  // namespace
}  // namespace hother::cancelable::bench

int main(int argc, char** argv) {
  using hother::cancelable::bench::Flags;
  Flags flags;
  CLI::App app{
      "canceld beside bare gRPC, etcd and Redis: every scenario of the "
      "benchmark, one table"};
  app.add_option("--samples", flags.samples, "Latency samples per row")->check(CLI::PositiveNumber);
  app.add_option("--warmup", flags.warmup, "Unrecorded rounds before the samples")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--ops", flags.ops, "Operations per throughput cell")->check(CLI::PositiveNumber);
  app.add_option("--fanout", flags.fanout, "Fan-out shapes, SESSIONSxOPERATIONS (repeatable)");
  app.add_option("--fanout-reps", flags.fanout_reps, "Repetitions per fan-out shape")
      ->check(CLI::PositiveNumber);
  app.add_option("--scale", flags.scale, "Live operation counts for the scale runs (repeatable)");
  app.add_option("--scale-sessions", flags.scale_sessions, "SDK sessions registering them")
      ->check(CLI::PositiveNumber);
  app.add_option("--deadline-pending", flags.deadline_pending,
                 "Deadlines pending in the deadline run");
  app.add_option("--deadline-samples", flags.deadline_samples, "Deadlines sampled")
      ->check(CLI::PositiveNumber);
  app.add_option("--lib-min-time", flags.lib_min_time,
                 "lib_bench's --benchmark_min_time (seconds)");
  app.add_option("--canceld", flags.canceld, "The canceld binary")->check(CLI::ExistingFile);
  app.add_option("--lib-bench", flags.lib_bench, "The lib_bench binary")->check(CLI::ExistingFile);
  app.add_option("--chain", flags.chain, "Scenario 8: the depth of the chain (default 10000)");
  app.add_option("--tree", flags.tree, "Scenario 8: the operations of the tree (default 100000)");
  app.add_option("--scenarios", flags.scenarios, "Which scenarios to run, 1-9 (default: all)")
      ->check(CLI::Range(1, 9));
  app.add_option("--watchers", flags.watchers,
                 "Watch streams connected in scenario 7, one row each (repeatable)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--write", flags.write,
                 "Splice the table into this Markdown file (between its markers)")
      ->check(CLI::ExistingFile);
  app.add_option("--command", flags.command,
                 "The command to record in the table (default: this one)");
  CLI11_PARSE(app, argc, argv);
  if (flags.command.empty()) {
    std::vector<std::string> args(argv, argv + argc);
    flags.command = absl::StrJoin(args, " ");
  }
  // Peers that die (etcd, redis) must not take the driver down by SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  return hother::cancelable::bench::Driver(std::move(flags)).Run();
}
