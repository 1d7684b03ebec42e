// The bare gRPC floor: a minimal server, in the driver's process, that pushes
// one message to held streams when a unary call arrives. No registry, no
// validation, no bookkeeping: what any cancel push over gRPC must pay.
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_BARE_PEER_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_BARE_PEER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/bench/peer.h"

namespace grpc {
class Server;
}

namespace hother::cancelable::bench {

class BareService;

class BarePeer final : public Peer {
 public:
  static absl::StatusOr<std::unique_ptr<BarePeer>> Start(const std::string& dir);
  ~BarePeer() override;

  std::string latency_name() const override { return "bare gRPC push"; }
  Probe LatencyProbe(Transport transport) override;
  std::string throughput_name() const override { return "bare gRPC unary calls"; }
  double Throughput(Transport transport, int threads, int total) override;

  // Scenario 2: one unary call -> the push reaching the last of `streams`
  // held streams.
  Probe FanOutProbe(int streams);

 private:
  BarePeer() = default;

  std::unique_ptr<BareService> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_BARE_PEER_H_
