// cancelctl: see and cancel the operations of a host's canceld.
#include <unistd.h>

#include <iostream>

#include "client/cancelctl/invocation.h"

int main(int argc, char** argv) {
  return hother::cancelable::cancelctl::Main(argc, argv, {std::cout, std::cerr},
                                             {std::cin, isatty(STDIN_FILENO) != 0});
}
