// canceld side by side with a bare gRPC server, in one run (issue 5).
//
// Starts an in-process canceld and a bare gRPC push server on a unix socket
// in a temp dir and on TCP loopback, then measures:
//   1. cancel latency: Cancel RPC start -> the SDK's local callback, beside
//      the bare floor: unary Trigger start -> the message pushed to a held
//      stream arrives;
//   2. fan-out: CancelAll of 10,000 operations over 100 sessions -> the
//      last SDK callback, beside the bare server pushing one message to 100
//      held streams;
//   3. throughput: operations registered and finished per second through
//      sessions (1 and 8 client threads, one session each), beside bare unary
//      calls per second.
// and prints p50/p90/p99 with the ratios. Not yet here (see the issue): the
// etcd and Redis peers (scale: scale_bench; deadlines: deadline_bench).
//
//   canceld_bench [--samples 2000] [--ops 20000] [--fanout-sessions 100]
//                 [--fanout-per-session 100] [--fanout-reps 20]
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "daemon/daemon.h"
#include "daemon/service/write_queue.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "hother/cancelable/client/client.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"
#include "tests/bench/proto/bare.grpc.pb.h"

namespace hother::cancelable::bench {
namespace {

namespace pb = ::hother::cancelable::v1;

// --- The bare floor: push one message to held streams on a unary call. ---

class HoldReactor;

class BareService final : public Bare::CallbackService {
 public:
  grpc::ServerWriteReactor<Push>* Hold(grpc::CallbackServerContext*,
                                       const HoldRequest* request) override;
  grpc::ServerUnaryReactor* Trigger(grpc::CallbackServerContext* context,
                                    const TriggerRequest* request, TriggerReply* reply) override;
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context, const TriggerRequest*,
                                 TriggerReply*) override {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  void Remove(HoldReactor* r) {
    std::lock_guard<std::mutex> lock(mu_);
    held_.erase(std::remove(held_.begin(), held_.end(), r), held_.end());
  }

 private:
  friend class HoldReactor;
  std::mutex mu_;
  std::vector<HoldReactor*> held_;
};

class HoldReactor : public grpc::ServerWriteReactor<Push> {
 public:
  HoldReactor(BareService* service, std::string key) : service_(service), key_(std::move(key)) {}
  void Send() {
    Push push;
    push.set_key(key_);
    writes_.Push(std::move(push));
  }
  void OnWriteDone(bool ok) override { writes_.WriteDone(ok); }
  void OnCancel() override { writes_.Finish(grpc::Status::CANCELLED); }
  void OnDone() override {
    service_->Remove(this);
    delete this;
  }
  const std::string& key() const { return key_; }

 private:
  BareService* service_;
  std::string key_;
  daemon::WriteQueue<HoldReactor, Push> writes_{this};
};

grpc::ServerWriteReactor<Push>* BareService::Hold(grpc::CallbackServerContext*,
                                                  const HoldRequest* request) {
  auto* reactor = new HoldReactor(this, request->key());
  std::lock_guard<std::mutex> lock(mu_);
  held_.push_back(reactor);
  return reactor;
}

grpc::ServerUnaryReactor* BareService::Trigger(grpc::CallbackServerContext* context,
                                               const TriggerRequest* request, TriggerReply* reply) {
  int pushed = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (HoldReactor* r : held_) {
      if (request->key().empty() || r->key() == request->key()) {
        r->Send();
        ++pushed;
      }
    }
  }
  reply->set_pushed(pushed);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

// --- Statistics. ---

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0;
};

Percentiles Of(std::vector<double> micros) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<size_t>(q * (micros.size() - 1))]; };
  return {at(0.50), at(0.90), at(0.99)};
}

// A connected SDK client (the connection is made before any clock starts).
std::unique_ptr<Client> ConnectClient(const std::string& endpoint, const std::string& name) {
  ClientOptions options;
  options.endpoint = endpoint;
  options.process_name = name;
  std::unique_ptr<Client> client = *Client::Connect(options);
  client->WaitConnected(absl::Seconds(30));
  return client;
}

// --- Scenario 1: cancel latency. ---

std::vector<double> BareLatency(const std::string& endpoint, int samples) {
  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  auto stub = Bare::NewStub(channel);
  grpc::ClientContext hold_context;
  HoldRequest hold;
  hold.set_key("k");
  auto reader = stub->Hold(&hold_context, hold);
  std::mutex mu;
  std::condition_variable cv;
  int received = 0;
  absl::Time arrived;
  std::thread reader_thread([&] {
    Push push;
    while (reader->Read(&push)) {
      std::lock_guard<std::mutex> lock(mu);
      arrived = absl::Now();
      ++received;
      cv.notify_all();
    }
  });
  // Wait until the stream is held by the server (a Trigger reaches it).
  for (;;) {
    grpc::ClientContext c;
    TriggerRequest t;
    t.set_key("k");
    TriggerReply r;
    stub->Trigger(&c, t, &r);
    if (r.pushed() > 0) break;
    absl::SleepFor(absl::Milliseconds(1));
  }
  std::vector<double> out;
  for (int i = 0; i < samples + samples / 10; ++i) {
    int before;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return received > 0; });
      before = received;
    }
    const absl::Time start = absl::Now();
    grpc::ClientContext c;
    TriggerRequest t;
    t.set_key("k");
    TriggerReply r;
    stub->Trigger(&c, t, &r);
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return received > before; });
    if (i >= samples / 10) out.push_back(absl::ToDoubleMicroseconds(arrived - start));  // after warm-up
  }
  hold_context.TryCancel();
  reader_thread.join();
  reader->Finish();
  return out;
}

std::vector<double> CanceldLatency(const std::string& endpoint, int samples) {
  auto client = ConnectClient(endpoint, "bench");
  auto stub = pb::Canceld::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  std::vector<double> out;
  for (int i = 0; i < samples + samples / 10; ++i) {
    auto op = client->Start({.name = "latency"});
    op->WaitRegistered(absl::Seconds(10));
    std::mutex mu;
    std::condition_variable cv;
    bool fired = false;
    absl::Time arrived;
    CancellationCallback on_cancel(op->token(), [&](const CancellationDetails&) {
      std::lock_guard<std::mutex> lock(mu);
      arrived = absl::Now();
      fired = true;
      cv.notify_all();
    });
    const absl::Time start = absl::Now();
    grpc::ClientContext c;
    pb::CancelRequest request;
    request.set_id(op->id());
    pb::CancelResponse response;
    stub->Cancel(&c, request, &response);
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return fired; });
    if (i >= samples / 10) out.push_back(absl::ToDoubleMicroseconds(arrived - start));
  }
  return out;
}

// --- Scenario 2: fan-out. ---

// The bare server pushes one message to each of `streams` held streams.
std::vector<double> BareFanOut(const std::string& endpoint, int streams, int reps) {
  auto stub = Bare::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  std::mutex mu;
  std::condition_variable cv;
  int received = 0;
  absl::Time last;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::thread> readers;
  for (int i = 0; i < streams; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    readers.emplace_back([&, context = contexts.back().get()] {
      HoldRequest hold;
      hold.set_key("fan");
      auto reader = stub->Hold(context, hold);
      Push push;
      while (reader->Read(&push)) {
        std::lock_guard<std::mutex> lock(mu);
        last = absl::Now();
        ++received;
        cv.notify_all();
      }
      reader->Finish();
    });
  }
  // Until every stream is held: a trigger reaches all of them (and each push
  // of every trigger so far has arrived).
  for (int pushed_total = 0;;) {
    grpc::ClientContext c;
    TriggerRequest t;
    t.set_key("fan");
    TriggerReply r;
    stub->Trigger(&c, t, &r);
    pushed_total += r.pushed();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return received >= pushed_total; });
    if (r.pushed() == streams) break;
    cv.wait_for(lock, std::chrono::milliseconds(5));
  }
  std::vector<double> out;
  for (int rep = 0; rep < reps; ++rep) {
    int target;
    {
      std::lock_guard<std::mutex> lock(mu);
      target = received + streams;
    }
    const absl::Time start = absl::Now();
    grpc::ClientContext c;
    TriggerRequest t;
    t.set_key("fan");
    TriggerReply r;
    stub->Trigger(&c, t, &r);
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return received >= target; });
    out.push_back(absl::ToDoubleMicroseconds(last - start));
  }
  for (auto& context : contexts) context->TryCancel();
  for (auto& reader : readers) reader.join();
  return out;
}

// CancelAll of sessions x per_session operations -> the last SDK callback.
std::vector<double> CanceldFanOut(const std::string& endpoint, int sessions, int per_session,
                                  int reps) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < sessions; ++i) {
    clients.push_back(ConnectClient(endpoint, "fanout"));
  }
  auto stub = pb::Canceld::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  std::vector<double> out;
  for (int rep = 0; rep < reps; ++rep) {
    std::mutex mu;
    std::condition_variable cv;
    int fired = 0;
    absl::Time last;
    std::vector<std::unique_ptr<RemoteOperation>> ops;
    std::vector<std::unique_ptr<CancellationCallback>> callbacks;
    const std::string run = absl::StrCat("r", rep);
    for (auto& client : clients) {
      for (int i = 0; i < per_session; ++i) {
        ops.push_back(client->Start({.name = "fan", .labels = {{"run", run}}}));
      }
    }
    for (auto& op : ops) {
      op->WaitRegistered(absl::Seconds(30));
      callbacks.push_back(std::make_unique<CancellationCallback>(
          op->token(), [&](const CancellationDetails&) {
            std::lock_guard<std::mutex> lock(mu);
            last = absl::Now();
            ++fired;
            cv.notify_all();
          }));
    }
    const absl::Time start = absl::Now();
    grpc::ClientContext c;
    c.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    pb::CancelAllRequest request;
    request.mutable_filter()->set_selector(absl::StrCat("run=", run));
    pb::CancelAllResponse response;
    stub->CancelAll(&c, request, &response);
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return fired == static_cast<int>(ops.size()); });
    }
    out.push_back(absl::ToDoubleMicroseconds(last - start));
    callbacks.clear();
    ops.clear();
  }
  return out;
}

// --- Scenario 3: throughput. ---

double BareCallsPerSecond(const std::string& endpoint, int threads, int total) {
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      auto stub = Bare::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
      for (int i = 0; i < total / threads; ++i) {
        grpc::ClientContext c;
        TriggerRequest t;
        TriggerReply r;
        stub->Echo(&c, t, &r);
      }
    });
  }
  for (auto& w : workers) w.join();
  return total / absl::ToDoubleSeconds(absl::Now() - start);
}

double CanceldOpsPerSecond(daemon::Daemon& d, const std::string& endpoint, int threads, int total) {
  // One session per thread, connected before the clock starts.
  std::vector<std::unique_ptr<Client>> clients;
  for (int t = 0; t < threads; ++t) {
    clients.push_back(ConnectClient(endpoint, "bench"));
  }
  const uint64_t before = d.state().events.current_sequence();
  const uint64_t expected = 2 * static_cast<uint64_t>(total / threads) * threads;
  std::vector<std::thread> workers;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < total / threads; ++i) {
        auto op = clients[t]->Start({.name = "throughput"});
        op->Finish();
      }
    });
  }
  for (auto& w : workers) w.join();
  // Done when the daemon has seen every registration and every finish.
  while (d.state().events.current_sequence() - before < expected) {
    absl::SleepFor(absl::Microseconds(200));
  }
  return (expected / 2) / absl::ToDoubleSeconds(absl::Now() - start);
}

void Row(const char* what, const Percentiles& p, const Percentiles* base) {
  if (base == nullptr) {
    std::printf("%-44s %9.1f %9.1f %9.1f %9s\n", what, p.p50, p.p90, p.p99, "-");
  } else {
    std::printf("%-44s %9.1f %9.1f %9.1f %8.2fx\n", what, p.p50, p.p90, p.p99, p.p50 / base->p50);
  }
}

}  // namespace
}  // namespace hother::cancelable::bench

int main(int argc, char** argv) {
  using namespace hother::cancelable;
  using namespace hother::cancelable::bench;
  int samples = 2000;
  int ops = 20000;
  int fanout_sessions = 100;
  int fanout_per_session = 100;
  int fanout_reps = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--samples") == 0) samples = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--ops") == 0) ops = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--fanout-sessions") == 0) fanout_sessions = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--fanout-per-session") == 0) {
      fanout_per_session = std::atoi(argv[i + 1]);
    }
    if (std::strcmp(argv[i], "--fanout-reps") == 0) fanout_reps = std::atoi(argv[i + 1]);
  }
  const std::string dir = absl::StrCat("/tmp/canceld-bench-", getpid());
  std::filesystem::create_directories(dir);

  daemon::DaemonOptions options;
  options.listen = {absl::StrCat("unix:", dir, "/canceld.sock"), "127.0.0.1:0"};
  options.log_level = LogLevel::kError;
  auto d = daemon::Daemon::Start(options);
  if (!d.ok()) {
    std::fprintf(stderr, "canceld: %s\n", std::string(d.status().message()).c_str());
    return 1;
  }
  BareService bare;
  grpc::ServerBuilder builder;
  builder.RegisterService(&bare);
  int bare_port = 0;
  const std::string bare_unix = absl::StrCat("unix:", dir, "/bare.sock");
  builder.AddListeningPort(bare_unix, grpc::InsecureServerCredentials());
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &bare_port);
  auto bare_server = builder.BuildAndStart();
  const std::string bare_tcp = absl::StrCat("127.0.0.1:", bare_port);
  const std::string canceld_unix = (*d)->endpoints()[0];
  const std::string canceld_tcp = (*d)->endpoints()[1];

  std::printf("%-44s %9s %9s %9s %9s\n", "1. cancel latency (us)", "p50", "p90", "p99", "vs bare");
  for (auto [name, bare_ep, canceld_ep] :
       {std::tuple{"unix", bare_unix, canceld_unix}, std::tuple{"tcp", bare_tcp, canceld_tcp}}) {
    Percentiles base = Of(BareLatency(bare_ep, samples));
    Percentiles ours = Of(CanceldLatency(canceld_ep, samples));
    Row(absl::StrCat("bare gRPC push (", name, ")").c_str(), base, nullptr);
    Row(absl::StrCat("canceld Cancel -> SDK callback (", name, ")").c_str(), ours, &base);
  }
  std::printf("\n%-44s %9s %9s %9s %9s\n", "2. fan-out, unix (us to the last one)", "p50", "p90",
              "p99", "vs bare");
  Percentiles fan_base = Of(BareFanOut(bare_unix, fanout_sessions, fanout_reps));
  Percentiles fan_ours =
      Of(CanceldFanOut(canceld_unix, fanout_sessions, fanout_per_session, fanout_reps));
  Row(absl::StrCat("bare push to ", fanout_sessions, " streams").c_str(), fan_base, nullptr);
  Row(absl::StrCat("canceld CancelAll ", fanout_sessions * fanout_per_session, " ops / ",
                   fanout_sessions, " sessions")
          .c_str(),
      fan_ours, &fan_base);
  std::printf("target: fan-out within 3x of the bare push: %s\n",
              fan_ours.p50 <= 3 * fan_base.p50 ? "met" : "MISSED");

  std::printf("\n%-44s %12s %12s\n", "3. throughput (per second, unix)", "1 thread", "8 threads");
  double bare1 = BareCallsPerSecond(bare_unix, 1, ops);
  double bare8 = BareCallsPerSecond(bare_unix, 8, ops);
  double ours1 = CanceldOpsPerSecond(**d, canceld_unix, 1, ops);
  double ours8 = CanceldOpsPerSecond(**d, canceld_unix, 8, ops);
  std::printf("%-44s %12.0f %12.0f\n", "bare unary calls", bare1, bare8);
  std::printf("%-44s %12.0f %12.0f\n", "canceld operations registered+finished", ours1, ours8);
  std::printf("target: at least 50,000 operations/s: %s\n",
              std::max(ours1, ours8) >= 50000 ? "met" : "MISSED");
  bare_server->Shutdown();
  (*d)->Shutdown();
  std::filesystem::remove_all(dir);
  return 0;
}
