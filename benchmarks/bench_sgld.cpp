// SGLD sampling throughput on the seed study's models, the way a user runs an
// estimate: all chains in parallel on all cores (one chain per thread at a time),
// MALA diagnostics off. The counter us_per_step is wall time divided by the total
// number of SGLD steps over all chains: compare it with the PyTorch reference's
// per-step time divided by the number of cores (benchmarks/README.md).
//
//   BM_sgld/grok   modular-addition MLP, batch 128, ε 3e-3, nβ 2, γ 5
//   BM_sgld/tms    toy model 8×2, batch 512, ε 5e-4, γ 1, nβ n/log n
//   BM_sgld/dln    deep linear network 10-10-10-10-10, full batch n = 1000, ε 6e-4, γ 1
//                  (through the end-to-end product; dln_by_layer: layer by layer, as the
//                  PyTorch reference computes it)
//   BM_sgld/poly   f = x w1 w2³, full batch n = 1000, ε 4e-4, γ 0
#include <benchmark/benchmark.h>

#include <cmath>

#include "lambdahat.hpp"

namespace {

using namespace lambdahat;

constexpr std::int64_t kDrawsPerChain = 500;

void run(benchmark::State& state, Module& model, const LossFn& loss, const Dataset& data, SamplerConfig c) {
  const int threads = num_threads();
  c.num_chains = 2 * threads;
  c.num_draws = kDrawsPerChain;
  c.num_burnin_steps = 0;
  c.mala_every = 0;
  std::int64_t steps = 0;
  for (auto _ : state) {
    const auto traces = run_chains(model, loss, data, c);
    benchmark::DoNotOptimize(traces.data());
    steps += c.num_chains * kDrawsPerChain;
    ++c.seed;
  }
  state.counters["us_per_step"] =
      benchmark::Counter(static_cast<double>(steps) * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["threads"] = threads;
}

void BM_sgld_grok(benchmark::State& state) {
  const ModularData data = modular_arithmetic(53, 0.4, 0);
  Generator gen(0);
  ModularAdditionMLP model(53, 12, 48, gen);
  SamplerConfig c;
  c.epsilon = 3e-3;
  c.nbeta = 2;
  c.localization = 5;
  c.batch_size = 128;
  run(state, model, cross_entropy_loss(), data.train, c);
}

void BM_sgld_tms(benchmark::State& state) {
  SparseFeatureOptions o;
  const Dataset data = sparse_features(o, 0);
  Generator gen(0);
  ToyModel model(8, 2, gen);
  SamplerConfig c;
  c.epsilon = 5e-4;
  c.localization = 1;
  c.batch_size = 512;
  run(state, model, mse_loss_fn(), data, c);
}

void BM_sgld_dln(benchmark::State& state, ProductOrder order) {
  Generator gen(0);
  const Dataset data(normal({1000, 10}, gen), normal({1000, 10}, gen));
  DeepLinearNetwork model({10, 10, 10, 10, 10}, gen);
  model.order = order;
  SamplerConfig c;
  c.epsilon = 6e-4;
  c.localization = 1;
  run(state, model, mse_loss_fn(), data, c);
}

void BM_sgld_poly(benchmark::State& state) {
  const Dataset data = polynomial_data(1000, 0);
  PolynomialRegressor model({1, 3});
  SamplerConfig c;
  c.epsilon = 4e-4;
  c.localization = 0;
  run(state, model, mse_loss_fn(), data, c);
}

BENCHMARK(BM_sgld_grok)->Name("BM_sgld/grok")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sgld_tms)->Name("BM_sgld/tms")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_sgld_dln, cheapest, ProductOrder::cheapest)
    ->Name("BM_sgld/dln")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_sgld_dln, by_layer, ProductOrder::by_layer)
    ->Name("BM_sgld/dln_by_layer")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_sgld_poly)->Name("BM_sgld/poly")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
