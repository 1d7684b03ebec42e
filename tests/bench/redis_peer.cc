#include "tests/bench/redis_peer.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/bench/host.h"
#include "tests/lib/test_util.h"

namespace hother::cancelable::bench {
namespace {

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Connection = std::unique_ptr<redisContext, ContextFree>;

struct ReplyFree {
  void operator()(void* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

Connection Open(const std::string& socket, int port, Transport transport) {
  Connection c(transport == Transport::kUnix ? redisConnectUnix(socket.c_str())
                                             : redisConnect("127.0.0.1", port));
  if (c != nullptr && c->err != 0) c.reset();
  return c;
}

Reply Command(redisContext* c, const char* format, const std::string& a,
              const std::string& b = "") {
  return Reply(
      static_cast<redisReply*>(redisCommand(c, format, a.data(), a.size(), b.data(), b.size())));
}

// A subscriber of one channel on its own connection; a reader thread marks
// each message's arrival until the connection is shut down.
class Subscriber {
 public:
  Subscriber(Connection connection, const std::string& channel)
      : connection_(std::move(connection)), channel_(channel) {
    if (connection_ == nullptr) return;
    Reply confirm = Command(connection_.get(), "SUBSCRIBE %b", channel_);
    subscribed_ = confirm != nullptr && confirm->type == REDIS_REPLY_ARRAY;
    if (!subscribed_) return;
    reader_ = std::thread([this] {
      for (;;) {
        void* raw = nullptr;
        if (redisGetReply(connection_.get(), &raw) != REDIS_OK) return;
        Reply message(static_cast<redisReply*>(raw));
        if (message->type == REDIS_REPLY_ARRAY && message->elements == 3) arrivals_.Mark();
      }
    });
  }
  ~Subscriber() {
    if (!reader_.joinable()) return;
    shutdown(connection_->fd, SHUT_RDWR);
    reader_.join();
  }
  bool subscribed() const { return subscribed_; }
  Arrivals& arrivals() { return arrivals_; }

 private:
  Connection connection_;
  std::string channel_;
  bool subscribed_ = false;
  Arrivals arrivals_;
  std::thread reader_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RedisPeer>> RedisPeer::Start(const std::string& dir) {
  const std::string binary =
      std::filesystem::exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
  std::unique_ptr<RedisPeer> peer(new RedisPeer);
  peer->socket_ = dir + "/redis.sock";
  peer->port_ = FreeTcpPort();
  peer->process_ = std::make_unique<test_support::Process>(
      std::vector<std::string>{binary, "--port", absl::StrCat(peer->port_), "--bind", "127.0.0.1",
                               "--unixsocket", peer->socket_, "--save", "", "--appendonly", "no",
                               "--dir", dir, "--loglevel", "warning"},
      dir + "/redis");
  for (Transport transport : {Transport::kUnix, Transport::kTcp}) {
    if (!Eventually(
            [&] {
              if (!peer->process_->running()) return true;
              Connection c = Open(peer->socket_, peer->port_, transport);
              if (c == nullptr) return false;
              Reply pong(static_cast<redisReply*>(redisCommand(c.get(), "PING")));
              return pong != nullptr && pong->type == REDIS_REPLY_STATUS;
            },
            absl::Seconds(30)) ||
        !peer->process_->running()) {
      return absl::UnavailableError(absl::StrCat("redis-server did not start (", NameOf(transport),
                                                 "): ", peer->process_->err()));
    }
  }
  return peer;
}

RedisPeer::~RedisPeer() {
  if (process_ != nullptr) process_->Terminate(absl::Seconds(10));
}

Probe RedisPeer::LatencyProbe(Transport transport) {
  struct State {
    Connection publisher;
    std::unique_ptr<Subscriber> subscriber;
    std::string channel;
    int64_t n = 0;
  };
  auto s = std::make_shared<State>();
  s->channel = absl::StrCat("bench-cancel-", NameOf(transport));
  s->publisher = Open(socket_, port_, transport);
  s->subscriber = std::make_unique<Subscriber>(Open(socket_, port_, transport), s->channel);
  if (s->publisher == nullptr || !s->subscriber->subscribed()) return nullptr;
  return [s] {
    const absl::Time start = absl::Now();
    Command(s->publisher.get(), "PUBLISH %b %b", s->channel, absl::StrCat(++s->n));
    return MicrosSince(start, s->subscriber->arrivals().WaitFor(s->n));
  };
}

double RedisPeer::Throughput(Transport transport, int threads, int total) {
  return RatePerSecond(threads, total, [&](int, int count) {
    Connection c = Open(socket_, port_, transport);
    for (int i = 0; c != nullptr && i < count; ++i) {
      Command(c.get(), "PUBLISH %b %b", "bench-nobody", "1");
    }
  });
}

}  // namespace hother::cancelable::bench
