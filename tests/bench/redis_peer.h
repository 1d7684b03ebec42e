// Redis as the driver's peer: a real `redis-server` (Debian's), without
// persistence, on a unix socket in the driver's temp dir and on TCP loopback.
// Cancellation the Redis way: PUBLISH on a channel, and a subscriber of that
// channel receiving the message. Spoken with hiredis.
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_REDIS_PEER_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_REDIS_PEER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/bench/peer.h"
#include "tests/support/process.h"

namespace hother::cancelable::bench {

class RedisPeer final : public Peer {
 public:
  static absl::StatusOr<std::unique_ptr<RedisPeer>> Start(const std::string& dir);
  ~RedisPeer() override;

  std::string latency_name() const override { return "Redis PUBLISH -> subscriber"; }
  Probe LatencyProbe(Transport transport) override;
  std::string throughput_name() const override { return "Redis PUBLISH"; }
  double Throughput(Transport transport, int threads, int total) override;

 private:
  RedisPeer() = default;

  std::unique_ptr<test_support::Process> process_;
  std::string socket_;
  int port_ = 0;
};

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_REDIS_PEER_H_
