#include "daemon/daemon.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "daemon/config.h"
#include "daemon/core/daemon_signals.h"
#include "daemon/fd_limit.h"
#include "daemon/service/canceld_service.h"
#include "daemon/store/memory_backend.h"
#include "daemon/store/sqlite_backend.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "hother/cancelable/internal/endpoint.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/signal_watcher.h"

namespace hother::cancelable::daemon {
namespace {

// Whether something accepts connections on the unix socket at `path`.
bool SocketIsLive(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  bool live = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return live;
}

// Refuses a live socket, removes a stale one.
absl::Status PrepareSocketPath(const std::string& path) {
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("listen: unix socket path '", path,
                                                   "' is longer than ",
                                                   sizeof(sockaddr_un{}.sun_path) - 1, " bytes"));
  }
  const std::string dir = path.rfind('/') == std::string::npos
                              ? std::string(".")
                              : path.substr(0, std::max<size_t>(path.rfind('/'), 1));
  struct stat st;
  // The per-user fallback directory is canceld's to make, private.
  if (dir == PerUserSocketDir() && mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(
        absl::StrCat("listen: cannot create ", dir, ": ", std::strerror(errno)));
  }
  if (dir == PerUserSocketDir() && lstat(dir.c_str(), &st) == 0 &&
      (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0)) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "listen: %s must be a directory of uid %d with mode 0700 (it is uid %d, mode %04o): "
        "another user may be waiting to impersonate canceld; remove it, or use --listen",
        dir, getuid(), st.st_uid, st.st_mode & 07777));
  }
  if (stat(dir.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("listen: the directory ", dir, " of ", path,
                                                      ": ", std::strerror(errno),
                                                      " (create it first)"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("listen: ", dir, " (in the socket path ", path, ") is not a directory"));
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::PermissionDeniedError(absl::StrCat("listen: cannot create the socket ", path,
                                                    " in ", dir, ": ", std::strerror(errno)));
  }
  if (lstat(path.c_str(), &st) != 0) return absl::OkStatus();  // nothing there
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("listen: '", path, "' exists and is not a socket; not replacing it"));
  }
  if (SocketIsLive(path)) {
    return absl::FailedPreconditionError(absl::StrCat("another canceld is already listening on ",
                                                      path, "; stop it first or use --listen"));
  }
  if (unlink(path.c_str()) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot remove the stale socket ", path, ": ", std::strerror(errno)));
  }
  Log(LogLevel::kInfo, "replaced a stale socket", {{"path", path}});
  return absl::OkStatus();
}

// The configuration file's [state], when there is a file.
absl::StatusOr<DaemonConfig> StartupConfig(const DaemonOptions& options) {
  if (options.config_path.empty()) return DaemonConfig{};
  return LoadConfig(options.config_path);
}

// Opens the store the options name (locking its directory), and reads it.
absl::Status OpenStore(const DaemonOptions& options, const DaemonConfig& config, Clock& clock,
                       std::unique_ptr<StateDirLock>& lock, std::unique_ptr<Store>& store) {
  std::string dir = options.state_dir;
  if (dir.empty()) dir = config.state_dir.value_or(DefaultStateDir());
  StoreOptions store_options;
  store_options.durability = options.durability.value_or(
      config.durability == "batch" ? Durability::kBatch : Durability::kSync);
  store_options.retention = Retention{.history = options.limits.history,
                                      .history_age = options.history_age,
                                      .cancels = options.cancel_retention};
  std::unique_ptr<StoreBackend> backend;
  if (dir == kNoStateDir) {
    backend = MemoryBackend::Ephemeral();
  } else {
    absl::StatusOr<std::unique_ptr<StateDirLock>> held = StateDirLock::Acquire(dir);
    if (!held.ok()) return held.status();
    lock = *std::move(held);
    absl::StatusOr<std::unique_ptr<SqliteBackend>> sqlite =
        SqliteBackend::Create(StateFile(dir), store_options.durability == Durability::kSync);
    if (!sqlite.ok()) return sqlite.status();
    backend = *std::move(sqlite);
  }
  const absl::Time started = absl::Now();
  absl::StatusOr<std::unique_ptr<Store>> opened =
      Store::Open(std::move(backend), store_options, clock);
  if (!opened.ok()) return opened.status();
  store = *std::move(opened);
  Log(LogLevel::kInfo, "state store opened",
      {{"store", store->Describe()},
       {"durability", store_options.durability == Durability::kSync ? "sync" : "batch"},
       {"read_in", absl::FormatDuration(absl::Now() - started)}});
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ResolveStateDir(const DaemonOptions& options) {
  if (!options.state_dir.empty()) return options.state_dir;
  absl::StatusOr<DaemonConfig> config = StartupConfig(options);
  if (!config.ok()) return config.status();
  return config->state_dir.value_or(DefaultStateDir());
}

int ResetStateDir(const DaemonOptions& options) {
  absl::StatusOr<std::string> dir = ResolveStateDir(options);
  if (!dir.ok()) {
    std::cerr << "canceld: " << dir.status().message() << "\n";
    return 1;
  }
  if (*dir == kNoStateDir) {
    std::cerr << "canceld: --state-dir none keeps no state: nothing to reset\n";
    return 2;
  }
  absl::StatusOr<std::vector<std::string>> moved = ResetState(*dir, absl::Now());
  if (!moved.ok()) {
    std::cerr << "canceld: " << moved.status().message() << "\n";
    return 1;
  }
  if (moved->empty()) {
    std::cout << "No state store in " << *dir << "; nothing moved.\n";
  } else {
    std::cout << "Moved the state store aside: " << absl::StrJoin(*moved, ", ")
              << "\ncanceld will start with an empty store in " << *dir << ".\n";
  }
  return 0;
}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const DaemonOptions& options, Clock& clock) {
  if (options.limits.lease_timeout < 2 * options.limits.heartbeat_interval) {
    return absl::InvalidArgumentError(
        absl::StrCat("--lease-timeout ", absl::FormatDuration(options.limits.lease_timeout),
                     " must be at least twice --heartbeat-interval (",
                     absl::FormatDuration(options.limits.heartbeat_interval),
                     "): a client that misses one heartbeat is still alive"));
  }
  std::unique_ptr<Daemon> daemon(new Daemon());
  daemon->options_ = options;
  std::vector<std::string> listen = options.listen;
  if (listen.empty()) listen.push_back(ResolveEndpoint());

  absl::StatusOr<DaemonConfig> config = StartupConfig(options);
  if (!config.ok()) return config.status();
  if (absl::Status s = OpenStore(options, *config, clock, daemon->state_lock_, daemon->store_);
      !s.ok()) {
    return s;
  }
  daemon->state_ = std::make_unique<DaemonState>(clock, options.limits, *daemon->store_);
  if (!options.config_path.empty()) {
    if (absl::Status loaded = daemon->ReloadConfig(); !loaded.ok()) return loaded;
  }
  daemon->state_->identity.set_admin_group(GroupId(options.admin_group));
  daemon->state_->policy.set_admin_group_name(options.admin_group);
  daemon->service_ = std::make_unique<CanceldService>(*daemon->state_);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.RegisterService(daemon->service_.get());
  // Unix sockets go through canceld's own accept loop (the peers'
  // credentials); TCP ports through gRPC's.
  std::vector<std::unique_ptr<int>> ports;
  for (const std::string& raw : listen) {
    const std::string endpoint = NormalizeEndpoint(raw);
    if (std::optional<std::string> path = UnixSocketPath(endpoint)) {
      if (absl::Status s = PrepareSocketPath(*path); !s.ok()) return s;
      daemon->socket_paths_.push_back(*path);
      ports.push_back(nullptr);
    } else {
      if (!options.insecure_tcp) {
        return absl::InvalidArgumentError(absl::StrCat(
            "listen: ", endpoint,
            " is plaintext TCP, whose callers canceld cannot verify (each would be the same "
            "unverified principal, and anyone who can reach the port could cancel what the "
            "others own); use a unix socket, or pass --insecure-tcp to accept that"));
      }
      Log(LogLevel::kWarning,
          "listening on plaintext TCP (--insecure-tcp): its callers are not verified and "
          "share one unverified principal; the traffic is not encrypted",
          {{"endpoint", endpoint}});
      ports.push_back(std::make_unique<int>(0));
      builder.AddListeningPort(endpoint, grpc::InsecureServerCredentials(), ports.back().get());
    }
  }
  absl::StatusOr<std::unique_ptr<AcceptLoop>> accepting =
      AcceptLoop::Listen(daemon->socket_paths_, daemon->state_->identity);
  if (!accepting.ok()) return accepting.status();
  daemon->accept_loop_ = *std::move(accepting);
  daemon->server_ = builder.BuildAndStart();
  if (daemon->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("could not listen on ", absl::StrJoin(listen, ", "),
                                               " (address in use, or not permitted)"));
  }
  for (size_t i = 0; i < listen.size(); ++i) {
    std::string endpoint = NormalizeEndpoint(listen[i]);
    if (ports[i] != nullptr) {
      if (*ports[i] == 0) {
        return absl::UnavailableError(absl::StrCat("could not listen on ", endpoint));
      }
      endpoint = absl::StrCat(endpoint.substr(0, endpoint.rfind(':')), ":", *ports[i]);
    }
    daemon->endpoints_.push_back(endpoint);
  }
  daemon->accept_loop_->Start(daemon->server_.get());
  daemon->server_->GetHealthCheckService()->SetServingStatus(true);
  Log(LogLevel::kInfo, "canceld serving", {{"endpoints", absl::StrJoin(daemon->endpoints_, ",")}});
  return daemon;
}

void Daemon::Shutdown() {
  if (stopped_.exchange(true)) return;
  state_->draining.store(true);
  server_->GetHealthCheckService()->SetServingStatus(false);
  accept_loop_->Stop();
  service_->EndAllStreams();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.drain_timeout));
  server_->Wait();
  for (const std::string& path : socket_paths_) unlink(path.c_str());
  if (absl::Status closed = store_->Close(state_->events.current_sequence()); !closed.ok()) {
    Log(LogLevel::kError, absl::StrCat("state store not closed cleanly: ", closed.message()));
  }
  Log(LogLevel::kInfo, "canceld stopped");
}

absl::Status Daemon::ReloadConfig() {
  if (options_.config_path.empty()) {
    return absl::FailedPreconditionError("no configuration file (--config) to reload");
  }
  absl::StatusOr<DaemonConfig> config = LoadConfig(options_.config_path);
  if (!config.ok()) return config.status();
  const size_t count = config->conditions.size();
  state_->conditions.SetConfigured(std::move(config->conditions));
  Log(LogLevel::kInfo, "configuration loaded",
      {{"path", options_.config_path}, {"conditions", absl::StrCat(count)}});
  return absl::OkStatus();
}

Daemon::~Daemon() {
  if (server_ != nullptr) Shutdown();
}

int RunDaemon(DaemonOptions options) {
  StderrLog log(options.log_level, options.log_format);
  SetLogSink(&log);
  // A file-size limit reached by the store is a write error (EFBIG) that the
  // store reports and retries, not the death of the daemon.
  signal(SIGXFSZ, SIG_IGN);
  if (absl::Status fits = FitSessionsToFdLimit(RaiseFdLimit(), options.max_sessions_given,
                                               options.limits.max_sessions);
      !fits.ok()) {
    Log(LogLevel::kError, absl::StrCat("canceld could not start: ", fits.message()));
    SetLogSink(nullptr);
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Daemon>> daemon = Daemon::Start(options);
  if (!daemon.ok()) {
    Log(LogLevel::kError, absl::StrCat("canceld could not start: ", daemon.status().message()));
    SetLogSink(nullptr);
    return 1;
  }
  // Every subscribable signal first cancels its subscribers (on the watcher
  // thread, never in a handler); SIGTERM and SIGINT then drain and exit.
  std::mutex mu;
  std::condition_variable cv;
  int stop_signal = 0;
  std::vector<int> signals(std::begin(kSubscribableSignals), std::end(kSubscribableSignals));
  auto subscription = SignalWatcher::Default().Subscribe(signals, [&](int signo) {
    int cancelled = (*daemon)->state().graph.CancelSignalSubscribers(signo);
    Log(LogLevel::kInfo, "signal received",
        {{"signal", SignalName(signo)}, {"cancelled", absl::StrCat(cancelled)}});
    if (signo == SIGHUP && options.config_path.empty()) {
      Log(LogLevel::kWarning, "SIGHUP: no configuration file (--config) to reload");
    } else if (signo == SIGHUP) {
      if (absl::Status reloaded = (*daemon)->ReloadConfig(); !reloaded.ok()) {
        Log(LogLevel::kError, absl::StrCat("configuration not reloaded, keeping the running one: ",
                                           reloaded.message()));
      }
    }
    if (signo == SIGTERM || signo == SIGINT) {
      std::lock_guard<std::mutex> lock(mu);
      if (stop_signal == 0) stop_signal = signo;
      cv.notify_all();
    }
  });
  if (!subscription.ok()) {
    Log(LogLevel::kError, absl::StrCat("cannot watch signals: ", subscription.status().message()));
    SetLogSink(nullptr);
    return 1;
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stop_signal != 0; });
  }
  Log(LogLevel::kInfo, "draining", {{"signal", SignalName(stop_signal)}});
  (*daemon)->Shutdown();
  subscription->reset();
  daemon->reset();
  SetLogSink(nullptr);
  return 0;
}

}  // namespace hother::cancelable::daemon
