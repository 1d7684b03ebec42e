#include "hother/cancelable/sources/condition_source.h"

#include <exception>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/scheduler.h"

namespace hother::cancelable {
namespace {

using Check = std::function<std::optional<std::string>(int checks)>;

class ConditionSourceImpl : public Source {
 public:
  ConditionSourceImpl(Check check, absl::Duration interval, std::string name)
      : check_(std::move(check)), interval_(interval), name_(std::move(name)) {}

  std::string name() const override { return name_; }

  absl::Status Validate() const override {
    if (interval_ > absl::ZeroDuration()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("Check interval must be positive, got ",
                                                   absl::ToDoubleSeconds(interval_), "s"));
  }

  absl::StatusOr<std::unique_ptr<SourceWatch>> Start(const SourceEnv& env,
                                                     FireFn fire) const override {
    if (absl::Status valid = Validate(); !valid.ok()) return valid;
    return WatchOwning(env.scheduler->Every(
        interval_, [check = check_, name = name_, fire = std::move(fire), checks = 0]() mutable {
          ++checks;
          std::optional<std::string> met;
          try {
            met = check(checks);
          } catch (const std::exception& e) {
            Log(LogLevel::kWarning,
                absl::StrCat("condition '", name, "' threw (counted as not met): ", e.what()));
          } catch (...) {
            Log(LogLevel::kWarning,
                absl::StrCat("condition '", name, "' threw (counted as not met)"));
          }
          if (!met.has_value()) return true;  // keep polling
          fire(CancelReason::kCondition, *std::move(met));
          return false;
        }));
  }

 private:
  const Check check_;
  const absl::Duration interval_;
  const std::string name_;
};

}  // namespace

SourcePtr ConditionSource(std::function<bool()> predicate, absl::Duration interval,
                          std::string name) {
  Check check = [predicate = std::move(predicate), name](int checks) -> std::optional<std::string> {
    if (!predicate()) return std::nullopt;
    return absl::StrCat("Condition '", name, "' met after ", checks, " checks");
  };
  return std::make_shared<ConditionSourceImpl>(std::move(check), interval, std::move(name));
}

SourcePtr ExplainedConditionSource(std::function<std::optional<std::string>()> check,
                                   absl::Duration interval, std::string name) {
  return std::make_shared<ConditionSourceImpl>([check = std::move(check)](int) { return check(); },
                                               interval, std::move(name));
}

}  // namespace hother::cancelable
