// libFuzzer: the daemon's text parsers. The first byte picks one: label
// selectors, condition expressions, durations (flags and the configuration
// file), page tokens (of the operation graph's List), and the TOML
// configuration file. Any crash or sanitizer report is a finding; a selector
// that parses must also match without failing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "daemon/config.h"
#include "daemon/core/condition.h"
#include "daemon/core/event_log.h"
#include "daemon/core/operation_graph.h"
#include "daemon/core/selector.h"
#include "daemon/service/validate.h"
#include "hother/cancelable/clock.h"
#include "hother/cancelable/scheduler.h"

namespace d = ::hother::cancelable::daemon;

namespace {

class NoListener : public d::CancelListener {
 public:
  void DeliverCancels(uint64_t, std::vector<d::CancelDelivery>) override {}
};

// One graph for the whole run, with a few operations to page through.
d::OperationGraph& Graph() {
  static hother::cancelable::FakeClock clock;
  static hother::cancelable::Scheduler scheduler(clock);
  static d::EventLog events;
  static NoListener listener;
  static d::OperationGraph* graph = [] {
    auto* g = new d::OperationGraph(clock, scheduler, events, listener, d::GraphOptions{});
    for (int i = 0; i < 5; ++i) (void)g->Register(d::Owner{1, "p", 1, "h"}, {.name = "op"});
    return g;
  }();
  return *graph;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 5;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (which) {
    case 0: {
      absl::StatusOr<d::Selector> selector = d::Selector::Parse(text);
      if (selector.ok()) (void)selector->Matches({{"team", "a"}, {"env", "prod"}});
      break;
    }
    case 1:
      (void)d::ParseCondition(text);
      break;
    case 2: {
      absl::Duration duration;
      if (absl::ParseDuration(text, &duration)) (void)absl::FormatDuration(duration);
      break;
    }
    case 3:
      if (d::ValidatePageToken("page_token", text, d::kMaxPageTokenBytes).ok()) {
        (void)Graph().List(d::OperationFilter{}, 2, text);
      }
      break;
    default:
      (void)d::ParseConfig(text, "fuzz.toml");
      break;
  }
  return 0;
}
