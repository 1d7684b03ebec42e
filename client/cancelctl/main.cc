// cancelctl: see and cancel the operations of a host's canceld.
// Parses flags (CLI11) and calls one command; its result is the exit code.
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "client/cancelctl/cli.h"
#include "client/cancelctl/commands.h"
#include "hother/cancelable/internal/endpoint.h"

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
  run->add_option("--token", run_args.tokens, "Attach to a named token (repeatable)");
  run->add_option("--condition", run_args.conditions,
                  "Cancel when canceld sees it: 'file_exists(/run/stop)', "
                  "'memory_available_below(5%)', a configured name...; SPEC@500ms sets the "
                  "interval (repeatable)");
  run->add_option("--signal", run_args.signals,
                  "Cancel when canceld receives this signal: TERM, INT, HUP, USR1, USR2, QUIT "
                  "(repeatable)");
  run->add_option("command", run_args.command, "The command and its arguments")->required();
  run->prefix_command();

  CLI::App* tokens = app.add_subcommand("tokens", "Named tokens shared by services");
  tokens->require_subcommand(1);
  cc::TokenCreateArgs create_args;
  CLI::App* tokens_create = tokens->add_subcommand("create", "Create a named token");
  tokens_create->add_option("name", create_args.name, "deploy-42, tenant/acme, ...")->required();
  tokens_create->add_option("-l,--label", create_args.labels, "k=v (repeatable)");
  tokens_create->add_option("--timeout", create_args.timeout, "Deadline from now, e.g. 1h");
  tokens_create->add_option("--all-of", create_args.all_of,
                            "Cancelled once all of these tokens are (repeatable)");
  std::string token_name;
  CLI::App* tokens_get = tokens->add_subcommand("get", "Show a token");
  tokens_get->add_option("name", token_name, "Token name")->required();
  std::string token_selector;
  CLI::App* tokens_list = tokens->add_subcommand("list", "List tokens");
  tokens_list->add_option("-l,--selector", token_selector, "Label selector");
  std::string token_message;
  CLI::App* tokens_cancel =
      tokens->add_subcommand("cancel", "Cancel a token and everything below it");
  tokens_cancel->add_option("name", token_name, "Token name")->required();
  tokens_cancel->add_option("-m,--message", token_message, "Why");
  std::string link_source, link_target;
  CLI::App* tokens_link =
      tokens->add_subcommand("link", "Cancel TARGET whenever SOURCE is cancelled");
  tokens_link->add_option("source", link_source, "Source token")->required();
  tokens_link->add_option("target", link_target, "Target token")->required();

  CLI::App* conditions =
      app.add_subcommand("conditions", "Conditions being polled, with their last result");

  cc::DeadlineArgs deadline_args;
  CLI::App* deadline = app.add_subcommand("deadline", "Set, move or remove a deadline");
  deadline->add_option("target", deadline_args.target, "Operation id (or token name with --token)")
      ->required();
  deadline->add_flag("--token", deadline_args.token, "The target is a named token");
  deadline->add_option("--in", deadline_args.in, "From now, e.g. 30s");
  deadline->add_option("--at", deadline_args.at, "An RFC 3339 time");
  deadline->add_flag("--none", deadline_args.none, "Remove the deadline");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cc::kOk : cc::kUsage;
  }

  cc::GlobalOptions global;
  global.endpoint = hother::cancelable::ResolveEndpoint(endpoint);
  if (!cc::ParseDurationFlag("--timeout", timeout, /*positive=*/true, &global.timeout)) {
    return cc::kUsage;
  }
  global.format = output == "json"   ? cc::Format::kJson
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
  if (*tokens_create) return cc::TokensCreateCommand(cli, create_args);
  if (*tokens_get) return cc::TokensGetCommand(cli, token_name);
  if (*tokens_list) return cc::TokensListCommand(cli, token_selector);
  if (*tokens_cancel) return cc::TokensCancelCommand(cli, token_name, token_message);
  if (*tokens_link) return cc::TokensLinkCommand(cli, link_source, link_target);
  if (*deadline) return cc::DeadlineCommand(cli, deadline_args);
  if (*conditions) return cc::ConditionsCommand(cli);
  return cc::kUsage;
}
