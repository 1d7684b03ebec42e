// The cancelctl commands. Each returns the process exit code (see cli.h).
#ifndef HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_
#define HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_

#include <cstdint>
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
  std::vector<std::string> command;
};

int ListCommand(Cli& cli, const FilterArgs& args);
int GetCommand(Cli& cli, const std::string& id);
int CancelCommand(Cli& cli, const std::vector<std::string>& ids, const std::string& message,
                  bool no_cascade);
int CancelAllCommand(Cli& cli, const CancelAllArgs& args);
int WatchCommand(Cli& cli, const WatchArgs& args);
int HealthCommand(Cli& cli);
int RunCommand(const GlobalOptions& global, const RunArgs& args);

}  // namespace hother::cancelable::cancelctl

#endif  // HOTHER_CANCELABLE_CLIENT_CANCELCTL_COMMANDS_H_
