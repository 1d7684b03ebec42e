// A system the benchmark compares canceld with (and canceld itself): started
// by the driver on a unix socket in its temp dir and on TCP loopback, stopped
// when destroyed. Each peer measures the scenarios in its own protocol.
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_PEER_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_PEER_H_

#include <string>
#include <vector>

#include "tests/bench/samples.h"

namespace hother::cancelable::bench {

enum class Transport { kUnix, kTcp };

inline const char* NameOf(Transport transport) {
  return transport == Transport::kUnix ? "unix" : "tcp";
}

class Peer {
 public:
  virtual ~Peer() = default;

  // Scenario 1, cancel latency: what is measured, e.g. "etcd Put -> watch event".
  virtual std::string latency_name() const = 0;
  // Trigger -> arrival in the receiving client.
  virtual Probe LatencyProbe(Transport transport) = 0;

  // Scenario 3, throughput: what one operation is, e.g. "etcd puts".
  virtual std::string throughput_name() const = 0;
  // Operations per second with `threads` client threads doing `total` in all.
  virtual double Throughput(Transport transport, int threads, int total) = 0;

 protected:
  // Where a gRPC client reaches the peer (set by the peer's Start).
  const std::string& endpoint(Transport transport) const {
    return transport == Transport::kUnix ? unix_ : tcp_;
  }
  std::string unix_;
  std::string tcp_;
};

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_PEER_H_
