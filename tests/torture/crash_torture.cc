// crash_torture: canceld killed with SIGKILL at random moments, again and
// again, under load, and what it acknowledged checked after every restart.
//
//   crash_torture --cycles 200 [--workers 3] [--seed N] [--dir DIR]
//
// Worker processes (this binary with --worker) hold operations through the
// SDK: they start them, finish most as completed (and write down each id they
// completed), and finish the ones cancelled as cancelled. The driver, on its
// own connection, cancels operations, cancels selections, and creates, links
// and cancels named tokens; a killer thread SIGKILLs canceld at a random
// moment of each cycle. After each restart the driver checks:
//   - every cancel that got OK is in effect (the operation, once its owner is
//     back or in the history, carries that cancel);
//   - no operation a worker completed is LOST;
//   - every token, token cancel and link that got OK is there;
//   - PRAGMA integrity_check of the store (between the kill and the restart).
// It prints the cycles, operations, acknowledged cancels and violations, and
// exits 1 if there was a violation.
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "hother/cancelable/client/client.h"
#include "hother/cancelable/v1/cancelable.grpc.pb.h"
#include "tests/support/process.h"

namespace hother::cancelable::torture {
namespace {

namespace pb = ::hother::cancelable::v1;

struct Args {
  int cycles = 200;
  int workers = 3;
  uint64_t seed = 0;
  std::string dir;
  int worker = -1;  // >= 0: run as worker N
  std::string endpoint;
};

// --- A worker: load through the SDK. ---

int RunWorker(const Args& args) {
  ClientOptions options;
  options.endpoint = args.endpoint;
  options.process_name = absl::StrCat("torture-worker-", args.worker);
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  auto client = Client::Connect(options);
  if (!client.ok()) return 2;
  std::ofstream completed(absl::StrCat(args.dir, "/completed-", args.worker, ".txt"),
                          std::ios::app);
  std::mt19937_64 random(args.seed + static_cast<uint64_t>(args.worker));
  std::vector<std::unique_ptr<RemoteOperation>> live;
  for (uint64_t n = 0;; ++n) {
    if (live.size() < 40) {
      live.push_back((*client)->Start(
          {.name = absl::StrCat("w", args.worker, "-", n),
           .labels = {{"worker", absl::StrCat(args.worker)}, {"batch", absl::StrCat(n % 5)}}}));
    }
    // Cancelled ones end as cancelled; now and then one completes.
    for (size_t i = 0; i < live.size();) {
      std::unique_ptr<RemoteOperation>& op = live[i];
      const bool complete = !op->IsCancelled() && !op->id().empty() && random() % 50 == 0;
      if (op->IsCancelled() || complete) {
        const std::string id = op->id();
        op->Finish(op->Check());
        if (complete && !id.empty()) completed << id << "\n" << std::flush;
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      ++i;
    }
    absl::SleepFor(absl::Milliseconds(2));  // a load generator's pace
  }
}

// --- The driver. ---

class Driver {
 public:
  explicit Driver(const Args& args) : args_(args), random_(args.seed) {}

  int Run();

 private:
  std::unique_ptr<test_support::Process> StartDaemon(int cycle);
  bool AwaitServing();
  void Load(int cycle, std::atomic<bool>& killed);
  void Check();
  void CheckIntegrity();
  void Violation(const std::string& what) {
    ++violations_;
    std::cerr << "VIOLATION: " << what << "\n";
  }
  grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext&)>& fn) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    return fn(context);
  }

  const Args args_;
  std::mt19937_64 random_;
  std::string endpoint_;
  std::unique_ptr<pb::Canceld::Stub> stub_;
  // What canceld acknowledged: operation id -> the cancel's message.
  std::map<std::string, std::string> acked_cancels_;
  std::set<std::string> verified_cancels_;  // found in effect once; sampled after
  std::set<std::string> tokens_;
  std::map<std::string, std::string> token_cancels_;  // name -> message
  std::set<std::pair<std::string, std::string>> links_;
  int64_t operations_seen_ = 0;
  int violations_ = 0;
};

std::unique_ptr<test_support::Process> Driver::StartDaemon(int cycle) {
  return std::make_unique<test_support::Process>(
      std::vector<std::string>{CANCELD_PATH, "--state-dir", args_.dir + "/state", "--listen",
                               endpoint_, "--lease-timeout", "3s", "--heartbeat-interval", "500ms",
                               "--history", "1000000", "--log-level", "warning"},
      absl::StrCat(args_.dir, "/canceld-", cycle % 2));
}

bool Driver::AwaitServing() {
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (absl::Now() < give_up) {
    pb::DaemonInfo info;
    if (Call([&](grpc::ClientContext& c) {
          return stub_->GetDaemonInfo(&c, pb::GetDaemonInfoRequest(), &info);
        }).ok()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

void Driver::Load(int cycle, std::atomic<bool>& killed) {
  for (int k = 0; !killed.load(); ++k) {
    const std::string message = absl::StrCat("torture ", cycle, "-", k);
    switch (random_() % 6) {
      case 0:
      case 1: {  // cancel one live operation
        pb::ListOperationsRequest list;
        list.mutable_filter()->add_statuses(pb::OPERATION_STATUS_RUNNING);
        list.set_page_size(50);
        pb::ListOperationsResponse page;
        if (!Call([&](grpc::ClientContext& c) {
               return stub_->ListOperations(&c, list, &page);
             }).ok() ||
            page.operations_size() == 0) {
          break;
        }
        const std::string id =
            page.operations(static_cast<int>(random_() % page.operations_size())).id();
        pb::CancelRequest cancel;
        cancel.set_id(id);
        cancel.set_message(message);
        pb::CancelResponse response;
        if (Call([&](grpc::ClientContext& c) {
              return stub_->Cancel(&c, cancel, &response);
            }).ok() &&
            response.first()) {
          acked_cancels_[id] = message;
        }
        break;
      }
      case 2: {  // cancel a selection
        pb::CancelAllRequest all;
        all.mutable_filter()->set_selector(absl::StrCat("batch=", random_() % 5));
        all.mutable_filter()->add_statuses(pb::OPERATION_STATUS_RUNNING);
        all.set_message(message);
        pb::CancelAllResponse response;
        if (Call([&](grpc::ClientContext& c) {
              return stub_->CancelAll(&c, all, &response);
            }).ok()) {
          for (const pb::Operation& op : response.operations()) acked_cancels_[op.id()] = message;
        }
        break;
      }
      case 3: {  // a token
        pb::CreateTokenRequest create;
        create.set_name(absl::StrCat("t", cycle, "-", k));
        pb::Token token;
        if (Call([&](grpc::ClientContext& c) {
              return stub_->CreateToken(&c, create, &token);
            }).ok()) {
          tokens_.insert(create.name());
        }
        break;
      }
      case 4: {  // link two tokens (a cycle is refused, which is fine)
        if (tokens_.size() < 2) break;
        auto a = std::next(tokens_.begin(), static_cast<long>(random_() % tokens_.size()));
        auto b = std::next(tokens_.begin(), static_cast<long>(random_() % tokens_.size()));
        pb::LinkTokensRequest link;
        link.set_source(*a);
        link.set_target(*b);
        pb::Token token;
        if (Call([&](grpc::ClientContext& c) {
              return stub_->LinkTokens(&c, link, &token);
            }).ok()) {
          links_.emplace(*a, *b);
        }
        break;
      }
      default: {  // cancel a token
        if (tokens_.empty()) break;
        auto t = std::next(tokens_.begin(), static_cast<long>(random_() % tokens_.size()));
        pb::CancelTokenRequest cancel;
        cancel.set_name(*t);
        cancel.set_message(message);
        pb::CancelTokenResponse response;
        if (Call([&](grpc::ClientContext& c) {
              return stub_->CancelToken(&c, cancel, &response);
            }).ok() &&
            response.first()) {
          token_cancels_[*t] = message;
        }
        break;
      }
    }
  }
}

void Driver::Check() {
  // Every acknowledged cancel is in effect once the owner is back (or the
  // operation is in the history). New ones are checked all; verified ones by
  // a sample, so that a cycle stays short however many there are.
  std::vector<std::string> ids;
  for (const auto& [id, message] : acked_cancels_) {
    if (!verified_cancels_.contains(id) || random_() % 20 == 0) ids.push_back(id);
  }
  for (const std::string& id : ids) {
    const absl::Time give_up = absl::Now() + absl::Seconds(10);
    pb::Operation op;
    grpc::Status status;
    do {
      pb::GetOperationRequest get;
      get.set_id(id);
      op.Clear();
      status = Call([&](grpc::ClientContext& c) { return stub_->GetOperation(&c, get, &op); });
      if (status.ok()) break;
      absl::SleepFor(absl::Milliseconds(50));  // its owner registers it again
    } while (absl::Now() < give_up);
    if (!status.ok()) {
      Violation(absl::StrCat("acknowledged cancel of ", id,
                             ": the operation is not known: ", status.error_message()));
      continue;
    }
    if (!op.has_cancel() || op.cancel().cancellation().message() != acked_cancels_[id]) {
      Violation(absl::StrCat("acknowledged cancel of ", id, " (\"", acked_cancels_[id],
                             "\") is not in effect: status ", pb::OperationStatus_Name(op.status()),
                             ", cancel \"", op.cancel().cancellation().message(), "\""));
    }
    verified_cancels_.insert(id);
  }
  // Tokens, their cancels and links.
  for (const std::string& name : tokens_) {
    pb::GetTokenRequest get;
    get.set_name(name);
    pb::Token token;
    if (!Call([&](grpc::ClientContext& c) { return stub_->GetToken(&c, get, &token); }).ok()) {
      Violation(absl::StrCat("acknowledged token ", name, " is gone"));
      continue;
    }
    if (auto it = token_cancels_.find(name);
        it != token_cancels_.end() && token.cancel().cancellation().message() != it->second) {
      Violation(absl::StrCat("acknowledged cancel of token ", name, " is not in effect"));
    }
    for (const auto& [source, target] : links_) {
      if (source != name) continue;
      bool found = false;
      for (const std::string& t : token.targets()) found = found || t == target;
      if (!found) Violation(absl::StrCat("acknowledged link ", source, " -> ", target, " is gone"));
    }
  }
  // No operation a worker completed is LOST.
  std::set<std::string> completed;
  for (int w = 0; w < args_.workers; ++w) {
    std::ifstream in(absl::StrCat(args_.dir, "/completed-", w, ".txt"));
    for (std::string line; std::getline(in, line);) completed.insert(line);
  }
  pb::ListOperationsRequest lost;
  lost.mutable_filter()->add_statuses(pb::OPERATION_STATUS_LOST);
  lost.set_page_size(1000);
  for (;;) {
    pb::ListOperationsResponse page;
    if (!Call([&](grpc::ClientContext& c) {
           return stub_->ListOperations(&c, lost, &page);
         }).ok()) {
      break;
    }
    for (const pb::Operation& op : page.operations()) {
      if (completed.contains(op.id())) {
        Violation(absl::StrCat("operation ", op.id(), " was completed by its owner but is LOST"));
      }
    }
    if (page.next_page_token().empty()) break;
    lost.set_page_token(page.next_page_token());
  }
  pb::ListOperationsRequest all;
  all.set_page_size(1);
  pb::ListOperationsResponse any;
  (void)Call([&](grpc::ClientContext& c) { return stub_->ListOperations(&c, all, &any); });
  operations_seen_ = std::max<int64_t>(operations_seen_, static_cast<int64_t>(completed.size()));
}

void Driver::CheckIntegrity() {
  sqlite3* db = nullptr;
  const std::string path = args_.dir + "/state/state.db";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    Violation(absl::StrCat("cannot open ", path, ": ", sqlite3_errmsg(db)));
    sqlite3_close(db);
    return;
  }
  std::string result;
  sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] != nullptr ? values[0] : "";
        return 0;
      },
      &result, nullptr);
  sqlite3_close(db);
  if (result != "ok") Violation(absl::StrCat("integrity_check of ", path, ": ", result));
}

int Driver::Run() {
  endpoint_ = absl::StrCat("unix:", args_.dir, "/canceld.sock");
  std::vector<std::unique_ptr<test_support::Process>> workers;
  char self[4096] = {};
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 2;
  for (int w = 0; w < args_.workers; ++w) {
    workers.push_back(std::make_unique<test_support::Process>(
        std::vector<std::string>{self, "--worker", absl::StrCat(w), "--endpoint", endpoint_,
                                 "--dir", args_.dir, "--seed", absl::StrCat(args_.seed)},
        absl::StrCat(args_.dir, "/worker-", w)));
  }
  // The daemon comes and goes every cycle: retry the connection at once, not
  // after gRPC's growing backoff (up to two minutes).
  grpc::ChannelArguments channel_args;
  channel_args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
  channel_args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
  channel_args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  stub_ = pb::Canceld::NewStub(
      grpc::CreateCustomChannel(endpoint_, grpc::InsecureChannelCredentials(), channel_args));
  for (int cycle = 1; cycle <= args_.cycles; ++cycle) {
    auto daemon = StartDaemon(cycle);
    if (!AwaitServing()) {
      std::cerr << "canceld did not serve in cycle " << cycle << ": " << daemon->err() << "\n";
      return 2;
    }
    Check();
    std::atomic<bool> killed{false};
    const absl::Duration life = absl::Milliseconds(50 + static_cast<int64_t>(random_() % 400));
    std::thread killer([&] {
      absl::SleepFor(life);  // a random moment of the load
      daemon->Signal(SIGKILL);
      killed = true;
    });
    Load(cycle, killed);
    killer.join();
    daemon->Wait(absl::Seconds(10));
    CheckIntegrity();
  }
  auto daemon = StartDaemon(args_.cycles + 1);
  if (AwaitServing()) Check();
  workers.clear();
  std::cout << "crash cycles: " << args_.cycles << "\n"
            << "operations completed by workers: " << operations_seen_ << "\n"
            << "acknowledged cancels: " << acked_cancels_.size() << "\n"
            << "acknowledged tokens / token cancels / links: " << tokens_.size() << " / "
            << token_cancels_.size() << " / " << links_.size() << "\n"
            << "violations: " << violations_ << "\n";
  return violations_ == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hother::cancelable::torture

int main(int argc, char** argv) {
  using hother::cancelable::torture::Args;
  Args args;
  args.seed = std::random_device{}();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    bool ok = true;
    if (flag == "--cycles") {
      ok = absl::SimpleAtoi(value, &args.cycles);
    } else if (flag == "--workers") {
      ok = absl::SimpleAtoi(value, &args.workers);
    } else if (flag == "--seed") {
      ok = absl::SimpleAtoi(value, &args.seed);
    } else if (flag == "--dir") {
      args.dir = value;
    } else if (flag == "--worker") {
      ok = absl::SimpleAtoi(value, &args.worker);
    } else if (flag == "--endpoint") {
      args.endpoint = value;
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "crash_torture: bad flag " << flag << " " << value << "\n";
      return 2;
    }
  }
  if (args.worker >= 0) return hother::cancelable::torture::RunWorker(args);
  std::unique_ptr<hother::cancelable::test_support::TempDir> temp;
  if (args.dir.empty()) {
    temp = std::make_unique<hother::cancelable::test_support::TempDir>();
    args.dir = temp->path();
  }
  std::cout << "crash_torture: seed " << args.seed << ", dir " << args.dir << std::endl;
  return hother::cancelable::torture::Driver(args).Run();
}
