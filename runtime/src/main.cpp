// canswarm: the node binary. See canswarm/runtime/cli.hpp for the commands.

#include <iostream>
#include <string>
#include <vector>

#include "canswarm/config/config.hpp"
#include "canswarm/runtime/cli.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  canswarm::cli::context ctx{std::cout, std::cerr,
                             canswarm::config::read_environment(), &std::cin};
  return canswarm::cli::run(args, ctx);
}
