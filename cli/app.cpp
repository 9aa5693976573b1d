#include <cstdio>

#include <set>

#include "cluster.hpp"
#include "commands.hpp"
#include "report.hpp"

namespace lambdahat::cli {

namespace {
std::vector<std::string>& recorded_args() {
  static std::vector<std::string> args;
  return args;
}
}  // namespace

const std::vector<std::string>& command_args() { return recorded_args(); }

int run_lambdahat(const std::vector<std::string>& args) {
  // CLI11 reads argc/argv; the strings stay alive for the whole run
  std::vector<std::string> words{"lambdahat"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  const int argc = static_cast<int>(argv.size());
  recorded_args() = args;

  CLI::App app{"lambdahat: local learning coefficients (LLC) and free energies of small neural networks", "lambdahat"};
  app.footer("lambdahat SUBCOMMAND --help shows a subcommand's flags.");
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  const std::vector<std::pair<CLI::App*, Runner>> commands = [&] {
    std::vector<std::pair<CLI::App*, Runner>> list;
    for (AddCommand add : kCommands) {
      Runner run = add(app);
      list.emplace_back(app.get_subcommands({}).back(), std::move(run));
    }
    return list;
  }();
  // A result that did not reach standard output (a full disk, a closed pipe) is a
  // failure, not a success.
  const auto finish = [](int code) {
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
      std::fprintf(stderr, "error: writing to standard output failed\n");
      return code == 0 || code == 3 ? 2 : code;
    }
    return code;
  };
  // a bare `lambdahat` shows what it can do, as --help does
  if (args.empty()) {
    if (cluster::is_writer()) std::fputs(app.help().c_str(), stdout);
    return finish(0);
  }
  try {
    app.parse(argc, argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return finish(cluster::is_writer() ? app.exit(e) : 0);
    if (cluster::is_writer()) std::fprintf(stderr, "error: %s (see lambdahat --help)\n", e.what());
    return 2;  // every rank parses the same line and stops here alike
  }
  // An error on any rank of an MPI job ends every rank (the others would wait for it).
  const auto error = [](const char* what) {
    if (cluster::distributed()) {
      std::fprintf(stderr, "error (rank %d of %d): %s\n", cluster::rank(), cluster::size(), what);
      cluster::abort(2);
    }
    std::fprintf(stderr, "error: %s\n", what);
    return 2;
  };
  try {
    for (const auto& [sub, run] : commands) {
      if (!sub->parsed()) continue;
      // the studies share their units among the ranks and llc its chains; the other
      // subcommands would only run N times over
      static const std::set<std::string> shared = {"llc", "scaling", "grok", "tms", "paper"};
      check(!cluster::distributed() || shared.count(sub->get_name()) > 0, "lambdahat",
            "under MPI only llc and the studies (scaling, grok, tms, paper) share their work among the ranks; run "
            "lambdahat ",
            sub->get_name(), " as one process");
      return finish(run());
    }
  } catch (const lambdahat::Error& e) {
    return error(e.what());
  } catch (const std::exception& e) {
    return error(e.what());
  }
  return 0;
}

}  // namespace lambdahat::cli
