#include "daemon/store/store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/store/rows.h"

namespace hother::cancelable::daemon {
absl::StatusOr<std::unique_ptr<Store>> Store::Open(std::unique_ptr<StoreBackend> backend,
                                                   const StoreOptions& options, Clock& clock) {
  absl::StatusOr<StoredRows> rows = backend->Open(clock.Now(), options.retention);
  if (!rows.ok()) return rows.status();
  const std::string description = backend->Describe();
  absl::StatusOr<StoredState> state = Assemble(*std::move(rows));
  if (!state.ok()) {
    return absl::DataLossError(absl::StrCat("state store ", description, ": ",
                                            state.status().message(),
                                            "; move it aside (canceld --reset-state) or use "
                                            "another --state-dir"));
  }
  std::unique_ptr<Store> store(new Store(std::move(backend), options));
  store->next_record_id_.store(state->next_record_id);
  store->loaded_ = *std::move(state);
  store->committer_ = std::thread([s = store.get()] { s->CommitLoop(); });
  return store;
}

Store::Store(std::unique_ptr<StoreBackend> backend, const StoreOptions& options)
    : options_(options), backend_(std::move(backend)), description_(backend_->Describe()) {}

Store::~Store() { Stop(); }

void Store::Stop() {
  std::deque<std::pair<uint64_t, std::function<void(absl::Status)>>> left;
  {
    internal::MutexLock lock(&mu_);
    stop_ = true;
    wake_.SignalAll();
  }
  if (committer_.joinable()) committer_.join();
  {
    internal::MutexLock lock(&mu_);
    left.swap(waiters_);
  }
  // Waiters of changes that could not be committed before the end.
  for (auto& [target, fn] : left) {
    fn(absl::UnavailableError("canceld stopped before the state store could keep the change"));
  }
}

StoredState Store::TakeLoaded() { return std::move(loaded_); }

void Store::Append(Mutation mutation) {
  internal::MutexLock lock(&mu_);
  pending_.push_back(std::move(mutation));
  ++appended_;
  if (!committing_) wake_.Signal();
}

uint64_t Store::NewRecordId() { return next_record_id_.fetch_add(1, std::memory_order_relaxed); }

void Store::Sync(std::function<void(absl::Status)> done) {
  absl::Status now;
  {
    internal::MutexLock lock(&mu_);
    if (options_.durability == Durability::kSync && durable_ < appended_) {
      waiters_.emplace_back(appended_, std::move(done));
      return;
    }
    now =
        health_.ok()
            ? absl::OkStatus()
            : absl::UnavailableError(absl::StrCat(
                  "the change was made, but the state store cannot keep it: ", health_.message()));
  }
  done(now);
}

absl::Status Store::health() const {
  internal::MutexLock lock(&mu_);
  return health_;
}

void Store::SetEventSequenceSource(std::function<uint64_t()> current) {
  internal::MutexLock lock(&mu_);
  event_sequence_ = std::move(current);
}

uint64_t Store::commits() const {
  internal::MutexLock lock(&mu_);
  return commits_;
}

void Store::CommitLoop() {
  for (;;) {
    {
      internal::MutexLock lock(&mu_);
      while (!stop_ && pending_.empty()) wake_.Wait(&mu_);
      if (pending_.empty()) return;  // stopping, all committed
    }
    if (CommitPending()) continue;
    // Failed: the changes stay queued; try again after a while (once more
    // when stopping).
    internal::MutexLock lock(&mu_);
    if (stop_) return;
    wake_.WaitWithDeadline(&mu_, absl::Now() + options_.retry_interval);
  }
}

bool Store::CommitPending() {
  std::vector<Mutation> batch;
  uint64_t target = 0;
  std::function<uint64_t()> event_sequence;
  {
    internal::MutexLock lock(&mu_);
    batch.swap(pending_);
    target = appended_;
    committing_ = true;
    event_sequence = event_sequence_;
  }
  std::vector<RowChange> rows;
  rows.reserve(batch.size() * 2);
  for (const Mutation& m : batch) ToRows(m, rows);
  absl::Status status =
      backend_->Commit(rows, event_sequence ? event_sequence() : 0, options_.retention);
  std::vector<std::function<void(absl::Status)>> done;
  absl::Status outcome;
  {
    internal::MutexLock lock(&mu_);
    committing_ = false;
    if (status.ok()) {
      durable_ = target;
      ++commits_;
      health_ = absl::OkStatus();
    } else {
      // Kept, before what came meanwhile, for the next attempt.
      batch.insert(batch.end(), std::make_move_iterator(pending_.begin()),
                   std::make_move_iterator(pending_.end()));
      pending_ = std::move(batch);
      health_ = status;
      outcome = absl::UnavailableError(absl::StrCat(
          "the change was made, but the state store could not keep it: ", status.message()));
    }
    while (!waiters_.empty() && waiters_.front().first <= target) {
      done.push_back(std::move(waiters_.front().second));
      waiters_.pop_front();
    }
  }
  for (auto& fn : done) fn(outcome);
  return status.ok();
}

absl::Status Store::Close(uint64_t event_sequence) {
  Stop();
  {
    internal::MutexLock lock(&mu_);
    if (!pending_.empty()) {
      return absl::UnavailableError(
          absl::StrCat("state store ", description_, ": ", pending_.size(),
                       " changes could not be committed: ", health_.message()));
    }
  }
  return backend_->MarkCleanShutdown(event_sequence);
}

}  // namespace hother::cancelable::daemon
