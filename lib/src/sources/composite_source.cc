#include "hother/cancelable/sources/composite_source.h"

#include <atomic>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hother/cancelable/internal/mutex.h"

namespace hother::cancelable {
namespace {

// Starts each child with the FireFn `child_fire(i, child)` builds; the watch
// owns every child's watch.
class CompositeSource : public Source {
 public:
  CompositeSource(std::vector<SourcePtr> children, bool all)
      : children_(std::move(children)), all_(all) {}

  std::string name() const override { return all_ ? "all_of" : "any_of"; }

  absl::Status Validate() const override {
    if (children_.empty()) {
      return absl::InvalidArgumentError("At least one source is required");
    }
    for (const SourcePtr& child : children_) {
      if (child == nullptr) return absl::InvalidArgumentError("A source is null");
      if (absl::Status s = child->Validate(); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<SourceWatch>> Start(const SourceEnv& env,
                                                     FireFn fire) const override {
    if (absl::Status valid = Validate(); !valid.ok()) return valid;
    // For all-of: which children have fired. Shared by the children's FireFns.
    struct Fired {
      internal::Mutex mu;
      std::vector<bool> fired ABSL_GUARDED_BY(mu);
      size_t count ABSL_GUARDED_BY(mu) = 0;
    };
    auto state = std::make_shared<Fired>();
    {
      internal::MutexLock lock(&state->mu);
      state->fired.assign(children_.size(), false);
    }
    const size_t n = children_.size();
    std::vector<std::unique_ptr<SourceWatch>> watches;
    for (size_t i = 0; i < n; ++i) {
      FireFn child_fire;
      if (all_) {
        child_fire = [fire, state, i, n](CancelReason, std::string) {
          {
            internal::MutexLock lock(&state->mu);
            if (state->fired[i]) return;
            state->fired[i] = true;
            if (++state->count < n) return;
          }
          fire(CancelReason::kCondition, absl::StrCat("All ", n, " sources have triggered"));
        };
      } else {
        child_fire = [fire, child = children_[i]->name()](CancelReason reason,
                                                          std::string message) {
          fire(reason, absl::StrCat("Composite source triggered by ", child, ": ", message));
        };
      }
      auto watch = children_[i]->Start(env, std::move(child_fire));
      if (!watch.ok()) return watch.status();  // started children stop here
      watches.push_back(*std::move(watch));
    }
    return WatchOwning(std::move(watches));
  }

 private:
  const std::vector<SourcePtr> children_;
  const bool all_;
};

}  // namespace

SourcePtr AnyOfSource(std::vector<SourcePtr> sources) {
  return std::make_shared<CompositeSource>(std::move(sources), /*all=*/false);
}

SourcePtr AllOfSource(std::vector<SourcePtr> sources) {
  return std::make_shared<CompositeSource>(std::move(sources), /*all=*/true);
}

}  // namespace hother::cancelable
