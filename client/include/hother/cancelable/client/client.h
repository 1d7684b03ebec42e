// The client SDK: a service's connection to canceld.
//
// A Client holds one Session stream to the daemon, with heartbeats, and
// reconnects with exponential backoff and jitter when the daemon goes away.
// Each operation a service starts is registered with the daemon and mirrored
// by a local token that the daemon cancels; after a reconnect, live
// operations are registered again (their remaining deadline kept, their id
// kept where the daemon can) and any cancel that happened meanwhile arrives.
//
//   auto client = Client::Connect({.process_name = "importer"}).value();
//   std::unique_ptr<RemoteOperation> op =
//       client->Start({.name = "import", .labels = {{"team", "a"}},
//                      .timeout = absl::Minutes(5)});
//   for (const Row& row : rows) {
//     if (op->IsCancelled()) break;           // cancelctl cancel <id> lands here
//     Store(row);
//     op->ReportProgress("rows stored");     // coalesced
//   }
//   op->Finish(op->Check());                 // or let the destructor finish it
//
// If the daemon is unreachable, Start still returns a working local operation
// (its timeout enforced locally) that is registered when the daemon returns.
// A remote operation is a lib scope too: `op->scope()` can be the parent of
// local Cancelable scopes, and `op->Cancel()` reaches the daemon (and so the
// operation's descendants in other processes).
//
// Callbacks on an operation's token run on an SDK-owned thread (the session
// reader, or the scheduler for local timeouts), never inside gRPC.
// This header exposes no gRPC or protobuf type.
//
// Thread-safety: Client and RemoteOperation are thread-safe. Every
// RemoteOperation must be destroyed before its Client.
//
// fork(): a Client belongs to the process that created it. In a forked
// child it sends nothing (the session is the parent's): Start returns a local
// operation whose registration_error() is FAILED_PRECONDITION ("... a child
// must create its own Client"), and the parent's operations' Cancel, Finish
// and ReportProgress act locally only. A child that needs the daemon creates
// its own Client.
#ifndef HOTHER_CANCELABLE_CLIENT_CLIENT_H_
#define HOTHER_CANCELABLE_CLIENT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/scheduler.h"
#include "hother/cancelable/token.h"

namespace hother::cancelable {

namespace client_internal {
class ClientCore;
struct OpRecord;
}  // namespace client_internal

struct ClientOptions {
  std::string endpoint;      // empty: ResolveEndpoint() (see endpoint.h)
  std::string process_name;  // empty: this process's name (/proc/self/comm)
  Metadata labels;           // the process's labels, sent in the Hello
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // Progress reports are sent at most this often per operation (the latest wins).
  absl::Duration progress_interval = absl::Milliseconds(200);
  // Where the SDK reads time and keeps operations' local deadlines: null for
  // the process's default scheduler on the real clock. On a scheduler over a
  // FakeClock, heartbeats, the daemon's lease, reconnect backoff and local
  // deadlines follow the fake time (tests); waits that block a caller
  // (WaitConnected, WaitRegistered) and RPC deadlines stay in real time.
  Scheduler* scheduler = nullptr;
  // Before sending anything over a unix socket the SDK checks who listens
  // there (the kernel's peer credentials): root, the `canceld` user, this
  // process's own uid, or one of these. Anyone else is refused (status()
  // says so), so a socket another user bound first cannot impersonate
  // canceld.
  std::vector<uint32_t> trust_uids;
};

class RemoteOperation;

struct StartOptions {
  std::string name;
  Metadata labels;
  Metadata metadata;
  std::optional<absl::Duration> timeout;
  std::string parent_id;                    // a daemon operation id (any process)
  const RemoteOperation* parent = nullptr;  // or an operation of this client
  std::vector<std::string> tokens;          // named tokens to attach to (cancelctl tokens)
  // Signals received by canceld that cancel this operation: SIGTERM, SIGINT,
  // SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT (e.g. `kill -USR1 $(pidof canceld)`).
  std::vector<int> signals;
  // Conditions canceld polls for it: "file_exists(/run/stop)",
  // "memory_available_below(5%)", ... or a name from canceld's configuration.
  struct Condition {
    std::string condition;
    absl::Duration interval = absl::Seconds(1);
  };
  std::vector<Condition> conditions;
};

class RemoteOperation {
 public:
  ~RemoteOperation();  // Finish(Check()) unless finished already
  RemoteOperation(const RemoteOperation&) = delete;
  RemoteOperation& operator=(const RemoteOperation&) = delete;

  // The daemon's id; empty until the daemon has registered the operation.
  std::string id() const;
  // Waits until registered; false on timeout or when the daemon refused it
  // (registration_error() says why).
  bool WaitRegistered(absl::Duration timeout) const;
  absl::Status registration_error() const;
  // The daemon lost this operation while this process could not reach it
  // (away past its lease): its id is no longer the daemon's, nothing more is
  // sent for it, and registration_error() says why. It runs on locally; a
  // cancel at the daemon can no longer reach it.
  bool lost() const;

  const CancellationToken& token() const;
  // The local scope mirroring this operation: a parent for local scopes.
  const Cancelable& scope() const;
  bool IsCancelled() const { return token().IsCancelled(); }
  absl::Status Check() const { return token().Check(); }

  // Coalesced: at most one report per progress_interval reaches the daemon.
  void ReportProgress(std::string message, Metadata metadata = {});

  // Cancels here and at the daemon (with its descendants). True if first here.
  bool Cancel(std::string message = "");

  // Reports the end: OK -> completed, a cancellation -> cancelled (timeout
  // when it started with one), anything else -> failed with the message.
  // Later calls do nothing.
  void Finish(const absl::Status& outcome = absl::OkStatus());

 private:
  friend class Client;
  friend class client_internal::ClientCore;
  RemoteOperation(std::shared_ptr<client_internal::ClientCore> core,
                  std::shared_ptr<client_internal::OpRecord> record);
  std::shared_ptr<client_internal::ClientCore> core_;
  std::shared_ptr<client_internal::OpRecord> record_;
};

class Client {
 public:
  // INVALID_ARGUMENT for bad options. An unreachable daemon is not an error:
  // the client keeps trying in the background (see connected()).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Client>> Connect(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::unique_ptr<RemoteOperation> Start(StartOptions options);

  // The session is up (a welcome came and the stream has not ended).
  bool connected() const;
  // Whether canceld can reach every live operation of this client: OK when
  // connected and no live operation was refused; UNAVAILABLE while
  // disconnected (saying why the last session ended); otherwise the first
  // refusal's code, with how many live operations are not registered (a
  // parent that does not exist, a limit, an operation lost while away) and
  // the first one's name and error. Registrations still on their way are
  // not failures; RemoteOperation::registration_error() has each one's.
  absl::Status status() const;
  bool WaitConnected(absl::Duration timeout) const;
  // Like WaitConnected, but gives up as soon as an attempt to reach the
  // daemon has failed (no socket, connection refused, the stream ended
  // before the welcome): for a caller that would rather go on without the
  // daemon than wait for it. True once connected.
  bool WaitConnectedOrRefused(absl::Duration timeout) const;
  // The current session's id (0 while disconnected).
  uint64_t session_id() const;
  const std::string& endpoint() const;

 private:
  explicit Client(std::shared_ptr<client_internal::ClientCore> core);
  std::shared_ptr<client_internal::ClientCore> core_;
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_CLIENT_CLIENT_H_
