// The cancelctl commands, each a function of the Cli (connection, options,
// streams) and its own arguments, returning the process exit code (cli.h).
// invocation.h parses a command line into the arguments and dispatches here.
#ifndef HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_
#define HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "client/cancelctl/cli.h"

namespace hother::cancelable::cancelctl {

struct FilterArgs {
  std::string selector;               // -l
  std::vector<std::string> statuses;  // --status (repeatable)
  std::string name_glob;              // --name
};

struct ListArgs {
  FilterArgs filter;
  bool all = false;  // --all: finished operations too (without --status: live ones only)
};

struct CancelArgs {
  std::vector<std::string> ids;
  std::string message;
  bool no_cascade = false;
};

struct CancelAllArgs {
  FilterArgs filter;
  bool all = false;
  bool dry_run = false;
  bool yes = false;
  std::string message;
};

struct WatchArgs {
  FilterArgs filter;
  int count = 0;               // stop after this many events (0: never)
  uint64_t from_sequence = 0;  // replay from this sequence, inclusive (0: only new events)
};

struct RunArgs {
  std::string name;
  std::vector<std::string> labels;  // k=v
  std::string timeout;              // the operation's deadline: a duration, or empty
  std::string parent_id;
  std::string grace = "10s";
  std::vector<std::string> tokens;      // --token NAME (repeatable)
  std::vector<std::string> signals;     // --signal USR1 (repeatable)
  std::vector<std::string> conditions;  // --condition SPEC[@INTERVAL] (repeatable)
  std::vector<std::string> command;
};

struct TokenCreateArgs {
  std::string name;
  std::vector<std::string> labels;  // k=v
  std::string timeout;
  std::vector<std::string> all_of;
};

struct TokenArgs {
  std::string name;      // get, cancel
  std::string message;   // cancel
  std::string selector;  // list
  std::string source;    // link
  std::string target;    // link
  bool force = false;    // delete
};

struct DeadlineArgs {
  std::string target;  // an operation id, or a token name with --token
  bool token = false;
  std::string in;  // a duration from now
  std::string at;  // RFC 3339
  bool none = false;
};

// cancelctl auth can-i VERB [TARGET] [--token]
struct CanIArgs {
  std::string verb;
  std::string target;
  bool token = false;  // TARGET is a token name (for deadline)
};

int ListCommand(Cli& cli, const ListArgs& args);
// `causes_from`: the cause chain starts at this hop (GetOperationRequest.cause_offset).
int GetCommand(Cli& cli, const std::string& id, int64_t causes_from);
int CancelCommand(Cli& cli, const CancelArgs& args);
int CancelAllCommand(Cli& cli, const CancelAllArgs& args, Input input);
int WatchCommand(Cli& cli, const WatchArgs& args);
int HealthCommand(Cli& cli);
int VersionCommand(Cli& cli);
int RunCommand(const GlobalOptions& global, const RunArgs& args, Streams streams);
int TokensCreateCommand(Cli& cli, const TokenCreateArgs& args);
int TokensGetCommand(Cli& cli, const TokenArgs& args);
int TokensListCommand(Cli& cli, const TokenArgs& args);
int TokensCancelCommand(Cli& cli, const TokenArgs& args);
int TokensLinkCommand(Cli& cli, const TokenArgs& args);
int TokensDeleteCommand(Cli& cli, const TokenArgs& args);
int DeadlineCommand(Cli& cli, const DeadlineArgs& args);
int ConditionsCommand(Cli& cli);
// "yes"/"no" and why; exit 0 for yes, 4 for no.
int CanICommand(Cli& cli, const CanIArgs& args);

// Fills `out` from the filter flags; false (with a message on err) for a bad
// --status.
bool BuildFilter(const FilterArgs& args, pb::OperationFilter* out, std::ostream& err);
// "k=v" strings into a map; false (with a message on err) for a malformed one.
bool ParseLabels(const std::vector<std::string>& labels, const char* flag,
                 std::map<std::string, std::string>* out, std::ostream& err);

}  // namespace hother::cancelable::cancelctl

#endif  // HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_
