// --model grok: the seed study's modular-addition MLP, trained on 40 % of the pairs
// (a, b) mod p by the grokking recipe (nn/recipes.hpp).
#include "families.hpp"

namespace lambdahat::cli {

Family grok_family() {
  Family f;
  f.name = f.reported_as = "grok";
  f.flags = {"--p", "--train-steps"};  // the pairs mod p are the data: no --n
  f.validate = [](const ProblemSpec& s) { check(s.p >= 2, "lambdahat", "--p must be >= 2, got ", s.p); };
  f.footprint = [](const ProblemSpec& s) {
    // every pair (a, b) mod p, logits over p classes
    const GrokkingRecipe r;
    const long double p = static_cast<long double>(s.p), pairs = p * p;
    const long double e = static_cast<long double>(r.embed), h = static_cast<long double>(r.hidden);
    return Footprint{.data = pairs * 3 * 8, .activations = 3 * pairs * (h + p) * 4,
                     .params = p * e + 2 * e * h + h * 2 + h * p};
  };
  f.theory = [](const ProblemSpec&) { return std::optional<LearningCoefficient>(); };
  f.sampler_hints = [](SamplerConfig& c) {
    // A hint, not a tuning: the checkpoints are trained with weight decay, and a
    // cross-entropy that is already near 0 keeps falling as the logits grow, so w* is
    // no minimum of L_n. At nβ = n / log n the sampler would go on training; the seed
    // study's nβ = 2 and γ = 5 keep the chains at w*. Minibatches of 128 as in training.
    c.nbeta = 2.0;
    c.localization = 5;
    c.batch_size = GrokkingRecipe{}.batch;
  };
  // the seed study's fixed run: the hints' nβ, γ and batch, with its own step and length
  f.seed_study = [hints = f.sampler_hints](SamplerConfig& c) {
    hints(c);
    c.epsilon = 3e-3;
    c.num_chains = 3;
    c.num_draws = 500;
  };
  f.make = [](const ProblemSpec& s, Generator& init, bool train, const Log& log) {
    GrokkingRecipe recipe;
    if (s.train_steps) recipe.steps = *s.train_steps;
    const ModularData data = modular_arithmetic(s.p, recipe.train_fraction, s.seed);
    auto model = std::make_unique<ModularAdditionMLP>(s.p, recipe.embed, recipe.hidden, init);
    if (train) {
      log("training the modular-addition MLP (Adam, " + std::to_string(recipe.steps) + " steps)...");
      GrokkingTraining training(*model, data.train, recipe, s.seed);
      for (std::int64_t step = 0; step < recipe.steps; ++step) training.step();
    }
    return Made{.model = std::move(model),
                .data = data.train,
                .loss = cross_entropy_loss(),
                .description = "modular-addition MLP, p = " + std::to_string(s.p) + ", n = " +
                               std::to_string(data.train.size()) + " training pairs"};
  };
  return f;
}

}  // namespace lambdahat::cli
