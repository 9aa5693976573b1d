// The problems the lambdahat command works on: for each model family, the data, the
// model trained to w* the way docs/theory.md describes, the loss, the exact learning
// coefficient when one is known, and the family's default sampler settings
// (documented in slt/README.md).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lambdahat.hpp"

namespace lambdahat::cli {

struct ProblemSpec {
  std::string model = "polynomial";  // polynomial, dln, rrr, autoencoder, tms, grok
  std::vector<int> powers = {1, 3};                 // polynomial
  std::vector<std::int64_t> widths = {5, 3, 5};     // dln / rrr (rrr: exactly three)
  std::optional<std::int64_t> rank;                 // dln / rrr teacher rank (unset: 0); autoencoder data rank s (unset: 2)
  std::int64_t dim = 6, bottleneck = 3;             // autoencoder d and h
  bool relu = false, tied = false;                  // autoencoder
  std::int64_t features = 8, hidden = 2;            // tms
  std::int64_t kgon = 0;                            // tms: start at this regular k-gon (0: the seed study's start)
  std::int64_t p = 53;                              // grok
  std::optional<std::int64_t> n;                    // data set size (unset: the family's default)
  std::optional<std::int64_t> train_steps;          // training steps or epochs (unset: the family's default)
  std::uint64_t seed = 0;
  std::string checkpoint;                           // load w* from here instead of training
  std::string network, data, loss;                  // network: description, data file, loss (mse, ce, sse)
};

// The rank in use: the given --rank, or the family's default.
std::int64_t rank_of(const ProblemSpec& spec);

struct Problem {
  std::string family;
  std::string description;  // one line for summaries
  std::unique_ptr<Module> model;  // at w*
  Dataset data;
  LossFn loss;
  std::optional<LearningCoefficient> theory;
  SamplerConfig sampler;    // the family's default settings
  double train_loss = 0;    // L_n(w*) on the data
  std::optional<double> eval_loss;  // the loss at w* on an evaluation set, where there is one
};

// Validates the spec (one-line lambdahat::Error for impossible values), builds the
// data and the model, and trains it (or loads the checkpoint). `log` receives
// progress lines.
Problem make_problem(const ProblemSpec& spec, const std::function<void(const std::string&)>& log = {});

// The family's default sampler settings for a spec (no training needed): the step
// size, draws and burn-in left to the calibration, plus the grokking MLP's hints.
SamplerConfig default_sampler(const ProblemSpec& spec);

// The seed study's fixed settings (--preset seed-study), for tms and grok only.
SamplerConfig seed_study_sampler(const ProblemSpec& spec);

// The model flags that apply to each family (--powers to polynomial, --p to grok,
// …). Given flags that do not apply to spec.model are an error, not ignored.
void check_flags_apply(const ProblemSpec& spec, const std::vector<std::string>& given_flags);

// About how many bytes making the problem and sampling `chains` chains takes: the
// data, the full-batch activations and the chains' parameters, optimizer state and
// gradients. Used to refuse sizes beyond --max-memory before allocating.
double estimated_bytes(const ProblemSpec& spec, std::int64_t chains);

// The calibration's default budget of steps per chain (--max-steps unset): 200 000,
// lowered for large problems so that the main run costs at most about 10¹³
// multiply–adds over all chains (a step: about 3 × batch × parameters), a few
// minutes on two cores; never below `floor` (the first round's length).
std::int64_t default_max_steps(const ProblemSpec& spec, const SamplerConfig& config, std::int64_t data_size,
                               std::int64_t floor);

// The theory value for a spec, if the family has one (no training needed).
std::optional<LearningCoefficient> theory_for(const ProblemSpec& spec);

// The exact finite-n value the estimator targets, nβ (E[L_n(w)] − L_n(w*)) for this
// very data set and these sampler settings, where it can be computed: polynomial
// regressors with one or two parameters, w* = 0 (no checkpoint), γ > 0
// (polynomial_regressor_finite_n). Otherwise nullopt.
std::optional<double> finite_n_target(const ProblemSpec& spec, const Problem& problem, const SamplerConfig& config);

// Checkpoints record the problem that made them (cli/checkpoint_record.cpp): the
// model flags and the seed, as safetensors metadata with the flags' names as keys.
std::map<std::string, std::string> checkpoint_metadata(const ProblemSpec& spec);
// Fills the flags not given on the command line from spec.checkpoint's record and
// returns a warning for each given flag that differs from it (another data set than
// the one the weights were trained on). Throws lambdahat::Error for a record of
// another model or a value that does not parse.
std::vector<std::string> apply_checkpoint_metadata(ProblemSpec& spec, const std::vector<std::string>& given_flags);

// The parameters of the spec's model, by name, with their shapes (made, not trained).
std::vector<std::pair<std::string, Dims>> model_parameters(const ProblemSpec& spec);
// --sample-only: every name must be one of the model's parameters; the error lists them.
void check_sample_only(const ProblemSpec& spec, const std::vector<std::string>& names);

}  // namespace lambdahat::cli
