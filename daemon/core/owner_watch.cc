#include "daemon/core/owner_watch.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <utility>
#include <vector>

namespace hother::cancelable::daemon {

OwnerWatch::OwnerWatch()
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (epoll_fd_ >= 0 && wake_fd_ >= 0) {
    epoll_event event = {};
    event.events = EPOLLIN;
    event.data.fd = wake_fd_;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
    thread_ = std::thread([this] { Loop(); });
  }
}

OwnerWatch::~OwnerWatch() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  internal::MutexLock lock(&mu_);
  for (auto& [fd, fn] : callbacks_) close(fd);
  callbacks_.clear();
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

std::unique_ptr<OwnerWatch::Registration> OwnerWatch::Watch(int64_t pid,
                                                            std::function<void()> on_exit) {
  if (!thread_.joinable() || pid <= 0) return nullptr;
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  if (fd < 0) return nullptr;  // no such process (or no pidfd in this kernel)
  {
    internal::MutexLock lock(&mu_);
    callbacks_[fd] = std::move(on_exit);
  }
  epoll_event event = {};
  event.events = EPOLLIN;  // readable once the process has exited
  event.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    Forget(fd);
    return nullptr;
  }
  return std::unique_ptr<Registration>(new Registration(this, fd));
}

void OwnerWatch::Forget(int fd) {
  internal::MutexLock lock(&mu_);
  if (callbacks_.erase(fd) == 0) return;  // fired: the loop closed it
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
}

OwnerWatch::Registration::~Registration() { watch_->Forget(fd_); }

void OwnerWatch::Loop() {
  epoll_event events[64];
  for (;;) {
    const int n = epoll_wait(epoll_fd_, events, 64, -1);
    std::vector<std::function<void()>> exited;
    {
      internal::MutexLock lock(&mu_);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake_fd_) return;
        auto it = callbacks_.find(fd);
        if (it == callbacks_.end()) continue;
        exited.push_back(std::move(it->second));
        callbacks_.erase(it);
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
      }
    }
    for (auto& fn : exited) fn();
  }
}

}  // namespace hother::cancelable::daemon
