// A short tour of the library, printed as it happens (`make run`).
//
// 1. A scope with a timeout: the body waits on its token and the timeout wins.
// 2. A token cancelled from another thread wakes a waiting scope at once.
// 3. A parent's timeout reaches its child, with reason parent and the cause.
// 4. Progress reports from a stream, and what a stream records when cut short.
#include <iostream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/token.h"
#include "hother/cancelable/wait.h"

namespace cancelable = hother::cancelable;

namespace {

void Print(const std::string& line) { std::cout << line << std::endl; }

void Describe(const cancelable::Cancelable& op, absl::Time started) {
  cancelable::OperationContext ctx = op.context();
  std::string line = absl::StrCat("   -> ", ctx.name, ": ", cancelable::ToString(ctx.status),
                                  " after ", absl::FormatDuration(absl::Now() - started));
  if (ctx.cancel_details != nullptr) {
    absl::StrAppend(&line, "\n      why: ", ctx.cancel_details->ChainToString());
  }
  Print(line);
}

void TimeoutScope() {
  Print("1. A scope with a 200ms timeout around work that would take an hour");
  absl::Time started = absl::Now();
  auto op = cancelable::Cancelable::WithTimeout(absl::Milliseconds(200), {.name = "slow-work"});
  absl::Status result = op.Run([](cancelable::Cancelable& self) {
    return cancelable::SleepFor(self.token(), absl::Hours(1));
  });
  Print(absl::StrCat("   Run returned: ", result.ToString()));
  Describe(op, started);
}

void TokenFromAnotherThread() {
  Print("2. A token cancelled from another thread after 100ms");
  cancelable::CancellationToken stop;
  auto op = cancelable::Cancelable::WithToken(stop, {.name = "waiter"});
  std::thread canceller([stop] {
    absl::SleepFor(absl::Milliseconds(100));
    stop.Cancel(cancelable::CancelReason::kManual, "operator pressed stop");
  });
  absl::Time started = absl::Now();
  absl::Status result = op.Run([](cancelable::Cancelable& self) {
    self.token().Wait();
    return self.Check();
  });
  canceller.join();
  Print(absl::StrCat("   Run returned: ", result.ToString()));
  Describe(op, started);
}

void ParentReachesChild() {
  Print("3. A parent with a 150ms timeout and a child with none of its own");
  auto parent = cancelable::Cancelable::WithTimeout(absl::Milliseconds(150), {.name = "request"});
  cancelable::Cancelable child({.name = "db-query", .parent = &parent});
  absl::Time started = absl::Now();
  (void)parent.Run([&] {
    return child.Run([](cancelable::Cancelable& self) {
      self.token().Wait();
      return self.Check();
    });
  });
  Describe(child, started);
  Describe(parent, started);
}

void StreamWithProgress() {
  Print("4. A stream of a million items, cancelled by its own consumer at 250,000");
  cancelable::Cancelable op({.name = "import"});
  op.OnProgress([](const std::string&, const std::string& message, const cancelable::Metadata&) {
    Print(absl::StrCat("   progress: ", message));
  });
  absl::Time started = absl::Now();
  absl::Status result = op.Run([](cancelable::Cancelable& self) -> absl::Status {
    std::vector<int> numbers(1'000'000);
    std::iota(numbers.begin(), numbers.end(), 0);
    auto items = self.Stream(numbers, {.report_interval = 100'000});
    for (int item : items) {
      if (item == 249'999) self.Cancel(cancelable::CancelReason::kManual, "enough for today");
    }
    return items.status();
  });
  Print(absl::StrCat("   Run returned: ", result.ToString()));
  auto partial = std::any_cast<cancelable::StreamPartialResult<int>>(op.context().partial_result);
  Print(absl::StrCat("   partial result: ", partial.count,
                     " items, completed=", partial.completed ? "true" : "false"));
  Describe(op, started);
}

}  // namespace

int main() {
  Print("cancelable: a tour of the in-process library\n");
  TimeoutScope();
  TokenFromAnotherThread();
  ParentReachesChild();
  StreamWithProgress();
  Print("\nDone. The daemon (canceld) and cancelctl come next; see README.md.");
  return 0;
}
