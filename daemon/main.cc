// canceld: parses flags into DaemonOptions and runs the daemon.
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "daemon/daemon.h"
#include "daemon/flags.h"

int main(int argc, char** argv) {
  hother::cancelable::daemon::DaemonOptions options;
  CLI::App app{"canceld: the host-wide cancellation daemon"};
  bool version = false;
  hother::cancelable::daemon::AddDaemonFlags(app, options, version);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is 0; a usage error is 2
  }
  if (version) {
    std::cout << "canceld " << hother::cancelable::daemon::kVersion << "\n";
    return 0;
  }
  return hother::cancelable::daemon::RunDaemon(options);
}
