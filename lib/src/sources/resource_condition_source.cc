#include "hother/cancelable/sources/resource_condition_source.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hother/cancelable/log.h"
#include "hother/cancelable/resource_usage.h"
#include "hother/cancelable/sources/condition_source.h"

namespace hother::cancelable {
namespace {

// One sample against the thresholds; a message when one is exceeded.
class ResourceCheck {
 public:
  explicit ResourceCheck(ResourceThresholds t) : t_(std::move(t)) {}

  std::optional<std::string> operator()() {
    if (t_.memory_percent) {
      if (auto m = Report(ReadMemoryUsage(t_.proc_root))) {
        if (m->used_percent() > *t_.memory_percent) {
          return Exceeded("memory", m->used_percent(), *t_.memory_percent);
        }
      }
    }
    if (t_.cpu_percent) {
      if (auto now = Report(ReadCpuTimes(t_.proc_root))) {
        std::optional<CpuTimes> before = std::exchange(last_cpu_, *now);
        double busy = before ? CpuBusyPercent(*before, *now) : 0.0;
        if (before && busy > *t_.cpu_percent) {
          return Exceeded("cpu", busy, *t_.cpu_percent);
        }
      }
    }
    if (t_.disk_percent) {
      if (auto d = Report(ReadDiskUsage(t_.disk_path))) {
        if (d->used_percent() > *t_.disk_percent) {
          return Exceeded(absl::StrCat("disk ", t_.disk_path), d->used_percent(), *t_.disk_percent);
        }
      }
    }
    return std::nullopt;
  }

 private:
  template <typename T>
  static std::optional<T> Report(absl::StatusOr<T> reading) {
    if (reading.ok()) return *std::move(reading);
    Log(LogLevel::kWarning, absl::StrCat("resource condition: ", reading.status().ToString()));
    return std::nullopt;
  }
  static std::string Exceeded(absl::string_view what, double value, double limit) {
    return absl::StrFormat("Resource threshold exceeded: %s %.1f%% used > %g%%", what, value,
                           limit);
  }

  const ResourceThresholds t_;
  std::optional<CpuTimes> last_cpu_;
};

absl::Status ValidateThresholds(const ResourceThresholds& t) {
  if (!t.memory_percent && !t.cpu_percent && !t.disk_percent) {
    return absl::InvalidArgumentError("At least one resource threshold is required");
  }
  for (const auto& [name, value] :
       {std::pair{"memory_percent", t.memory_percent}, std::pair{"cpu_percent", t.cpu_percent},
        std::pair{"disk_percent", t.disk_percent}}) {
    if (value && (*value <= 0 || *value > 100)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be in (0, 100], got ", *value));
    }
  }
  return absl::OkStatus();
}

// A condition source that validates its thresholds too.
class ResourceConditionSourceImpl : public Source {
 public:
  explicit ResourceConditionSourceImpl(ResourceThresholds t)
      : thresholds_(t),
        inner_(ExplainedConditionSource(ResourceCheck(t), t.interval, "resource")) {}
  std::string name() const override { return "resource"; }
  absl::Status Validate() const override {
    if (absl::Status s = ValidateThresholds(thresholds_); !s.ok()) return s;
    return inner_->Validate();
  }
  absl::StatusOr<std::unique_ptr<SourceWatch>> Start(const SourceEnv& env,
                                                     FireFn fire) const override {
    if (absl::Status valid = Validate(); !valid.ok()) return valid;
    return inner_->Start(env, std::move(fire));
  }

 private:
  const ResourceThresholds thresholds_;
  const SourcePtr inner_;
};

}  // namespace

SourcePtr ResourceConditionSource(ResourceThresholds thresholds) {
  return std::make_shared<ResourceConditionSourceImpl>(std::move(thresholds));
}

}  // namespace hother::cancelable
