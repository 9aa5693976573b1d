// Trains the toy model of superposition (8 features, 2 hidden dimensions) from a
// noisy 2-gon with the seed study's settings (docs/theory.md, "The seed study": 1000 samples with
// one active feature, SGD lr 0.01 momentum 0.9, batch 100, MSE) and prints the loss
// curve.
#include <cstdio>
#include <limits>

#include "flags.hpp"
#include "lambdahat.hpp"

using namespace lambdahat;

int main(int argc, char** argv) {
  examples::Flags flags(argc, argv,
                        "usage: train_tms [--features 8] [--hidden 2] [--n 1000] [--epochs 4500] [--lr 0.01]\n"
                        "                 [--momentum 0.9] [--batch 100] [--k 2] [--bias-std 10] [--seed 0]\n"
                        "                 [--log-every 100]\n");
  constexpr long kBig = 1000000000;
  const long features = flags.integer("features", 8, 2, 100000), hidden = flags.integer("hidden", 2, 2, 100000);
  const long n = flags.integer("n", 1000, 1, 100000000), epochs = flags.integer("epochs", 4500, 1, kBig);
  // the seed study's recipe (nn/recipes.hpp), each setting a flag
  TmsRecipe recipe{.epochs = epochs};
  recipe.batch = flags.integer("batch", recipe.batch, 1, kBig);
  recipe.lr = flags.number("lr", recipe.lr, 1e-12, 10);
  recipe.momentum = flags.number("momentum", recipe.momentum, 0, 0.999);
  const long k = flags.integer("k", 2, 1, features);
  const double bias_std = flags.number("bias-std", 10.0, 0, 1e6);
  const long seed = flags.integer("seed", 0, 0, std::numeric_limits<long>::max()),
             log_every = flags.integer("log-every", 100, 1, kBig);
  flags.finish();
  try {
    SparseFeatureOptions options;
    options.n = n;
    options.features = features;
    options.active = 1;
    const Dataset data = sparse_features(options, static_cast<std::uint64_t>(seed));
    Generator gen(static_cast<std::uint64_t>(seed), 1);
    ToyModel model(features, hidden, gen);
    init_noisy_kgon(model, KGonInit{.k = k, .bias_std = bias_std}, gen);
    TmsTraining training(model, data, recipe, static_cast<std::uint64_t>(seed));
    auto full_loss = [&] {
      NoGradGuard no_grad;
      return mse_loss(model(Variable(data.inputs())), Variable(data.targets())).item();
    };
    std::printf("%8s %12s\n", "epoch", "loss");
    std::printf("%8d %12.6f\n", 0, full_loss());
    for (long epoch = 1; epoch <= epochs; ++epoch) {
      training.epoch();
      if (epoch % log_every == 0 || epoch == epochs) std::printf("%8ld %12.6f\n", epoch, full_loss());
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
