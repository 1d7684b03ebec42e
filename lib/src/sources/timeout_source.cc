#include "hother/cancelable/sources/timeout_source.h"

#include "absl/strings/str_cat.h"
#include "hother/cancelable/errors.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable {
namespace {

class TimeoutSourceImpl : public Source {
 public:
  explicit TimeoutSourceImpl(absl::Duration timeout) : timeout_(timeout) {}
  std::string name() const override { return "timeout"; }
  absl::Status Validate() const override {
    if (timeout_ > absl::ZeroDuration()) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("Timeout must be positive, got ", absl::ToDoubleSeconds(timeout_), "s"));
  }
  absl::StatusOr<std::unique_ptr<SourceWatch>> Start(const SourceEnv& env,
                                                     FireFn fire) const override {
    if (absl::Status valid = Validate(); !valid.ok()) return valid;
    return WatchOwning(env.scheduler->After(timeout_, [fire = std::move(fire), timeout = timeout_] {
      fire(CancelReason::kTimeout, TimeoutMessage(timeout));
    }));
  }

 private:
  const absl::Duration timeout_;
};

class DeadlineSourceImpl : public Source {
 public:
  explicit DeadlineSourceImpl(absl::Time deadline) : deadline_(deadline) {}
  std::string name() const override { return "deadline"; }
  absl::StatusOr<std::unique_ptr<SourceWatch>> Start(const SourceEnv& env,
                                                     FireFn fire) const override {
    return WatchOwning(env.scheduler->At(deadline_, [fire = std::move(fire), deadline = deadline_] {
      fire(CancelReason::kTimeout,
           absl::StrCat("Operation timed out: deadline ",
                        absl::FormatTime(deadline, absl::UTCTimeZone()), " reached"));
    }));
  }

 private:
  const absl::Time deadline_;
};

}  // namespace

SourcePtr TimeoutSource(absl::Duration timeout) {
  return std::make_shared<TimeoutSourceImpl>(timeout);
}

SourcePtr DeadlineSource(absl::Time deadline) {
  return std::make_shared<DeadlineSourceImpl>(deadline);
}

}  // namespace hother::cancelable
