// The subcommands of the lambdahat program. Each adds itself to the parser and
// returns the function that runs it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "problems.hpp"

namespace lambdahat::cli {

using Runner = std::function<int()>;

// Flags that choose a model (shared by theory, llc and the studies).
void add_model_flags(CLI::App& app, ProblemSpec& spec, bool with_training = true);

Runner add_theory_command(CLI::App& app);
Runner add_llc_command(CLI::App& app);
Runner add_calibrate_command(CLI::App& app);
Runner add_free_energy_command(CLI::App& app);
Runner add_params_command(CLI::App& app);
// the studies (cli/studies/, registered in cli/cmd_studies.cpp)
Runner add_scaling_command(CLI::App& app);
Runner add_grok_command(CLI::App& app);
Runner add_tms_command(CLI::App& app);
Runner add_paper_command(CLI::App& app);
Runner add_merge_command(CLI::App& app);

// Every subcommand, in the order `lambdahat --help` lists them: the one table a new
// subcommand or study is added to.
using AddCommand = Runner (*)(CLI::App&);
inline constexpr AddCommand kCommands[] = {
    add_theory_command,  add_params_command, add_llc_command, add_free_energy_command, add_calibrate_command,
    add_scaling_command, add_grok_command,   add_tms_command, add_paper_command,        add_merge_command};

// Parses `args` (the words after the program name) and runs the subcommand; returns
// the exit code (0 an estimate or result, 1 no estimate, 2 a usage error, 3 an
// estimate with warnings under --strict). `lambdahat merge` uses it to finish a
// study.
int run_lambdahat(const std::vector<std::string>& args);
// The words of the command line being run (after the program name).
const std::vector<std::string>& command_args();

// `lambdahat --version`: the version and what the build has (instruction set,
// OpenMP threads, the reference path).
std::string version_text();

}  // namespace lambdahat::cli
