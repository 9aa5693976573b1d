// lambdahat: local learning coefficients, free energies and the seed study from the
// command line. A thin layer over the library: it parses flags, calls slt/ and nn/,
// and prints or writes the results. The subcommands are the table kCommands
// (commands.hpp); run_lambdahat (app.cpp) parses and runs them.
#include "cluster.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace lambdahat::cli;
  cluster::init(argc, argv);  // joins an MPI job when started by mpirun or srun
  const int code = run_lambdahat(std::vector<std::string>(argv + 1, argv + argc));
  cluster::finalize();
  return code;
}
