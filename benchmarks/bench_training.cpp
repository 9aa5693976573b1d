// One training step of each seed-study model (forward, backward, optimizer), one
// thread, float32 — the per-step figures to compare with the PyTorch reference
// workloads grok_train and tms_train.
#include <benchmark/benchmark.h>

#include "lambdahat.hpp"

namespace {

using namespace lambdahat;

// grok_train: Adam (lr 5e-3, L2 2e-4), modular-addition MLP p = 53, batch 128
void BM_grok_train_step(benchmark::State& state) {
  set_num_threads(1);
  const ModularData data = modular_arithmetic(53, 0.4, 0);
  Generator gen(0);
  const GrokkingRecipe recipe;
  ModularAdditionMLP model(53, recipe.embed, recipe.hidden, gen);
  GrokkingTraining training(model, data.train, recipe, 0);
  for (auto _ : state) training.step();
}

// tms_train: SGD (lr 0.01, momentum 0.9), toy model 8 features × 2, batch 100
void BM_tms_train_step(benchmark::State& state) {
  set_num_threads(1);
  SparseFeatureOptions o;
  const Dataset data = sparse_features(o, 0);
  Generator gen(0);
  ToyModel model(8, 2, gen);
  TmsTraining training(model, data, TmsRecipe{}, 0);
  for (auto _ : state) training.step();
}

BENCHMARK(BM_grok_train_step)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_tms_train_step)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
