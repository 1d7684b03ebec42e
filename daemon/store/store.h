// Store: canceld's durable state. The core appends its changes (journal.h)
// as it makes them; a committer thread writes them to the backend in groups,
// one transaction per group, and tells waiters once what they wait for is
// durable. Cancels are delivered from memory at once: only the RPC's OK
// waits for the store (Sync).
//
//   absl::StatusOr<std::unique_ptr<Store>> store =
//       Store::Open(SqliteBackend::Create(path, true).value(), options, clock);
//   StoredState restored = (*store)->TakeLoaded();   // for the core, once
//   ... graph appends under its lock ...
//   (*store)->Sync([reactor](absl::Status s) { reactor->Finish(ToGrpc(s)); });
//
// Durability (StoreOptions::durability):
//   kSync   Sync's callback runs once every change appended before the call
//           is committed (with SqliteBackend's sync: on disk).
//   kBatch  Sync's callback runs at once; changes are committed within
//           moments, and a crash loses the ones not yet committed.
// A commit that fails (disk full, I/O error) is retried every
// retry_interval; meanwhile health() says why and Sync's callbacks get
// UNAVAILABLE naming the store. Nothing already committed is touched.
//
// Thread-safety: thread-safe. Sync callbacks run on the committer thread (or
// on the caller's, when nothing is pending), without the store's lock.
#ifndef HOTHER_CANCELABLE_DAEMON_STORE_STORE_H_
#define HOTHER_CANCELABLE_DAEMON_STORE_STORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/store/backend.h"
#include "daemon/store/journal.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable::daemon {

enum class Durability { kSync, kBatch };

struct StoreOptions {
  Durability durability = Durability::kSync;
  Retention retention;
  absl::Duration retry_interval = absl::Seconds(1);
};

class Store : public Journal {
 public:
  // Reads the backend (StoreBackend::Open) and starts the committer.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Store>> Open(
      std::unique_ptr<StoreBackend> backend, const StoreOptions& options, Clock& clock);
  // Commits what is still queued (one attempt), then stops.
  ~Store() override;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // What Open read, for the core to restore (moved out: call once).
  StoredState TakeLoaded();

  void Append(Mutation mutation) override;
  uint64_t NewRecordId() override;
  // Calls `done` once what was appended before this call is durable (kSync),
  // or at once (kBatch); with UNAVAILABLE while the store cannot commit.
  void Sync(std::function<void(absl::Status)> done);
  // OK, or why the last commit failed.
  absl::Status health() const;
  // The event sequence stored with each commit (read at commit time).
  void SetEventSequenceSource(std::function<uint64_t()> current);
  // Commits everything queued and records a clean stop at `event_sequence`.
  [[nodiscard]] absl::Status Close(uint64_t event_sequence);

  Durability durability() const { return options_.durability; }
  std::string Describe() const { return description_; }
  uint64_t commits() const;

 private:
  Store(std::unique_ptr<StoreBackend> backend, const StoreOptions& options);
  void CommitLoop();
  // Stops the committer (after one last attempt) and fails the waiters left.
  void Stop();
  // Commits what is queued; false when it failed.
  bool CommitPending();

  const StoreOptions options_;
  const std::unique_ptr<StoreBackend> backend_;  // the committer's (and Open's, before it)
  const std::string description_;
  StoredState loaded_;
  std::atomic<uint64_t> next_record_id_{1};

  mutable internal::Mutex mu_;
  internal::CondVar wake_;
  std::vector<Mutation> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t appended_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t durable_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t commits_ ABSL_GUARDED_BY(mu_) = 0;
  bool committing_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status health_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<uint64_t, std::function<void(absl::Status)>>> waiters_ ABSL_GUARDED_BY(mu_);
  std::function<uint64_t()> event_sequence_ ABSL_GUARDED_BY(mu_);
  std::thread committer_;  // last: started once the rest is built
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_DAEMON_STORE_STORE_H_
