// --model tms: the toy model of superposition, ReLU(WᵀWx + b). By default the seed
// study's run, trained from a noisy 2-gon; with --kgon k, the minimum of L_n next to
// the regular k-gon, whose learning coefficient is known.
#include "families.hpp"

namespace lambdahat::cli {

Family tms_family() {
  Family f;
  f.name = f.reported_as = "tms";
  f.flags = {"--features", "--hidden", "--kgon", "--n", "--train-steps"};
  f.validate = [](const ProblemSpec& s) {
    check(s.features >= 2 && s.hidden >= 2, "lambdahat", "--features and --hidden must be >= 2");
    if (s.kgon == 0) return;
    check(s.hidden == 2, "lambdahat", "--kgon needs --hidden 2 (a polygon in the plane), got ", s.hidden);
    check(s.kgon >= 5 && s.kgon <= s.features, "lambdahat", "--kgon ", s.kgon, " must be in [5, ", s.features,
          "] (--features); below 5 the polygon's neighbours do not interact");
  };
  f.footprint = [](const ProblemSpec& s) {
    const long double n = static_cast<long double>(s.n.value_or(1000)), c = static_cast<long double>(s.features);
    const long double h = static_cast<long double>(s.hidden);
    return Footprint{.data = n * c * (8 + 4), .activations = 4 * n * c * 4 + c * c * 4, .params = c * h + c};
  };
  f.theory = [](const ProblemSpec& s) -> std::optional<LearningCoefficient> {
    if (s.kgon == 0) return std::nullopt;
    return toy_model_kgon(s.features, s.kgon);
  };
  f.seed_study = [](SamplerConfig& c) {  // docs/theory.md, "The seed study"
    c.epsilon = 5e-4;
    c.localization = 1;
    c.num_chains = 10;
    c.num_draws = 500;
    c.batch_size = 512;
  };
  f.make = [](const ProblemSpec& s, Generator& init, bool train, const Log& log) {
    const std::int64_t n = s.n.value_or(1000);
    auto model = std::make_unique<ToyModel>(s.features, s.hidden, init);
    Made m;
    m.loss = mse_loss_fn();
    if (s.kgon > 0) {
      // Chen et al. (2023): one active feature per sample, uniform in [0, 1]; w* is the
      // minimum of L_n next to the regular k-gon (docs/theory.md)
      m.data = sparse_features(SparseFeatureOptions{.n = n, .features = s.features, .active = 1, .binary = false}, s.seed);
      if (train) {
        init_regular_kgon(*model, RegularKGon{.k = s.kgon});
        log("training the toy model from a regular " + std::to_string(s.kgon) + "-gon (full-batch Adam)...");
        train_full_batch(*model, m.data, FullBatchRecipe{.steps = s.train_steps.value_or(4000)});
      }
      m.description = "toy model of superposition at the " + std::to_string(s.kgon) + "-gon, " +
                      std::to_string(s.features) + " features, 2 hidden, n = " + std::to_string(n);
    } else {
      // the seed study: samples with one active feature; trained from a noisy 2-gon
      m.data = sparse_features(SparseFeatureOptions{.n = n, .features = s.features, .active = 1}, s.seed);
      if (train) {
        init_noisy_kgon(*model, KGonInit{}, init);
        const TmsRecipe recipe{.epochs = s.train_steps.value_or(TmsRecipe{}.epochs)};
        log("training the toy model from a noisy 2-gon (SGD, " + std::to_string(recipe.epochs) + " epochs)...");
        TmsTraining training(*model, m.data, recipe, s.seed);
        for (std::int64_t e = 0; e < recipe.epochs; ++e) training.epoch();
      }
      m.description = "toy model of superposition, " + std::to_string(s.features) + " features, " +
                      std::to_string(s.hidden) + " hidden, n = " + std::to_string(n);
    }
    m.model = std::move(model);
    return m;
  };
  return f;
}

}  // namespace lambdahat::cli
