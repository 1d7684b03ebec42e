// A StoreBackend that forwards to one the test keeps across Store objects:
// a "restart" of a memory backend (Store owns its backend).
#ifndef HOTHER_CANCELABLE_TESTS_DAEMON_STORE_BORROWED_BACKEND_H_
#define HOTHER_CANCELABLE_TESTS_DAEMON_STORE_BORROWED_BACKEND_H_

#include <string>
#include <vector>

#include "daemon/store/backend.h"

namespace hother::cancelable::daemon {

class Borrowed : public StoreBackend {
 public:
  explicit Borrowed(StoreBackend* backend) : backend_(backend) {}
  absl::StatusOr<StoredRows> Open(absl::Time now, const Retention& retention) override {
    return backend_->Open(now, retention);
  }
  absl::Status Commit(const std::vector<RowChange>& changes, uint64_t event_sequence,
                      const Retention& retention) override {
    return backend_->Commit(changes, event_sequence, retention);
  }
  absl::Status MarkCleanShutdown(uint64_t event_sequence) override {
    return backend_->MarkCleanShutdown(event_sequence);
  }
  std::string Describe() const override { return backend_->Describe(); }

 private:
  StoreBackend* const backend_;
};

}  // namespace hother::cancelable::daemon

#endif  // HOTHER_CANCELABLE_TESTS_DAEMON_STORE_BORROWED_BACKEND_H_
