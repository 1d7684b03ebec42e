// OwnerWatch: learns at once when a local process exits, through a pidfd
// (pidfd_open, Linux 5.3+) per watched process and one thread that waits on
// all of them (epoll), so that a dead owner's operations are LOST without
// waiting for its lease.
//
//   OwnerWatch watch;
//   std::unique_ptr<OwnerWatch::Registration> r =
//       watch.Watch(pid, [] { /* pid has exited */ });   // null: not watchable
//
// Until canceld verifies its peers' credentials (SO_PEERCRED), the pid is the
// one the client states in its Hello; the daemon watches it only for clients
// on its unix socket that name this host.
//
// Thread-safety: thread-safe. Callbacks run on the watch's thread, with no
// lock held, at most once; a callback may still run while its registration
// is being destroyed, so it must only touch what outlives the registration.
#ifndef HOTHER_CANCELABLE_DAEMON_CORE_OWNER_WATCH_H_
#define HOTHER_CANCELABLE_DAEMON_CORE_OWNER_WATCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable::daemon {

class OwnerWatch {
 public:
  OwnerWatch();
  ~OwnerWatch();  // stops the thread; pending callbacks never run
  OwnerWatch(const OwnerWatch&) = delete;
  OwnerWatch& operator=(const OwnerWatch&) = delete;

  class Registration {
   public:
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    friend class OwnerWatch;
    Registration(OwnerWatch* watch, int fd) : watch_(watch), fd_(fd) {}
    OwnerWatch* const watch_;
    const int fd_;
  };

  // Calls `on_exit` once process `pid` has exited (at once if it already
  // has). Null when it cannot be watched: no such process, no pidfd support.
  [[nodiscard]] std::unique_ptr<Registration> Watch(int64_t pid, std::function<void()> on_exit);

 private:
  void Loop();
  void Forget(int fd);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: stops the loop
  internal::Mutex mu_;
  absl::flat_hash_map<int, std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_CORE_OWNER_WATCH_H_
