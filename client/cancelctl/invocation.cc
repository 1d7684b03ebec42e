#include "client/cancelctl/invocation.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hother/cancelable/internal/endpoint.h"

namespace hother::cancelable::cancelctl {
namespace {

const std::vector<std::string> kCommands = {"list",   "get",      "cancel",     "cancel-all",
                                            "watch",  "health",   "version",    "run",
                                            "tokens", "deadline", "conditions", "auth"};
const std::vector<std::string> kTokenCommands = {"create", "get",  "list",
                                                 "cancel", "link", "delete"};
// Global flags that take a value (the word after them is not a command).
const std::vector<std::string> kGlobalValueFlags = {"--endpoint", "--rpc-timeout", "-o", "--output",
                                                    "--trust-uid"};

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The command closest to `word`, when one is close enough to be a typo.
std::optional<std::string> Suggest(const std::string& word, const std::vector<std::string>& names) {
  std::optional<std::string> best;
  size_t best_distance = 3;
  for (const std::string& name : names) {
    const size_t d = absl::StartsWith(name, word) ? 1 : EditDistance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

// The first word of `args` from `from` that is not a global flag or its
// value: the command the user named.
std::optional<size_t> CommandWord(const std::vector<std::string>& args, size_t from) {
  for (size_t i = from; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return std::nullopt;
    if (!absl::StartsWith(arg, "-")) return i;
    if (std::find(kGlobalValueFlags.begin(), kGlobalValueFlags.end(), arg) !=
        kGlobalValueFlags.end()) {
      ++i;  // its value
    }
  }
  return std::nullopt;
}

// "unknown command 'lsit' (did you mean 'list'?)", or nullopt when the
// command line names known commands.
std::optional<std::string> UnknownCommand(const std::vector<std::string>& args) {
  std::optional<size_t> at = CommandWord(args, 0);
  if (!at.has_value()) return std::nullopt;  // CLI11 says a command is required
  const std::vector<std::string>* names = &kCommands;
  std::string word = args[*at];
  std::string prefix;
  if (word == "tokens") {
    at = CommandWord(args, *at + 1);
    if (!at.has_value()) return std::nullopt;
    names = &kTokenCommands;
    prefix = "tokens ";
    word = args[*at];
  }
  if (std::find(names->begin(), names->end(), word) != names->end()) return std::nullopt;
  std::string message = absl::StrCat("unknown command '", prefix, word, "'");
  if (std::optional<std::string> close = Suggest(word, *names)) {
    absl::StrAppend(&message, " (did you mean '", prefix, *close, "'?)");
  } else {
    absl::StrAppend(&message, "; the commands are: ", absl::StrJoin(*names, ", "));
  }
  return message;
}

void AddFilterFlags(CLI::App* command, FilterArgs& filter) {
  command->add_option("-l,--selector", filter.selector,
                      "Label selector: k=v, k!=v, 'k in (a,b)', 'k notin (a,b)', k, !k; "
                      "comma = and");
  command->add_option("--name", filter.name_glob, "Shell glob on the operation name");
  command->add_option("--status", filter.statuses,
                      "running, cancelling, completed, cancelled, failed, timeout or lost "
                      "(repeatable)");
}

// The flags of each command, bound to `inv`; returns the command per subcommand.
using CommandTable = std::vector<std::pair<CLI::App*, Command>>;

void AddOperationCommands(CLI::App& app, Invocation& inv, CommandTable& table) {
  CLI::App* list = app.add_subcommand("list", "List live operations (--all: finished ones too)");
  AddFilterFlags(list, inv.list.filter);
  list->add_flag("--all", inv.list.all, "Finished operations too (canceld keeps --history N)");
  table.emplace_back(list, Command::kList);

  CLI::App* get = app.add_subcommand("get", "Show one operation, with why it was cancelled");
  get->add_option("id", inv.get_id, "Operation id")->required();
  get->add_option("--causes-from", inv.get_causes_from,
                  "Show the cause chain from this hop on (0: the direct cause), for a chain "
                  "longer than one answer holds")
      ->check(CLI::NonNegativeNumber);
  table.emplace_back(get, Command::kGet);

  CLI::App* cancel = app.add_subcommand("cancel", "Cancel operations (and their descendants)");
  cancel->add_option("ids", inv.cancel.ids, "Operation ids")->required();
  cancel->add_option("-m,--message", inv.cancel.message, "Why (recorded with the cancel)");
  cancel->add_flag("--no-cascade", inv.cancel.no_cascade, "Leave descendants running");
  table.emplace_back(cancel, Command::kCancel);

  CLI::App* cancel_all = app.add_subcommand("cancel-all", "Cancel every matching operation");
  cancel_all->add_option("-l,--selector", inv.cancel_all.filter.selector, "Label selector");
  cancel_all->add_option("--name", inv.cancel_all.filter.name_glob, "Shell glob on the name");
  cancel_all->add_flag("--all", inv.cancel_all.all, "Every operation on the host");
  cancel_all->add_flag("--dry-run", inv.cancel_all.dry_run, "Show what would be cancelled");
  cancel_all->add_flag("-y,--yes", inv.cancel_all.yes, "Do not ask");
  cancel_all->add_option("-m,--message", inv.cancel_all.message, "Why");
  table.emplace_back(cancel_all, Command::kCancelAll);

  CLI::App* watch = app.add_subcommand("watch", "Stream events as they happen");
  AddFilterFlags(watch, inv.watch.filter);
  watch->add_option("--count", inv.watch.count, "Stop after N events (0, the default: never)");
  watch->add_option("--from-sequence", inv.watch.from_sequence,
                    "Replay retained events from this sequence on (inclusive) first");
  table.emplace_back(watch, Command::kWatch);

  CLI::App* deadline = app.add_subcommand("deadline", "Set, move or remove a deadline");
  deadline->add_option("target", inv.deadline.target, "Operation id (or token name with --token)")
      ->required();
  deadline->add_flag("--token", inv.deadline.token, "The target is a named token");
  deadline->add_option("--in", inv.deadline.in, "From now, e.g. 30s");
  deadline->add_option("--at", inv.deadline.at, "An RFC 3339 time");
  deadline->add_flag("--none", inv.deadline.none, "Remove the deadline");
  table.emplace_back(deadline, Command::kDeadline);
}

void AddRunCommand(CLI::App& app, Invocation& inv, CommandTable& table) {
  RunArgs& run_args = inv.run;
  CLI::App* run = app.add_subcommand("run", "Run a command as an operation (cancelctl run -- CMD)");
  run->add_option("--name", run_args.name, "Operation name (default: the command)");
  run->add_option("-l,--label", run_args.labels, "k=v (repeatable)");
  run->add_option("--timeout", run_args.timeout, "The operation's deadline from now, e.g. 30s");
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
  table.emplace_back(run, Command::kRun);
}

void AddTokenCommands(CLI::App& app, Invocation& inv, CommandTable& table) {
  CLI::App* tokens = app.add_subcommand("tokens", "Named tokens shared by services");
  tokens->require_subcommand(1);
  CLI::App* create = tokens->add_subcommand("create", "Create a named token");
  create->add_option("name", inv.token_create.name, "deploy-42, tenant/acme, ...")->required();
  create->add_option("-l,--label", inv.token_create.labels, "k=v (repeatable)");
  create->add_option("--timeout", inv.token_create.timeout, "Deadline from now, e.g. 1h");
  create->add_option("--all-of", inv.token_create.all_of,
                     "Cancelled once all of these tokens are (repeatable)");
  table.emplace_back(create, Command::kTokensCreate);
  CLI::App* get = tokens->add_subcommand("get", "Show a token");
  get->add_option("name", inv.token.name, "Token name")->required();
  table.emplace_back(get, Command::kTokensGet);
  CLI::App* list = tokens->add_subcommand("list", "List tokens");
  list->add_option("-l,--selector", inv.token.selector, "Label selector");
  table.emplace_back(list, Command::kTokensList);
  CLI::App* cancel = tokens->add_subcommand("cancel", "Cancel a token and everything below it");
  cancel->add_option("name", inv.token.name, "Token name")->required();
  cancel->add_option("-m,--message", inv.token.message, "Why");
  table.emplace_back(cancel, Command::kTokensCancel);
  CLI::App* link = tokens->add_subcommand("link", "Cancel TARGET whenever SOURCE is cancelled");
  link->add_option("source", inv.token.source, "Source token")->required();
  link->add_option("target", inv.token.target, "Target token")->required();
  table.emplace_back(link, Command::kTokensLink);
  CLI::App* del = tokens->add_subcommand(
      "delete", "Delete a token and its links (refused while operations are attached)");
  del->add_option("name", inv.token.name, "Token name")->required();
  del->add_flag("--force", inv.token.force, "Delete it although live operations are attached");
  table.emplace_back(del, Command::kTokensDelete);
}

// --endpoint, --rpc-timeout and -o into `global`; false (with a message) for bad values.
bool ResolveGlobals(const std::string& endpoint, const std::string& rpc_timeout,
                    const std::string& output, GlobalOptions& global, std::ostream& err) {
  global.endpoint = ResolveEndpoint(endpoint);
  const char* env = std::getenv("CANCELD_ENDPOINT");
  global.explicit_endpoint = !endpoint.empty() || (env != nullptr && *env != '\0');
  global.format = output == "json"   ? Format::kJson
                  : output == "wide" ? Format::kWide
                                     : Format::kTable;
  return ParseDurationFlag("--rpc-timeout", rpc_timeout, /*positive=*/true, &global.rpc_timeout,
                           err);
}

}  // namespace

std::variant<Invocation, int> ParseInvocation(const std::vector<std::string>& args,
                                              Streams streams) {
  if (std::optional<std::string> unknown = UnknownCommand(args)) {
    streams.err << "cancelctl: " << *unknown << "\n";
    return kUsage;
  }
  Invocation inv;
  CLI::App app{"cancelctl: see and cancel the operations of canceld"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags may also follow the command
  std::string endpoint, rpc_timeout = "5s", output = "table";
  app.add_option("--endpoint", endpoint,
                 "unix:/path or host:port (default: $CANCELD_ENDPOINT, then the daemon's "
                 "default socket)");
  app.add_option("--rpc-timeout", rpc_timeout, "How long each call waits for canceld (default 5s)");
  app.add_option("--trust-uid", inv.global.trust_uids,
                 "A uid canceld may run as besides root, the canceld user and yours "
                 "(repeatable; checked before anything is sent)");
  app.add_option("-o,--output", output, "table, wide or json")
      ->check(CLI::IsMember({"table", "wide", "json"}));
  CommandTable table;
  AddOperationCommands(app, inv, table);
  AddRunCommand(app, inv, table);
  AddTokenCommands(app, inv, table);
  table.emplace_back(app.add_subcommand("health", "Is canceld serving?"), Command::kHealth);
  table.emplace_back(app.add_subcommand("version", "cancelctl's version, and canceld's"),
                     Command::kVersion);
  table.emplace_back(app.add_subcommand("conditions", "Conditions polled, with their last result"),
                     Command::kConditions);
  CLI::App* auth = app.add_subcommand("auth", "What canceld lets you do");
  auth->require_subcommand(1);
  CLI::App* can_i = auth->add_subcommand(
      "can-i", "May I VERB TARGET? (cancel ID, deadline ID, token-cancel NAME, cancel-all, ...)");
  can_i
      ->add_option("verb", inv.can_i.verb,
                   "cancel, deadline, cancel-all, token-create, token-cancel, token-link, "
                   "token-delete, list, watch")
      ->required();
  can_i->add_option("target", inv.can_i.target, "Operation id, or token name");
  can_i->add_flag("--token", inv.can_i.token, "TARGET is a token (for deadline)");
  table.emplace_back(can_i, Command::kAuthCanI);
  std::vector<const char*> argv = {"cancelctl"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e, streams.out, streams.err) == 0 ? kOk : kUsage;
  }
  if (!ResolveGlobals(endpoint, rpc_timeout, output, inv.global, streams.err)) return kUsage;
  for (const auto& [subcommand, command] : table) {
    if (subcommand->parsed()) inv.command = command;
  }
  return inv;
}

int Execute(const Invocation& inv, Streams streams, Input input) {
  if (inv.command == Command::kRun) return RunCommand(inv.global, inv.run, streams);
  Cli cli(inv.global, streams);
  if (!cli.Untrusted().ok()) {
    streams.err << "cancelctl: " << cli.Untrusted().message() << "\n";
    return kPermissionDenied;
  }
  switch (inv.command) {
    case Command::kList:
      return ListCommand(cli, inv.list);
    case Command::kGet:
      return GetCommand(cli, inv.get_id, inv.get_causes_from);
    case Command::kCancel:
      return CancelCommand(cli, inv.cancel);
    case Command::kCancelAll:
      return CancelAllCommand(cli, inv.cancel_all, input);
    case Command::kWatch:
      return WatchCommand(cli, inv.watch);
    case Command::kHealth:
      return HealthCommand(cli);
    case Command::kVersion:
      return VersionCommand(cli);
    case Command::kTokensCreate:
      return TokensCreateCommand(cli, inv.token_create);
    case Command::kTokensGet:
      return TokensGetCommand(cli, inv.token);
    case Command::kTokensList:
      return TokensListCommand(cli, inv.token);
    case Command::kTokensCancel:
      return TokensCancelCommand(cli, inv.token);
    case Command::kTokensLink:
      return TokensLinkCommand(cli, inv.token);
    case Command::kTokensDelete:
      return TokensDeleteCommand(cli, inv.token);
    case Command::kDeadline:
      return DeadlineCommand(cli, inv.deadline);
    case Command::kConditions:
      return ConditionsCommand(cli);
    case Command::kAuthCanI:
      return CanICommand(cli, inv.can_i);
    case Command::kRun:
      break;
  }
  return kUsage;
}

int Main(int argc, const char* const* argv, Streams streams, Input input) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::variant<Invocation, int> parsed = ParseInvocation(args, streams);
  if (const int* code = std::get_if<int>(&parsed)) return *code;
  return Execute(std::get<Invocation>(parsed), streams, input);
}

}  // namespace hother::cancelable::cancelctl
