// cancelctl: see and cancel the operations of a host's canceld.
// Parses flags (CLI11) and calls one command; its result is the exit code.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "client/cancelctl/cli.h"
#include "client/cancelctl/commands.h"
#include "hother/cancelable/client/endpoint.h"

namespace cc = hother::cancelable::cancelctl;

namespace {

void AddFilterFlags(CLI::App* command, cc::FilterArgs& filter) {
  command->add_option("-l,--selector", filter.selector,
                      "Label selector: k=v, k!=v, 'k in (a,b)', 'k notin (a,b)', k, !k; "
                      "comma = and");
  command->add_option("--name", filter.name_glob, "Shell glob on the operation name");
  command->add_option("--status", filter.statuses,
                      "running, cancelling, completed, cancelled, failed, timeout or lost "
                      "(repeatable)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cancelctl: see and cancel the operations of canceld"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the command
  std::string endpoint;
  std::string timeout = "5s";
  std::string output = "table";
  app.add_option("--endpoint", endpoint,
                 "unix:/path or host:port (default: $CANCELD_ENDPOINT, then the daemon's "
                 "default socket)");
  app.add_option("--timeout", timeout, "How long to wait for the daemon (default 5s)");
  app.add_option("-o,--output", output, "table, wide or json")
      ->check(CLI::IsMember({"table", "wide", "json"}));

  cc::FilterArgs list_args;
  CLI::App* list = app.add_subcommand("list", "List operations");
  AddFilterFlags(list, list_args);

  std::string get_id;
  CLI::App* get = app.add_subcommand("get", "Show one operation, with why it was cancelled");
  get->add_option("id", get_id, "Operation id")->required();

  std::vector<std::string> cancel_ids;
  std::string cancel_message;
  bool no_cascade = false;
  CLI::App* cancel = app.add_subcommand("cancel", "Cancel operations (and their descendants)");
  cancel->add_option("ids", cancel_ids, "Operation ids")->required();
  cancel->add_option("-m,--message", cancel_message, "Why (recorded with the cancel)");
  cancel->add_flag("--no-cascade", no_cascade, "Leave descendants running");

  cc::CancelAllArgs cancel_all_args;
  CLI::App* cancel_all = app.add_subcommand("cancel-all", "Cancel every matching operation");
  cancel_all->add_option("-l,--selector", cancel_all_args.filter.selector, "Label selector");
  cancel_all->add_option("--name", cancel_all_args.filter.name_glob, "Shell glob on the name");
  cancel_all->add_flag("--all", cancel_all_args.all, "Every operation on the host");
  cancel_all->add_flag("--dry-run", cancel_all_args.dry_run, "Show what would be cancelled");
  cancel_all->add_flag("-y,--yes", cancel_all_args.yes, "Do not ask");
  cancel_all->add_option("-m,--message", cancel_all_args.message, "Why");

  cc::WatchArgs watch_args;
  CLI::App* watch = app.add_subcommand("watch", "Stream events as they happen");
  AddFilterFlags(watch, watch_args.filter);
  watch->add_option("--count", watch_args.count, "Stop after N events");
  watch->add_option("--from-sequence", watch_args.from_sequence,
                    "Replay events after this sequence first");

  CLI::App* health = app.add_subcommand("health", "Is canceld serving?");
  CLI::App* version = app.add_subcommand("version", "Print the version");

  cc::RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "Run a command as an operation (cancelctl run -- CMD)");
  run->add_option("--name", run_args.name, "Operation name (default: the command)");
  run->add_option("-l,--label", run_args.labels, "k=v (repeatable)");
  run->add_option("--timeout", run_args.timeout, "Deadline, e.g. 30s");
  run->add_option("--parent", run_args.parent_id, "Parent operation id");
  run->add_option("--grace", run_args.grace, "SIGTERM to SIGKILL delay (default 10s)");
  run->add_option("command", run_args.command, "The command and its arguments")->required();
  run->prefix_command();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cc::kOk : cc::kUsage;
  }

  cc::GlobalOptions global;
  global.endpoint = hother::cancelable::ResolveEndpoint(endpoint);
  if (!absl::ParseDuration(timeout, &global.timeout) || global.timeout <= absl::ZeroDuration()) {
    std::cerr << "cancelctl: --timeout '" << timeout << "' is not a positive duration like 5s\n";
    return cc::kUsage;
  }
  global.format = output == "json" ? cc::Format::kJson
                  : output == "wide" ? cc::Format::kWide
                                     : cc::Format::kTable;
  if (*version) {
    std::cout << "cancelctl " << cc::kVersion << "\n";
    return cc::kOk;
  }
  if (*run) return cc::RunCommand(global, run_args);
  cc::Cli cli(global);
  if (*list) return cc::ListCommand(cli, list_args);
  if (*get) return cc::GetCommand(cli, get_id);
  if (*cancel) return cc::CancelCommand(cli, cancel_ids, cancel_message, no_cascade);
  if (*cancel_all) return cc::CancelAllCommand(cli, cancel_all_args);
  if (*watch) return cc::WatchCommand(cli, watch_args);
  if (*health) return cc::HealthCommand(cli);
  return cc::kUsage;
}
