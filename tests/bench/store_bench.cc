// store_bench: how long canceld takes from start to serving with a large
// store (100,000 named tokens and 1,000,000 history rows by default), and its
// resident memory then, beside the same start over an empty store in the
// same run.
//
//   store_bench [--tokens N] [--history N]
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/store/sqlite_backend.h"
#include "daemon/store/state_dir.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"
#include "tests/support/process.h"

namespace hother::cancelable {
namespace {

namespace pb = ::hother::cancelable::v1;
using daemon::HistoryOrder;

// Fills the store in `dir` with `tokens` tokens and `history` finished
// operations (each tenth cancelled, with its record).
bool Fill(const std::string& dir, int64_t tokens, int64_t history) {
  auto backend = daemon::SqliteBackend::Create(daemon::StateFile(dir), /*sync=*/false);
  if (!backend.ok()) return false;
  daemon::Retention keep{.history = static_cast<size_t>(history)};
  if (!(*backend)->Open(absl::Now(), keep).ok()) return false;
  std::vector<daemon::RowChange> rows;
  auto flush = [&] {
    bool ok = (*backend)->Commit(rows, 0, keep).ok();
    rows.clear();
    return ok;
  };
  for (int64_t i = 0; i < tokens; ++i) {
    daemon::StoredToken token;
    token.name = absl::StrCat("token-", i);
    token.labels = {{"team", absl::StrCat("t", i % 100)}};
    token.created_time = absl::Now();
    rows.push_back(daemon::TokenRow{std::move(token), 0});
    if (rows.size() == 100'000 && !flush()) return false;
  }
  auto owner = std::make_shared<const daemon::Owner>(daemon::Owner{1, "filler", 1, "host"});
  uint64_t record = 1;
  for (int64_t i = 0; i < history; ++i) {
    daemon::HistoryRow row;
    row.order = HistoryOrder(1, static_cast<uint64_t>(i + 1));
    row.operation.identity = std::make_shared<const daemon::OperationIdentity>(
        daemon::OperationIdentity{.id = absl::StrCat("00000001-", i + 1),
                                  .name = "job",
                                  .labels = {{"team", absl::StrCat("t", i % 100)}},
                                  .owner = owner,
                                  .created_time = absl::Now()});
    row.operation.finished_time = absl::Now();
    row.operation.status = daemon::OpStatus::kCompleted;
    if (i % 10 == 0) {
      row.operation.status = daemon::OpStatus::kCancelled;
      row.cancel = record;
      rows.push_back(daemon::RecordRow{record++, false, row.operation.id(), CancelReason::kManual,
                                       "stop", absl::Now(), "bench", 0});
    }
    rows.push_back(std::move(row));
    if (rows.size() >= 100'000 && !flush()) return false;
  }
  return flush();
}

int64_t ResidentKiB(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kib = 0;
      (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(6, line.size() - 9)), &kib);
      return kib;
    }
  }
  return 0;
}

// Starts canceld over `dir`; the time to serving and the memory then.
std::pair<absl::Duration, int64_t> Start(const std::string& dir, int64_t history) {
  const std::string endpoint = absl::StrCat("unix:", dir, "/c.sock");
  const absl::Time started = absl::Now();
  test_support::Process canceld({CANCELD_PATH, "--state-dir", dir, "--listen", endpoint,
                                 "--history", absl::StrCat(history), "--log-level", "info"},
                                dir + "/canceld");
  // Serving: the daemon answers (wait_for_ready: the call waits for the socket
  // to accept, without gRPC's reconnect backoff in between).
  auto stub =
      pb::Canceld::NewStub(grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
  for (;;) {
    if (access((dir + "/c.sock").c_str(), F_OK) == 0) {
      grpc::ClientContext context;
      context.set_wait_for_ready(true);
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Minutes(2)));
      pb::DaemonInfo info;
      if (stub->GetDaemonInfo(&context, pb::GetDaemonInfoRequest(), &info).ok()) break;
    }
    if (absl::Now() - started > absl::Minutes(2)) return {absl::InfiniteDuration(), 0};
    absl::SleepFor(absl::Milliseconds(1));  // the socket's appearance is the measurement
  }
  const absl::Duration took = absl::Now() - started;
  const int64_t kib = ResidentKiB(canceld.pid());
  const std::string log = canceld.err();  // "read_in=..." of the store
  if (size_t at = log.find("read_in="); at != std::string::npos) {
    std::cout << "  (store read in " << log.substr(at + 8, log.find_first_of(" \n", at) - at - 8)
              << ")\n";
  }
  canceld.Terminate(absl::Seconds(30));
  return {took, kib};
}

}  // namespace
}  // namespace hother::cancelable

int main(int argc, char** argv) {
  int64_t tokens = 100'000;
  int64_t history = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if ((flag != "--tokens" || !absl::SimpleAtoi(argv[i + 1], &tokens)) &&
        (flag != "--history" || !absl::SimpleAtoi(argv[i + 1], &history))) {
      std::cerr << "usage: store_bench [--tokens N] [--history N]\n";
      return 2;
    }
  }
  hother::cancelable::test_support::TempDir empty;
  hother::cancelable::test_support::TempDir full;
  const absl::Time fill_started = absl::Now();
  if (!hother::cancelable::Fill(full.path(), tokens, history)) {
    std::cerr << "store_bench: could not fill the store\n";
    return 1;
  }
  std::cout << "filled " << tokens << " tokens and " << history << " history rows in "
            << absl::FormatDuration(absl::Now() - fill_started) << "\n";
  // Interleaved: empty, full, empty, full; the best of each.
  absl::Duration best_empty = absl::InfiniteDuration(), best_full = absl::InfiniteDuration();
  int64_t kib_empty = 0, kib_full = 0;
  for (int round = 0; round < 2; ++round) {
    auto [e, ek] = hother::cancelable::Start(empty.path(), history);
    auto [f, fk] = hother::cancelable::Start(full.path(), history);
    best_empty = std::min(best_empty, e);
    best_full = std::min(best_full, f);
    kib_empty = std::max(kib_empty, ek);
    kib_full = std::max(kib_full, fk);
  }
  std::cout << "start to serving, empty store: " << absl::FormatDuration(best_empty) << ", "
            << kib_empty / 1024 << " MiB resident\n"
            << "start to serving, " << tokens << " tokens + " << history
            << " history rows: " << absl::FormatDuration(best_full) << ", " << kib_full / 1024
            << " MiB resident\n";
  return best_full < absl::Seconds(5) ? 0 : 1;
}
