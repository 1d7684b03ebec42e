#include "tests/bench/canceld_peer.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "hother/cancelable/client/client.h"
#include "hother/cancelable/token.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"
#include "tests/bench/host.h"

namespace hother::cancelable::bench {
namespace {

namespace pb = ::hother::cancelable::v1;

// A connected SDK client (connected before any clock starts).
std::unique_ptr<Client> ConnectClient(const std::string& endpoint, const std::string& name) {
  ClientOptions options;
  options.endpoint = endpoint;
  options.process_name = name;
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok() || !(*client)->WaitConnected(absl::Seconds(60))) return nullptr;
  return *std::move(client);
}

std::vector<std::unique_ptr<Client>> ConnectClients(const std::string& endpoint, int n,
                                                    const std::string& name) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(ConnectClient(endpoint, name));
    if (clients.back() == nullptr) return {};
  }
  return clients;
}

// Every operation registered and every finish sent before it processed: a
// session's stream is ordered, and the SDK sends an operation's finish once
// its registration is acknowledged, so the first fence's acknowledgement
// means every earlier finish was sent, and the second's that it was read.
// (The fences themselves finish, unacknowledged, on the way out.)
void Fence(Client& client) {
  for (int i = 0; i < 2; ++i) {
    auto fence = client.Start({.name = "fence"});
    fence->WaitRegistered(absl::Seconds(60));
  }
}

grpc::Status Cancel(pb::Canceld::Stub& stub, const std::string& id) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  pb::CancelRequest request;
  request.set_id(id);
  pb::CancelResponse response;
  return stub.Cancel(&context, request, &response);
}

// Fence, and then everything the daemon read so far is durable: a mutating
// RPC's OK waits for the store to commit what was appended before it (with
// the store off, it costs one RPC).
void DurableFence(Client& client, pb::Canceld::Stub& stub) {
  Fence(client);
  auto fence = client.Start({.name = "durable-fence"});
  fence->WaitRegistered(absl::Seconds(60));
  (void)Cancel(stub, fence->id());
}

absl::StatusOr<pb::CancelAllResponse> CancelAll(pb::Canceld::Stub& stub,
                                                const std::string& selector) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(5)));
  pb::CancelAllRequest request;
  request.mutable_filter()->set_selector(selector);
  request.set_message("bench");
  pb::CancelAllResponse response;
  grpc::Status status = stub.CancelAll(&context, request, &response);
  if (!status.ok())
    return absl::UnavailableError(absl::StrCat("CancelAll: ", status.error_message()));
  return response;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CanceldPeer>> CanceldPeer::Start(const Options& options) {
  std::unique_ptr<CanceldPeer> peer(new CanceldPeer);
  peer->process_ = std::make_unique<test_support::Process>(
      std::vector<std::string>{options.binary, "--state-dir", options.state_dir, "--durability",
                               options.durability, "--listen",
                               absl::StrCat("unix:", options.dir, "/canceld.sock"), "--listen",
                               "127.0.0.1:0", "--insecure-tcp", "--max-operations",
                               absl::StrCat(options.max_operations), "--log-level", "info"},
      options.dir + "/canceld");
  absl::StatusOr<std::string> endpoints = AwaitLogValue(
      options.dir + "/canceld.err", "canceld serving", "endpoints=", absl::Seconds(30));
  if (!endpoints.ok()) {
    return absl::UnavailableError(
        absl::StrCat("canceld did not start: ", endpoints.status().message(),
                     "; stderr: ", peer->process_->err()));
  }
  std::vector<std::string> both = absl::StrSplit(*endpoints, ',');
  if (both.size() != 2) return absl::InternalError(absl::StrCat("canceld serves ", *endpoints));
  peer->unix_ = both[0];
  peer->tcp_ = both[1];
  return peer;
}

CanceldPeer::~CanceldPeer() { process_->Terminate(absl::Seconds(30)); }

namespace {

// SDK sessions that receive the cancels, and a stub (its own connection)
// that sends them.
struct Receivers {
  std::vector<std::unique_ptr<Client>> clients;
  std::unique_ptr<pb::Canceld::Stub> stub;
  Arrivals arrivals;
  int64_t samples = 0;
};

}  // namespace

Probe CanceldPeer::LatencyProbe(Transport transport) {
  auto s = std::make_shared<Receivers>();
  s->clients = ConnectClients(endpoint(transport), 1, "bench-latency");
  s->stub = pb::Canceld::NewStub(OwnChannel(endpoint(transport)));
  if (s->clients.empty()) return nullptr;
  return [s] {
    double micros = 0;
    {
      auto op = s->clients[0]->Start({.name = "latency"});
      op->WaitRegistered(absl::Seconds(10));
      CancellationCallback on_cancel(op->token(),
                                     [&](const CancellationDetails&) { s->arrivals.Mark(); });
      const absl::Time start = absl::Now();
      (void)Cancel(*s->stub, op->id());
      micros = MicrosSince(start, s->arrivals.WaitFor(++s->samples));
    }
    // The operation's finish is processed before the next sample of any
    // system starts.
    Fence(*s->clients[0]);
    return micros;
  };
}

Probe CanceldPeer::CancelRpcProbe() {
  auto s = std::make_shared<Receivers>();
  s->clients = ConnectClients(unix_, 1, "bench-cancel-rpc");
  s->stub = pb::Canceld::NewStub(OwnChannel(unix_));
  if (s->clients.empty()) return nullptr;
  return [s] {
    double micros = 0;
    {
      auto op = s->clients[0]->Start({.name = "cancel-rpc"});
      op->WaitRegistered(absl::Seconds(10));
      const absl::Time start = absl::Now();
      const grpc::Status status = Cancel(*s->stub, op->id());
      micros = status.ok() ? MicrosSince(start, absl::Now()) : -1;
    }
    Fence(*s->clients[0]);
    return micros;
  };
}

Probe CanceldPeer::FanOutProbe(int sessions, int per_session) {
  auto s = std::make_shared<Receivers>();
  s->clients = ConnectClients(unix_, sessions, "bench-fanout");
  s->stub = pb::Canceld::NewStub(OwnChannel(unix_));
  if (s->clients.empty()) return nullptr;
  return [s, per_session] {
    double micros = 0;
    {
      std::vector<std::unique_ptr<RemoteOperation>> ops;
      std::vector<std::unique_ptr<CancellationCallback>> callbacks;
      const std::string run = absl::StrCat("r", s->samples++);
      for (auto& client : s->clients) {
        for (int i = 0; i < per_session; ++i) {
          ops.push_back(client->Start({.name = "fan", .labels = {{"run", run}}}));
        }
      }
      for (auto& op : ops) {
        op->WaitRegistered(absl::Seconds(60));
        callbacks.push_back(std::make_unique<CancellationCallback>(
            op->token(), [&](const CancellationDetails&) { s->arrivals.Mark(); }));
      }
      const int64_t target = s->arrivals.count() + static_cast<int64_t>(ops.size());
      const absl::Time start = absl::Now();
      (void)CancelAll(*s->stub, absl::StrCat("run=", run));
      micros = MicrosSince(start, s->arrivals.WaitFor(target));
      callbacks.clear();
    }
    // Every finish is processed before the next sample of any system starts.
    std::vector<std::unique_ptr<RemoteOperation>> fences;
    for (auto& client : s->clients) fences.push_back(client->Start({.name = "fence"}));
    for (auto& fence : fences) fence->WaitRegistered(absl::Seconds(60));
    return micros;
  };
}

namespace {

class WatchStreams final : public Watchers {
 public:
  explicit WatchStreams(const std::string& endpoint)
      : stub_(pb::Canceld::NewStub(OwnChannel(endpoint))) {}
  ~WatchStreams() override {
    for (auto& context : contexts_) context->TryCancel();
    for (std::thread& reader : readers_) reader.join();
  }
  int64_t events() const override { return events_.load(); }

  // Opens one more stream; false if its first message (START) did not come.
  bool Open() {
    contexts_.push_back(std::make_unique<grpc::ClientContext>());
    auto started = std::make_shared<std::promise<bool>>();
    std::future<bool> first = started->get_future();
    readers_.emplace_back([this, context = contexts_.back().get(), started] {
      auto reader = stub_->Watch(context, pb::WatchRequest());
      pb::WatchEvent event;
      started->set_value(reader->Read(&event));
      while (reader->Read(&event)) events_.fetch_add(1);
      reader->Finish();
    });
    return first.wait_for(std::chrono::seconds(30)) == std::future_status::ready && first.get();
  }

 private:
  std::unique_ptr<pb::Canceld::Stub> stub_;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts_;
  std::vector<std::thread> readers_;
  std::atomic<int64_t> events_{0};
};

}  // namespace

std::unique_ptr<Watchers> CanceldPeer::ConnectWatchers(int count) {
  auto watchers = std::make_unique<WatchStreams>(unix_);
  for (int i = 0; i < count; ++i) {
    if (!watchers->Open()) return nullptr;
  }
  return watchers;
}

double CanceldPeer::Throughput(Transport transport, int threads, int total) {
  // One session (and one stub) per thread, connected before the clock starts.
  std::vector<std::unique_ptr<Client>> clients =
      ConnectClients(endpoint(transport), threads, "bench-throughput");
  if (clients.empty()) return 0;
  std::vector<std::unique_ptr<pb::Canceld::Stub>> stubs;
  for (int t = 0; t < threads; ++t) {
    stubs.push_back(pb::Canceld::NewStub(OwnChannel(endpoint(transport))));
  }
  return RatePerSecond(threads, total, [&](int thread, int count) {
    for (int i = 0; i < count; ++i) {
      auto op = clients[thread]->Start({.name = "throughput"});
      op->Finish();
    }
    // Done when the daemon has read every finish and (store on) its history
    // row is durable.
    DurableFence(*clients[thread], *stubs[thread]);
  });
}

ScaleResult CanceldPeer::Scale(size_t operations, int sessions) {
  ScaleResult result{.operations = operations, .sessions = sessions};
  std::vector<std::unique_ptr<Client>> clients = ConnectClients(unix_, sessions, "bench-scale");
  if (clients.empty()) return result;
  auto stub = pb::Canceld::NewStub(OwnChannel(unix_));
  result.resident_before = ResidentBytes(pid());
  std::vector<std::vector<std::unique_ptr<RemoteOperation>>> ops(clients.size());
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (size_t s = 0; s < clients.size(); ++s) {
    workers.emplace_back([&, s] {
      const size_t mine = operations / clients.size() + (s < operations % clients.size() ? 1 : 0);
      ops[s].reserve(mine);
      for (size_t i = 0; i < mine; ++i) {
        ops[s].push_back(
            clients[s]->Start({.name = "import-batch",
                               .labels = {{"team", "data"}, {"shard", absl::StrCat(i % 64)}}}));
      }
      for (auto& op : ops[s]) op->WaitRegistered(absl::Seconds(120));
    });
  }
  for (auto& w : workers) w.join();
  result.registrations_per_second =
      static_cast<double>(operations) / absl::ToDoubleSeconds(absl::Now() - start);
  result.resident_after = ResidentBytes(pid());

  const absl::Time list_start = absl::Now();
  std::string token;
  size_t listed = 0;
  do {
    grpc::ClientContext context;
    pb::ListOperationsRequest request;
    request.set_page_size(1000);
    request.set_page_token(token);
    pb::ListOperationsResponse response;
    if (!stub->ListOperations(&context, request, &response).ok()) break;
    listed += static_cast<size_t>(response.operations_size());
    token = response.next_page_token();
  } while (!token.empty());
  result.list_ms = absl::ToDoubleMilliseconds(absl::Now() - list_start);

  const absl::Time cancel_start = absl::Now();
  absl::StatusOr<pb::CancelAllResponse> cancelled = CancelAll(*stub, "team=data");
  result.cancel_all_ms = absl::ToDoubleMilliseconds(absl::Now() - cancel_start);
  result.cancelled = cancelled.ok() ? cancelled->cancelled() : -1;
  if (listed < operations) result.cancelled = -1;  // the run is not valid
  return result;
}

TreeResult CanceldPeer::CancelTree(TreeShape shape, size_t operations) {
  TreeResult result{.operations = operations};
  std::unique_ptr<Client> client = ConnectClient(unix_, "bench-trees");
  if (client == nullptr || operations == 0) return result;
  auto stub = pb::Canceld::NewStub(OwnChannel(unix_));
  Arrivals arrivals;
  std::vector<std::unique_ptr<RemoteOperation>> ops;
  std::vector<std::unique_ptr<CancellationCallback>> callbacks;
  ops.reserve(operations);
  for (size_t i = 0; i < operations; ++i) {
    StartOptions options{.name = "tree"};
    if (i > 0 && shape != TreeShape::kOneByOne) {
      const size_t parent = shape == TreeShape::kChain ? i - 1 : (i - 1) / 10;
      ops[parent]->WaitRegistered(absl::Seconds(60));
      options.parent_id = ops[parent]->id();
    }
    ops.push_back(client->Start(std::move(options)));
  }
  for (auto& op : ops) {
    if (!op->WaitRegistered(absl::Seconds(60))) return result;
    callbacks.push_back(std::make_unique<CancellationCallback>(
        op->token(), [&arrivals](const CancellationDetails&) { arrivals.Mark(); }));
  }
  result.resident_registered = ResidentBytes(pid());
  const absl::Time start = absl::Now();
  for (size_t i = 0; i < (shape == TreeShape::kOneByOne ? operations : 1); ++i) {
    grpc::ClientContext context;
    pb::CancelRequest request;
    request.set_id(ops[i]->id());
    pb::CancelResponse response;
    if (!stub->Cancel(&context, request, &response).ok()) return result;
  }
  if (!arrivals.WaitFor(static_cast<int64_t>(operations), absl::Seconds(300))) return result;
  const absl::Time last = arrivals.WaitFor(static_cast<int64_t>(operations));
  result.cancel_ms = absl::ToDoubleMilliseconds(last - start);
  result.delivered = arrivals.count() == static_cast<int64_t>(operations);
  result.peak = ResidentBytes(pid(), /*peak=*/true);
  callbacks.clear();
  return result;
}

}  // namespace hother::cancelable::bench
