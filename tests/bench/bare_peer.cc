#include "tests/bench/bare_peer.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "daemon/service/write_queue.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "tests/bench/host.h"
#include "tests/bench/proto/bare.grpc.pb.h"

namespace hother::cancelable::bench {

class HoldReactor;

// Hold takes and writes bytes, as canceld's streams do (daemon/service/raw_message.h),
// so that the baseline pays the same serialization.
class BareService final
    : public Bare::WithRawCallbackMethod_Hold<
          Bare::WithCallbackMethod_Trigger<Bare::WithCallbackMethod_Echo<Bare::Service>>> {
 public:
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Hold(grpc::CallbackServerContext*,
                                                   const grpc::ByteBuffer* raw) override;
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
  std::mutex mu_;
  std::vector<HoldReactor*> held_;
};

class HoldReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  HoldReactor(BareService* service, std::string key) : service_(service), key_(std::move(key)) {}
  void Send() {
    Push push;
    push.set_key(key_);
    writes_.Push(push);
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
  daemon::WriteQueue<HoldReactor> writes_{this, nullptr, nullptr};
};

grpc::ServerWriteReactor<grpc::ByteBuffer>* BareService::Hold(grpc::CallbackServerContext*,
                                                              const grpc::ByteBuffer* raw) {
  HoldRequest request;
  (void)daemon::Decode(*raw, &request);  // the bench sends valid ones
  auto* reactor = new HoldReactor(this, request.key());
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
      if (r->key() == request->key()) {
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

namespace {

int Trigger(Bare::Stub& stub, const std::string& key) {
  grpc::ClientContext context;
  TriggerRequest request;
  request.set_key(key);
  TriggerReply reply;
  stub.Trigger(&context, request, &reply);
  return reply.pushed();
}

// `streams` held streams, each read by its own thread that marks arrivals.
class HeldStreams {
 public:
  HeldStreams(Bare::Stub& stub, const std::string& key, int streams) {
    for (int i = 0; i < streams; ++i) {
      contexts_.push_back(std::make_unique<grpc::ClientContext>());
      readers_.emplace_back([this, &stub, key, context = contexts_.back().get()] {
        HoldRequest hold;
        hold.set_key(key);
        auto reader = stub.Hold(context, hold);
        Push push;
        while (reader->Read(&push)) arrivals_.Mark();
        reader->Finish();
      });
    }
    // Held once a trigger reaches every stream (and each push so far arrived).
    for (int64_t pushed_total = 0;;) {
      const int pushed = Trigger(stub, key);
      pushed_total += pushed;
      arrivals_.WaitFor(pushed_total);
      if (pushed == streams) break;
      arrivals_.WaitFor(pushed_total + 1, absl::Milliseconds(5));  // let the rest connect
    }
  }
  ~HeldStreams() {
    for (auto& context : contexts_) context->TryCancel();
    for (auto& reader : readers_) reader.join();
  }
  Arrivals& arrivals() { return arrivals_; }

 private:
  Arrivals arrivals_;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts_;
  std::vector<std::thread> readers_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<BarePeer>> BarePeer::Start(const std::string& dir) {
  std::unique_ptr<BarePeer> peer(new BarePeer);
  peer->service_ = std::make_unique<BareService>();
  grpc::ServerBuilder builder;
  builder.RegisterService(peer->service_.get());
  int port = 0;
  peer->unix_ = absl::StrCat("unix:", dir, "/bare.sock");
  builder.AddListeningPort(peer->unix_, grpc::InsecureServerCredentials());
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  peer->server_ = builder.BuildAndStart();
  if (peer->server_ == nullptr || port == 0) {
    return absl::UnavailableError("the bare gRPC server could not listen");
  }
  peer->tcp_ = absl::StrCat("127.0.0.1:", port);
  return peer;
}

BarePeer::~BarePeer() {
  if (server_ != nullptr) server_->Shutdown();
}

namespace {

// `streams` streams held on one connection, triggered from another.
Probe PushProbe(const std::string& endpoint, const std::string& key, int streams) {
  struct State {
    std::unique_ptr<Bare::Stub> holder;
    std::unique_ptr<Bare::Stub> trigger;
    std::unique_ptr<HeldStreams> held;
  };
  auto s = std::make_shared<State>();
  s->holder = Bare::NewStub(OwnChannel(endpoint));
  s->trigger = Bare::NewStub(OwnChannel(endpoint));
  s->held = std::make_unique<HeldStreams>(*s->holder, key, streams);
  return [s, key, streams] {
    const int64_t target = s->held->arrivals().count() + streams;
    const absl::Time start = absl::Now();
    Trigger(*s->trigger, key);
    return MicrosSince(start, s->held->arrivals().WaitFor(target));
  };
}

}  // namespace

Probe BarePeer::LatencyProbe(Transport transport) {
  return PushProbe(endpoint(transport), absl::StrCat("latency-", NameOf(transport)), 1);
}

Probe BarePeer::FanOutProbe(int streams) {
  return PushProbe(unix_, absl::StrCat("fan-", streams), streams);
}

double BarePeer::Throughput(Transport transport, int threads, int total) {
  return RatePerSecond(threads, total, [&](int, int count) {
    auto stub = Bare::NewStub(OwnChannel(endpoint(transport)));
    for (int i = 0; i < count; ++i) {
      grpc::ClientContext context;
      TriggerRequest request;
      TriggerReply reply;
      stub->Echo(&context, request, &reply);
    }
  });
}

}  // namespace hother::cancelable::bench
