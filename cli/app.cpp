#include <cstdio>

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

  CLI::App app{"lambdahat: local learning coefficients (LLC) and free energies of small neural networks"};
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
  try {
    app.parse(argc, argv.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return finish(app.exit(e));
    std::fprintf(stderr, "error: %s (see lambdahat --help)\n", e.what());
    return 2;
  }
  try {
    for (const auto& [sub, run] : commands)
      if (sub->parsed()) return finish(run());
  } catch (const lambdahat::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}

}  // namespace lambdahat::cli
