// The model families of `lambdahat llc`, one registry entry each. An entry holds
// everything the command knows about a family: its name, the model flags that apply
// to it and their checks, its default sampler hints and the seed study's preset,
// its exact learning coefficient, a memory estimate, and how its data and model are
// made and trained (through the recipes of nn/recipes.hpp). Each family is defined in
// cli/families/<name>.cpp; families() lists them. A new family is one new file and
// one line in cli/families/registry.cpp.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "problems.hpp"

namespace lambdahat::cli {

// The sizes a family's problem takes, in bytes (long double: absurd sizes overflow
// 64-bit integers): the data, the full-batch activations, and the parameter count.
struct Footprint {
  long double data = 0, activations = 0, params = 0;
};

// What a family makes: data, a model (trained to w* unless a checkpoint follows), loss.
struct Made {
  std::unique_ptr<Module> model;
  Dataset data;
  LossFn loss;
  std::string description;  // one line for summaries
  Dataset eval = {};        // an evaluation set, where the family has one (network)
};

using Log = std::function<void(const std::string&)>;

struct Family {
  std::string name;                 // the --model value
  std::string reported_as;          // the family name in results (rrr reports as dln)
  std::vector<std::string> flags;   // the model flags that apply (--powers, --widths, ...)
  // Checks beyond the flags' ranges: one-line lambdahat::Error naming the flag.
  std::function<void(const ProblemSpec&)> validate;
  std::function<Footprint(const ProblemSpec&)> footprint;
  // The exact learning coefficient, where one is known.
  std::function<std::optional<LearningCoefficient>(const ProblemSpec&)> theory;
  // Hints to the calibrated defaults (nβ, γ, batch), if the family needs any.
  std::function<void(SamplerConfig&)> sampler_hints;
  // The minibatch size sampling defaults to for this problem (0: the full data set);
  // unset: the full data set. Large problems take minibatches (default_batch below).
  std::function<std::int64_t(const ProblemSpec&)> default_batch;
  // The seed study's fixed settings (--preset seed-study), if the family has them.
  std::function<void(SamplerConfig&)> seed_study;
  // The exact finite-n value the estimator targets for this data set and these
  // settings (nβ (E[L_n(w)] − L_n(w*))), where it can be computed.
  std::function<std::optional<double>(const ProblemSpec&, const Problem&, const SamplerConfig&)> finite_n;
  // Data and model; `train` is false when a checkpoint will provide w*.
  std::function<Made(const ProblemSpec&, Generator& init, bool train, const Log& log)> make;
};

const std::vector<Family>& families();
// The entry for --model `name`; throws lambdahat::Error listing the known names.
const Family& family(const std::string& name);
// "polynomial, dln, rrr, autoencoder, tms, grok"
std::string family_names();

// The families, one function per file of cli/families/.
Family polynomial_family();
Family dln_family();
Family rrr_family();
Family autoencoder_family();
Family tms_family();
Family grok_family();
Family network_family();
Family mlp_family();

// Shared by the families' checks.
void check_n_and_steps(const ProblemSpec& s);

// The default minibatch for training and sampling a problem of n examples and this
// many parameters: the full data set (0) unless a full-batch step would take more
// than 10⁸ multiply–adds (n × parameters), then kLargeProblemBatch. A deep linear
// network 10-10-10-10-10 on 5000 examples is 2·10⁶; 256 wide on 10 000 is 2.6·10⁹.
inline constexpr std::int64_t kLargeProblemBatch = 256;
std::int64_t default_batch(std::int64_t n, long double parameters);

}  // namespace lambdahat::cli
