// The README's example, compiled with every build so that it stays correct.
// Run it: build/default/lib/examples/readme_example
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "hother/cancelable/cancelable.h"
#include "hother/cancelable/sources/signal_source.h"
#include "hother/cancelable/wait.h"

namespace cancelable = hother::cancelable;

namespace {

struct Row {
  int id;
};
void Store(const Row&) {}

absl::Status Import(const std::vector<Row>& rows) {
  // Cancelled after 30 s, or on SIGTERM, whichever comes first.
  auto op = cancelable::Cancelable::WithTimeout(absl::Seconds(30), {.name = "import"})
                .AddSource(cancelable::SignalSource({SIGTERM}));
  op.OnProgress([](const std::string& id, const std::string& message, const cancelable::Metadata&) {
    std::cerr << id << ": " << message << "\n";
  });
  return op.Run([&](cancelable::Cancelable& self) -> absl::Status {
    auto stream = self.Stream(rows, {.report_interval = 10'000});  // checks before each row
    for (const Row& row : stream) Store(row);
    return stream.status();  // OK, or DEADLINE_EXCEEDED / CANCELLED with the reason
  });
}

}  // namespace

int main() {
  std::vector<Row> rows(25'000, Row{1});
  absl::Status status = Import(rows);
  std::cout << "import: " << status.ToString() << "\n";
  return status.ok() ? 0 : 1;
}
