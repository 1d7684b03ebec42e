// The cancelctl commands. Each returns the process exit code (see cli.h).
#ifndef HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_
#define HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/cancelctl/cli.h"

namespace hother::cancelable::cancelctl {

inline constexpr char kVersion[] = "0.1.0";

struct FilterArgs {
  std::string selector;               // -l
  std::vector<std::string> statuses;  // --status (repeatable)
  std::string name_glob;              // --name
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
  int count = 0;  // stop after this many events (0: never)
  uint64_t from_sequence = 0;
};

struct RunArgs {
  std::string name;
  std::vector<std::string> labels;  // k=v
  std::string timeout;              // a duration, or empty
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

struct DeadlineArgs {
  std::string target;  // an operation id, or a token name with --token
  bool token = false;
  std::string in;  // a duration from now
  std::string at;  // RFC 3339
  bool none = false;
};

int ListCommand(Cli& cli, const FilterArgs& args);
int GetCommand(Cli& cli, const std::string& id);
int CancelCommand(Cli& cli, const std::vector<std::string>& ids, const std::string& message,
                  bool no_cascade);
int CancelAllCommand(Cli& cli, const CancelAllArgs& args);
int WatchCommand(Cli& cli, const WatchArgs& args);
int HealthCommand(Cli& cli);
int RunCommand(const GlobalOptions& global, const RunArgs& args);
int TokensCreateCommand(Cli& cli, const TokenCreateArgs& args);
int TokensGetCommand(Cli& cli, const std::string& name);
int TokensListCommand(Cli& cli, const std::string& selector);
int TokensCancelCommand(Cli& cli, const std::string& name, const std::string& message);
int TokensLinkCommand(Cli& cli, const std::string& source, const std::string& target);
int DeadlineCommand(Cli& cli, const DeadlineArgs& args);
int ConditionsCommand(Cli& cli);

// "k=v" strings into a map; false (with a message) for a malformed one.
bool ParseLabels(const std::vector<std::string>& labels, const char* flag,
                 std::map<std::string, std::string>* out);

}  // namespace hother::cancelable::cancelctl

#endif  // HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_
