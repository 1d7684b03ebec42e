// canceld: parses flags into DaemonOptions and runs the daemon.
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "daemon/daemon.h"
#include "daemon/flags.h"
#include "hother/cancelable/internal/endpoint.h"
#include "hother/cancelable/version.h"

int main(int argc, char** argv) {
  hother::cancelable::daemon::DaemonOptions options;
  CLI::App app{"canceld: the host-wide cancellation daemon"};
  hother::cancelable::daemon::MainFlags flags;
  hother::cancelable::daemon::AddDaemonFlags(app, options, flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is 0; a usage error is 2
  }
  options.max_sessions_given = app.count("--max-sessions") > 0;
  if (app.count("--state-dir") == 0) options.state_dir.clear();  // the config's, or the default
  if (flags.print_state_dir) {
    absl::StatusOr<std::string> dir = hother::cancelable::daemon::ResolveStateDir(options);
    if (!dir.ok()) {
      std::cerr << "canceld: " << dir.status().message() << "\n";
      return 1;
    }
    std::cout << *dir << "\n";
    return 0;
  }
  if (flags.reset_state) return hother::cancelable::daemon::ResetStateDir(options);
  if (flags.version) {
    std::cout << "canceld " << hother::cancelable::kVersion << "\n";
    return 0;
  }
  if (flags.print_endpoint) {
    if (options.listen.empty()) options.listen.push_back(hother::cancelable::ResolveEndpoint());
    for (const std::string& endpoint : options.listen) {
      std::cout << hother::cancelable::NormalizeEndpoint(endpoint) << "\n";
    }
    return 0;
  }
  return hother::cancelable::daemon::RunDaemon(options);
}
