#include "hother/cancelable/wait.h"

#include "hother/cancelable/cancelable.h"

namespace hother::cancelable {

absl::Status SleepFor(const CancellationToken& token, absl::Duration duration) {
  token.WaitFor(duration);
  return token.Check();
}

absl::Status SleepInCurrentOperation(absl::Duration duration) {
  if (std::optional<Cancelable> current = CurrentOperation()) {
    return SleepFor(current->token(), duration);
  }
  absl::SleepFor(duration);
  return absl::OkStatus();
}

}  // namespace hother::cancelable
