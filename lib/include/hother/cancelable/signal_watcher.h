// SignalWatcher: one thread that turns OS signals into callbacks.
//
// While at least one subscription watches a signal, the watcher installs a
// minimal handler for it that only writes the signal number to a pipe
// (async-signal-safe); its thread reads the pipe and calls the subscribers,
// outside any handler and outside any lock. When the last subscription for a
// signal goes away, the handling that was there before is restored. Any thread
// of the process may receive the signal: nothing needs to be blocked.
//
//   auto sub = SignalWatcher::Default().Subscribe({SIGUSR1}, [](int signo) {
//     ...  // runs on the watcher thread
//   });
//   if (!sub.ok()) ...;   // INVALID_ARGUMENT for a number that is no signal
//
// Thread-safety: all methods are thread-safe. Destroying a subscription waits
// for its callback if it is running on the watcher thread (unless the callback
// itself destroys it).
#ifndef HOTHER_CANCELABLE_SIGNAL_WATCHER_H_
#define HOTHER_CANCELABLE_SIGNAL_WATCHER_H_

#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable {

// "SIGUSR1"; "signal 64" for numbers without a name.
std::string SignalName(int signo);

// The number of "SIGUSR1" or "USR1"; nullopt for an unknown name.
std::optional<int> ParseSignalName(absl::string_view name);

// INVALID_ARGUMENT when `signals` is empty or holds a number that is not a
// catchable signal (SIGKILL and SIGSTOP cannot be watched).
absl::Status ValidateSignals(const std::vector<int>& signals);

class SignalWatcher {
 public:
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // The process-wide watcher, created on first use and never destroyed.
  static SignalWatcher& Default();

  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class SignalWatcher;
    Subscription(SignalWatcher* watcher, uint64_t id) : watcher_(watcher), id_(id) {}
    SignalWatcher* const watcher_;
    const uint64_t id_;
  };

  // Calls `fn(signo)` on the watcher thread each time one of `signals` is
  // received. Errors: those of ValidateSignals; INTERNAL if the handler
  // cannot be installed.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      std::vector<int> signals, std::function<void(int)> fn);

 private:
  SignalWatcher() = default;  // only Default(): dispositions are process-wide
  ~SignalWatcher() = delete;

  struct Subscriber {
    std::vector<int> signals;
    std::function<void(int)> fn;
  };
  absl::Status StartLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Unsubscribe(uint64_t id);
  void Run();

  internal::Mutex mu_;
  internal::CondVar done_cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int read_fd_ ABSL_GUARDED_BY(mu_) = -1;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Subscriber> subscribers_ ABSL_GUARDED_BY(mu_);
  // Signals handled by us, with the action that was installed before.
  absl::flat_hash_map<int, struct sigaction> previous_ ABSL_GUARDED_BY(mu_);
  uint64_t running_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread::id thread_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hother::cancelable

#endif  // HOTHER_CANCELABLE_SIGNAL_WATCHER_H_
