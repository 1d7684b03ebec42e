// The state directory: where canceld keeps its store (`--state-dir`), who
// holds it, and moving a damaged store aside.
//
//   std::string dir = DefaultStateDir();     // /var/lib/canceld, or the user's
//   absl::StatusOr<std::unique_ptr<StateDirLock>> lock = StateDirLock::Acquire(dir);
//   std::string db = StateFile(dir);          // DIR/state.db
//
// Thread-safety: functions are thread-safe; a lock is held until destroyed.
#ifndef HOTHER_CANCELABLE_DAEMON_STORE_STATE_DIR_H_
#define HOTHER_CANCELABLE_DAEMON_STORE_STATE_DIR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace hother::cancelable::daemon {

// `--state-dir none`: keep nothing across a restart.
inline constexpr char kNoStateDir[] = "none";

// /var/lib/canceld when it is (or can be made) writable, else
// $XDG_STATE_HOME/canceld, else ~/.local/state/canceld.
std::string DefaultStateDir();

// The store's file in `dir`.
std::string StateFile(const std::string& dir);

// An exclusive hold on a state directory (flock on DIR/canceld.lock, which
// names the holder's pid), so that two daemons never share a store.
class StateDirLock {
 public:
  // Creates `dir` (0700) when missing. FAILED_PRECONDITION naming the pid
  // when another live canceld holds it; PERMISSION_DENIED when it cannot be
  // created or written.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<StateDirLock>> Acquire(
      const std::string& dir);
  ~StateDirLock();
  StateDirLock(const StateDirLock&) = delete;
  StateDirLock& operator=(const StateDirLock&) = delete;

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  const int fd_;
};

// Moves the store in `dir` (its file and WAL) aside, renamed with `now`
// ("state.db.2026-12-03T15-04-05"), under the directory's lock. Returns the
// new names; none when there was no store.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> ResetState(const std::string& dir,
                                                                  absl::Time now);

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_STORE_STATE_DIR_H_
