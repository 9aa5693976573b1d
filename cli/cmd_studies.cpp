// The study subcommands (scaling, grok, tms, paper) — see cli/studies/.
#include "commands.hpp"

namespace lambdahat::cli {

Runner add_scaling_command(CLI::App& app) {
  app.add_subcommand("scaling", "LLC against problem difficulty (not built yet)");
  return [] { fail("lambdahat", "scaling is not available yet"); return 1; };
}
Runner add_grok_command(CLI::App& app) {
  app.add_subcommand("grok", "the grokking rate study (not built yet)");
  return [] { fail("lambdahat", "grok is not available yet"); return 1; };
}
Runner add_tms_command(CLI::App& app) {
  app.add_subcommand("tms", "the superposition study (not built yet)");
  return [] { fail("lambdahat", "tms is not available yet"); return 1; };
}
Runner add_paper_command(CLI::App& app) {
  app.add_subcommand("paper", "every study and an HTML report (not built yet)");
  return [] { fail("lambdahat", "paper is not available yet"); return 1; };
}

}  // namespace lambdahat::cli
