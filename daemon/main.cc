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
