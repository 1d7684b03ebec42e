// etcd as the driver's peer: a real `etcd` (Debian's etcd-server) with its
// data dir in the driver's temp dir, serving clients on a unix socket and on
// TCP loopback. Cancellation the etcd way: a Put to a key, and a watcher of
// that key seeing the event. Spoken over etcd's own gRPC API (KV.Put,
// Watch.Watch) from tests/bench/proto/etcd.proto.
#ifndef HOTHER_CANCELABLE_TESTS_BENCH_ETCD_PEER_H_
#define HOTHER_CANCELABLE_TESTS_BENCH_ETCD_PEER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/bench/peer.h"
#include "tests/support/process.h"

namespace hother::cancelable::bench {

class EtcdPeer final : public Peer {
 public:
  // Starts `etcd` (found on PATH or at /usr/bin/etcd) in `dir`.
  static absl::StatusOr<std::unique_ptr<EtcdPeer>> Start(const std::string& dir);
  ~EtcdPeer() override;

  std::string latency_name() const override { return "etcd Put -> watch event"; }
  Probe LatencyProbe(Transport transport) override;
  // Scenario 9: a Put's round trip alone (call -> response; etcd answers once
  // the write is in its fsynced log).
  Probe PutProbe(Transport transport);
  std::string throughput_name() const override { return "etcd puts"; }
  double Throughput(Transport transport, int threads, int total) override;

 private:
  EtcdPeer() = default;

  std::unique_ptr<test_support::Process> process_;
};

}  // namespace hother::cancelable::bench

#endif  // HOTHER_CANCELABLE_TESTS_BENCH_ETCD_PEER_H_
