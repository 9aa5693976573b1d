// The sampler flags shared by llc, calibrate and free-energy, and the checks every
// run passes before any data is made or any model trained.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "flags.hpp"
#include "problems.hpp"

namespace lambdahat::cli {

// Unset flags leave the setting to the family's defaults, that is, to the calibration.
struct SamplerFlags {
  std::string sampler = "sgld";
  std::string preset;
  std::optional<std::int64_t> chains, draws, burnin, every, batch, mala_every, max_steps, threads;
  std::optional<double> epsilon, nbeta, gamma;
  double max_memory = kDefaultMaxMemoryGiB;
  std::vector<std::string> sample_only;
};

// Which sampler flags a subcommand takes: an estimate's (the calibration's flags,
// the preset) or a sweep's (fixed draws and burn-in for every cell).
enum class SamplerFlagSet { estimate, sweep };
void add_sampler_flags(CLI::App& cmd, SamplerFlags& f, SamplerFlagSet set);

// The flags given on the command line, as "--name".
std::vector<std::string> given_flags(const CLI::App& app);

// --checkpoint FILE: the model flags and the seed recorded in the checkpoint's
// metadata fill in those not given on the command line; a given one that differs
// from the record gets a warning on standard error (another seed or --n draws
// another data set than the one the weights were trained on). Call it before
// sampler_config, which reads the seed.
void apply_checkpoint_record(const CLI::App& cmd, ProblemSpec& spec);

// The sampler settings: the family's defaults (or the preset), then every flag given.
SamplerConfig sampler_config(const SamplerFlags& f, const ProblemSpec& spec);

// Everything that can be checked before the data is made: the flags that apply to
// the model, the checkpoint file, the memory the problem needs, the threads, and the
// names given to --sample-only.
void check_before_work(const CLI::App& cmd, const ProblemSpec& spec, const SamplerFlags& f, const SamplerConfig& c);

}  // namespace lambdahat::cli
