#include "hother/cancelable/signal_watcher.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "hother/cancelable/log.h"

namespace hother::cancelable {
namespace {

std::atomic<int> g_write_fd{-1};

// The whole handler: async-signal-safe, preserves errno.
extern "C" void WriteSignalToPipe(int signo) {
  int saved_errno = errno;
  unsigned char byte = static_cast<unsigned char>(signo);
  ssize_t ignored = write(g_write_fd.load(std::memory_order_relaxed), &byte, 1);
  (void)ignored;  // a full pipe already holds a wake-up
  errno = saved_errno;
}

}  // namespace

absl::Status ValidateSignals(const std::vector<int>& signals) {
  if (signals.empty()) {
    return absl::InvalidArgumentError("At least one signal is required");
  }
  for (int signo : signals) {
    // 32 and 33 are glibc's own (thread cancellation, setxid): not ours to take.
    const bool reserved = signo > 31 && signo < SIGRTMIN;
    if (signo <= 0 || signo >= NSIG || signo > 255 || reserved || signo == SIGKILL ||
        signo == SIGSTOP) {
      return absl::InvalidArgumentError(absl::StrCat("Not a signal that can be watched: ", signo));
    }
  }
  return absl::OkStatus();
}

std::string SignalName(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  if (abbrev == nullptr) return absl::StrCat("signal ", signo);
  return absl::StrCat("SIG", abbrev);
}

std::optional<int> ParseSignalName(absl::string_view name) {
  if (absl::StartsWith(name, "SIG")) name.remove_prefix(3);
  for (int signo = 1; signo < NSIG; ++signo) {
    const char* abbrev = sigabbrev_np(signo);
    if (abbrev != nullptr && name == abbrev) return signo;
  }
  return std::nullopt;
}

SignalWatcher& SignalWatcher::Default() {
  static SignalWatcher* const watcher = new SignalWatcher();
  return *watcher;
}

absl::Status SignalWatcher::StartLocked() {
  if (started_) return absl::OkStatus();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return absl::InternalError(absl::StrCat("signal watcher: pipe2: ", strerror(errno)));
  }
  // The read end blocks: the watcher thread sleeps in read().
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) & ~O_NONBLOCK);
  read_fd_ = fds[0];
  g_write_fd.store(fds[1], std::memory_order_release);
  started_ = true;
  std::thread thread([this] { Run(); });
  thread_id_ = thread.get_id();
  thread.detach();  // lives as long as the process
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SignalWatcher::Subscription>> SignalWatcher::Subscribe(
    std::vector<int> signals, std::function<void(int)> fn) {
  if (absl::Status valid = ValidateSignals(signals); !valid.ok()) return valid;
  internal::MutexLock lock(&mu_);
  if (absl::Status started = StartLocked(); !started.ok()) return started;
  std::vector<int> installed;  // by this call, rolled back on failure
  for (int signo : signals) {
    if (previous_.contains(signo)) continue;
    struct sigaction action = {};
    action.sa_handler = WriteSignalToPipe;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    struct sigaction old = {};
    if (sigaction(signo, &action, &old) != 0) {
      absl::Status error = absl::InternalError(
          absl::StrCat("sigaction(", SignalName(signo), "): ", strerror(errno)));
      for (int done : installed) {
        sigaction(done, &previous_[done], nullptr);
        previous_.erase(done);
      }
      return error;
    }
    previous_[signo] = old;
    installed.push_back(signo);
  }
  uint64_t id = next_id_++;
  subscribers_[id] = Subscriber{std::move(signals), std::move(fn)};
  return std::unique_ptr<Subscription>(new Subscription(this, id));
}

SignalWatcher::Subscription::~Subscription() { watcher_->Unsubscribe(id_); }

void SignalWatcher::Unsubscribe(uint64_t id) {
  Subscriber removed;  // its function is destroyed after the lock is released
  internal::MutexLock lock(&mu_);
  if (auto it = subscribers_.find(id); it != subscribers_.end()) {
    removed = std::move(it->second);
    subscribers_.erase(it);
  }
  // Restore the handling of every signal nobody watches any more.
  for (auto it = previous_.begin(); it != previous_.end();) {
    bool watched = false;
    for (const auto& [unused, sub] : subscribers_) {
      for (int signo : sub.signals) watched |= signo == it->first;
    }
    if (watched) {
      ++it;
      continue;
    }
    sigaction(it->first, &it->second, nullptr);
    previous_.erase(it++);
  }
  if (std::this_thread::get_id() == thread_id_) return;
  while (running_ == id) done_cv_.Wait(&mu_);
}

void SignalWatcher::Run() {
  int fd;
  {
    internal::MutexLock lock(&mu_);
    fd = read_fd_;
  }
  for (;;) {
    unsigned char buffer[64];
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      if (n < 0 && errno != EINTR) {
        Log(LogLevel::kError, absl::StrCat("signal watcher: read: ", strerror(errno)));
        return;
      }
      continue;
    }
    for (ssize_t i = 0; i < n; ++i) {
      const int signo = buffer[i];
      std::vector<std::pair<uint64_t, std::function<void(int)>>> targets;
      bool ours = false;
      {
        internal::MutexLock lock(&mu_);
        for (const auto& [id, sub] : subscribers_) {
          for (int s : sub.signals) {
            if (s == signo) targets.emplace_back(id, sub.fn);
          }
        }
        ours = previous_.contains(signo);
      }
      if (targets.empty() && !ours) {
        // It arrived as the last watcher left: deliver it to the handling
        // that is back in place (which may end the process, as it should).
        raise(signo);
        continue;
      }
      for (auto& [id, fn] : targets) {
        {
          internal::MutexLock lock(&mu_);
          if (!subscribers_.contains(id)) continue;  // unsubscribed meanwhile
          running_ = id;
        }
        try {
          fn(signo);
        } catch (...) {
          Log(LogLevel::kError, "signal subscriber threw");
        }
        internal::MutexLock lock(&mu_);
        running_ = 0;
        done_cv_.SignalAll();
      }
    }
  }
}

}  // namespace hother::cancelable
