// The subcommands of the lambdahat program. Each adds itself to the parser and
// returns the function that runs it.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "problems.hpp"

namespace lambdahat::cli {

using Runner = std::function<int()>;

// Flags that choose a model (shared by theory, llc and the studies).
void add_model_flags(CLI::App& app, ProblemSpec& spec, bool with_training = true);

Runner add_theory_command(CLI::App& app);
Runner add_llc_command(CLI::App& app);
Runner add_calibrate_command(CLI::App& app);
Runner add_scaling_command(CLI::App& app);
Runner add_grok_command(CLI::App& app);
Runner add_tms_command(CLI::App& app);
Runner add_paper_command(CLI::App& app);

}  // namespace lambdahat::cli
