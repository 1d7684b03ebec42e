#include "tests/bench/etcd_peer.h"

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/channel.h"
#include "tests/bench/host.h"
#include "tests/bench/proto/etcd.grpc.pb.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable::bench {
namespace {

namespace etcd = ::etcdserverpb;

grpc::Status Put(etcd::KV::Stub& kv, const std::string& key, const std::string& value) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  etcd::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  etcd::PutResponse response;
  return kv.Put(&context, request, &response);
}

// A watch of one key; a reader thread marks each event's arrival.
class KeyWatch {
 public:
  KeyWatch(const std::shared_ptr<grpc::Channel>& channel, const std::string& key)
      : stub_(etcd::Watch::NewStub(channel)), stream_(stub_->Watch(&context_)) {
    etcd::WatchRequest request;
    request.mutable_create_request()->set_key(key);
    stream_->Write(request);
    etcd::WatchResponse response;
    created_ = stream_->Read(&response) && response.created();
    reader_ = std::thread([this] {
      etcd::WatchResponse r;
      while (stream_->Read(&r)) {
        for (int i = 0; i < r.events_size(); ++i) arrivals_.Mark();
      }
    });
  }
  ~KeyWatch() {
    context_.TryCancel();
    reader_.join();
    stream_->Finish();
  }
  bool created() const { return created_; }
  Arrivals& arrivals() { return arrivals_; }

 private:
  std::unique_ptr<etcd::Watch::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<etcd::WatchRequest, etcd::WatchResponse>> stream_;
  bool created_ = false;
  Arrivals arrivals_;
  std::thread reader_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdPeer>> EtcdPeer::Start(const std::string& dir) {
  const std::string binary = std::filesystem::exists("/usr/bin/etcd") ? "/usr/bin/etcd" : "etcd";
  std::unique_ptr<EtcdPeer> peer(new EtcdPeer);
  const int port = FreeTcpPort();
  // etcd takes a unix socket as "unix://NAME:PORT" and creates the file
  // "NAME:PORT" in its working directory (the temp dir); its peer (raft)
  // listener is a unix socket too, so no second TCP port is needed.
  const std::string raft = "unix://etcd-raft.sock:0";
  const std::string client_tcp = absl::StrCat("http://127.0.0.1:", port);
  peer->process_ = std::make_unique<test_support::Process>(
      std::vector<std::string>{
          binary, "--name", "bench", "--data-dir", dir + "/etcd-data", "--listen-client-urls",
          absl::StrCat("unix://etcd.sock:0,", client_tcp), "--advertise-client-urls", client_tcp,
          "--listen-peer-urls", raft, "--initial-advertise-peer-urls", raft, "--initial-cluster",
          "bench=" + raft, "--logger", "zap", "--log-level", "error"},
      dir + "/etcd", /*env=*/std::vector<std::string>{}, /*cwd=*/dir);
  peer->unix_ = absl::StrCat("unix:", dir, "/etcd.sock:0");
  peer->tcp_ = absl::StrCat("127.0.0.1:", port);
  // Ready once a Put succeeds on both endpoints.
  for (const std::string& endpoint : {peer->unix_, peer->tcp_}) {
    auto kv = etcd::KV::NewStub(OwnChannel(endpoint));
    if (!Eventually([&] { return !peer->process_->running() || Put(*kv, "bench/ready", "1").ok(); },
                    absl::Seconds(30)) ||
        !peer->process_->running()) {
      return absl::UnavailableError(
          absl::StrCat("etcd did not start on ", endpoint, ": ", peer->process_->err()));
    }
  }
  return peer;
}

EtcdPeer::~EtcdPeer() {
  if (process_ != nullptr) process_->Terminate(absl::Seconds(10));
}

Probe EtcdPeer::LatencyProbe(Transport transport) {
  // The watcher and the writer are different connections, as they would be
  // in different processes.
  struct State {
    std::unique_ptr<KeyWatch> watch;
    std::unique_ptr<etcd::KV::Stub> kv;
    std::string key;
    int64_t n = 0;
  };
  auto s = std::make_shared<State>();
  s->key = absl::StrCat("bench/cancel-", NameOf(transport));
  s->watch = std::make_unique<KeyWatch>(OwnChannel(endpoint(transport)), s->key);
  s->kv = etcd::KV::NewStub(OwnChannel(endpoint(transport)));
  if (!s->watch->created()) return nullptr;
  return [s] {
    const absl::Time start = absl::Now();
    Put(*s->kv, s->key, absl::StrCat(++s->n));
    return MicrosSince(start, s->watch->arrivals().WaitFor(s->n));
  };
}

Probe EtcdPeer::PutProbe(Transport transport) {
  struct State {
    std::unique_ptr<etcd::KV::Stub> kv;
    int64_t n = 0;
  };
  auto s = std::make_shared<State>();
  s->kv = etcd::KV::NewStub(OwnChannel(endpoint(transport)));
  return [s] {
    const absl::Time start = absl::Now();
    const grpc::Status status = Put(*s->kv, "bench/put-round-trip", absl::StrCat(++s->n));
    return status.ok() ? MicrosSince(start, absl::Now()) : -1;
  };
}

double EtcdPeer::Throughput(Transport transport, int threads, int total) {
  return RatePerSecond(threads, total, [&](int thread, int count) {
    auto kv = etcd::KV::NewStub(OwnChannel(endpoint(transport)));
    for (int i = 0; i < count; ++i) Put(*kv, absl::StrCat("bench/op/", thread, "/", i), "1");
  });
}

}  // namespace hother::cancelable::bench
