// canceld itself, as the driver measures it: the real `canceld` binary as a
// child process, on a unix socket in the driver's temp dir and on TCP
// loopback, with SDK clients (cancelable::client) in the driver's process.
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_CANCELD_PEER_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_CANCELD_PEER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/bench/peer.h"
#include "tests/support/process.h"

namespace hother::cancelable::bench {

// Scenario 4 at one size.
struct ScaleResult {
  size_t operations = 0;
  int sessions = 0;
  size_t resident_before = 0;  // the daemon's RSS with the sessions connected
  size_t resident_after = 0;   // ... and every operation registered
  double registrations_per_second = 0;
  double list_ms = 0;        // ListOperations of all, pages of 1000
  double cancel_all_ms = 0;  // the CancelAll RPC of all (label selector)
  int64_t cancelled = 0;
};

// Scenario 8: the shapes of what one cancel reaches.
enum class TreeShape {
  kChain,     // each operation the child of the one before: one Cancel of the root
  kTree,      // ten children each, breadth first: one Cancel of the root
  kOneByOne,  // no parents: a Cancel of each, one after the other (the baseline)
};

struct TreeResult {
  size_t operations = 0;
  size_t resident_registered = 0;  // the daemon's RSS with every operation registered
  size_t peak = 0;                 // its VmHWM once every cancel arrived
  double cancel_ms = 0;            // the first Cancel -> the last SDK callback
  bool delivered = false;          // every operation's callback ran
};

// Watch streams held open on canceld, each read by a thread of its own (so
// they keep up, as `cancelctl watch` does), until destroyed.
class Watchers {
 public:
  virtual ~Watchers() = default;
  // Events read so far, over all the streams.
  virtual int64_t events() const = 0;
};

class CanceldPeer final : public Peer {
 public:
  struct Options {
    std::string binary;  // canceld
    std::string dir;     // where its socket and logs go
    size_t max_operations = 1'000'000;
    std::string state_dir = "none";   // --state-dir: a directory for the store on
    std::string durability = "sync";  // --durability, with the store on
  };
  static absl::StatusOr<std::unique_ptr<CanceldPeer>> Start(const Options& options);
  ~CanceldPeer() override;  // SIGTERM, and waits for the exit

  std::string latency_name() const override { return "canceld Cancel -> SDK callback"; }
  Probe LatencyProbe(Transport transport) override;
  std::string throughput_name() const override {
    return "canceld operations (registered + finished)";
  }
  double Throughput(Transport transport, int threads, int total) override;

  // Scenario 9: the Cancel RPC's round trip alone (call -> OK), on the unix
  // socket, of an operation registered untimed; with the store on, the OK
  // waits for the cancel's record to be durable.
  Probe CancelRpcProbe();

  // Scenario 2: CancelAll of sessions x per_session operations -> the last
  // SDK callback (each sample registers its operations first, untimed).
  Probe FanOutProbe(int sessions, int per_session);

  // Scenario 4: registers `operations` over `sessions` sessions, measures the
  // daemon's memory, then lists and cancels them all.
  ScaleResult Scale(size_t operations, int sessions);

  // Scenario 8: registers `operations` in `shape` on one SDK session, then
  // cancels them (see TreeShape) and waits for every SDK callback.
  TreeResult CancelTree(TreeShape shape, size_t operations);

  // Scenario 7: `count` watchers of every event, on the unix socket; null
  // if they could not all start.
  std::unique_ptr<Watchers> ConnectWatchers(int count);

  pid_t pid() const { return process_->pid(); }

 private:
  CanceldPeer() = default;

  std::unique_ptr<test_support::Process> process_;
};

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_CANCELD_PEER_H_
