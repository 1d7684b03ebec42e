// A cancelctl command line, parsed into one value, and its execution.
//
//   int main(int argc, char** argv) {
//     return cancelctl::Main(argc, argv, {std::cout, std::cerr},
//                            {std::cin, isatty(STDIN_FILENO) != 0});
//   }
//
// Tests call Main (or ParseInvocation and Execute) with string streams and
// an in-process daemon's endpoint.
//
// Thread-safety: stateless functions.
#ifndef HOTHER_CANCELABLE_CLIENT_CANCELCTL_INVOCATION_H_
#define HOTHER_CANCELABLE_CLIENT_CANCELCTL_INVOCATION_H_

#include <istream>
#include <string>
#include <variant>
#include <vector>

#include "client/cancelctl/cli.h"
#include "client/cancelctl/commands.h"

namespace hother::cancelable::cancelctl {

enum class Command {
  kList,
  kGet,
  kCancel,
  kCancelAll,
  kWatch,
  kHealth,
  kVersion,
  kRun,
  kTokensCreate,
  kTokensGet,
  kTokensList,
  kTokensCancel,
  kTokensLink,
  kTokensDelete,
  kDeadline,
  kConditions,
  kAuthCanI,
};

// Everything a command line says: the global options, which command, and
// that command's arguments (the others stay default).
struct Invocation {
  GlobalOptions global;
  Command command = Command::kHealth;
  ListArgs list;
  std::string get_id;
  int64_t get_causes_from = 0;
  CancelArgs cancel;
  CancelAllArgs cancel_all;
  WatchArgs watch;
  RunArgs run;
  TokenCreateArgs token_create;
  TokenArgs token;
  DeadlineArgs deadline;
  CanIArgs can_i;
};

// The invocation, or the exit code to return at once: 0 after --help (the
// help on out), kUsage after a usage error (the error on err, naming what was
// wrong: "unknown command 'lsit' (did you mean 'list'?)").
std::variant<Invocation, int> ParseInvocation(const std::vector<std::string>& args,
                                              Streams streams);
// Runs the command; returns its exit code. `input` answers cancel-all's question.
int Execute(const Invocation& invocation, Streams streams, Input input);
// ParseInvocation then Execute.
int Main(int argc, const char* const* argv, Streams streams, Input input);

}  // namespace hother::cancelable::cancelctl

#endif  // HOTHER_CANCELABLE_CLIENT_CANCELCTL_INVOCATION_H_
