// lambdahat: local learning coefficients, free energies and the seed study from the
// command line. A thin layer over the library: it parses flags, calls slt/ and nn/,
// and prints or writes the results. The subcommands are the table kCommands
// (commands.hpp); run_lambdahat (app.cpp) parses and runs them.
#include "commands.hpp"

int main(int argc, char** argv) {
  return lambdahat::cli::run_lambdahat(std::vector<std::string>(argv + 1, argv + argc));
}
