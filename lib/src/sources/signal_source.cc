#include "hother/cancelable/sources/signal_source.h"

#include "absl/strings/str_cat.h"
#include "hother/cancelable/signal_watcher.h"

namespace hother::cancelable {
namespace {

class SignalSourceImpl : public Source {
 public:
  explicit SignalSourceImpl(std::vector<int> signals) : signals_(std::move(signals)) {}
  std::string name() const override { return "signal"; }
  absl::Status Validate() const override { return ValidateSignals(signals_); }
  absl::StatusOr<std::unique_ptr<SourceWatch>> Start(const SourceEnv& env,
                                                     FireFn fire) const override {
    auto subscription = env.signals->Subscribe(signals_, [fire](int signo) {
      fire(CancelReason::kSignal,
           absl::StrCat("Received signal ", SignalName(signo), " (", signo, ")"));
    });
    if (!subscription.ok()) return subscription.status();
    return WatchOwning(*std::move(subscription));
  }

 private:
  const std::vector<int> signals_;
};

}  // namespace

SourcePtr SignalSource(std::vector<int> signals) {
  return std::make_shared<SignalSourceImpl>(std::move(signals));
}

}  // namespace hother::cancelable
