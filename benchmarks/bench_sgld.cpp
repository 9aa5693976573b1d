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
//
// Two networks large enough for throughput rather than per-op cost to matter, over
// 10 000 synthetic samples in minibatches of 256 (ε small enough that no chain
// leaves the neighbourhood of its start, γ 1):
//
//   BM_sgld/dln256 deep linear network 256-256-256-256-256 (262 144 parameters), MSE
//   BM_sgld/mlp    ReLU MLP 784-256-256-10 (269 322 parameters), cross-entropy
//
// Their counters add gflops_per_core (the step's multiply–adds over the wall time of
// one chain's step, since each core runs one chain at a time) and mib_per_chain (the
// bytes a chain keeps live: parameters, their gradient, w* and the noise, and the
// minibatch's activations with their gradients; counted, not measured).
#include <benchmark/benchmark.h>

#include <cmath>

#include "lambdahat.hpp"

namespace {

using namespace lambdahat;

// What a large network's step costs, counted: FLOP (two per multiply–add of its
// products) and the bytes a chain keeps live.
struct StepCost {
  double flop = 0, bytes_per_chain = 0;
};

void run(benchmark::State& state, Module& model, const LossFn& loss, const Dataset& data, SamplerConfig c,
         std::int64_t draws_per_chain = 500, StepCost cost = {}) {
  const int threads = num_threads();
  c.num_chains = 2 * threads;
  c.num_draws = draws_per_chain;
  c.num_burnin_steps = 0;
  c.mala_every = 0;
  std::int64_t steps = 0;
  for (auto _ : state) {
    const auto traces = run_chains(model, loss, data, c);
    for (const ChainTrace& t : traces)
      if (t.diverged) state.SkipWithError(("a chain diverged: " + t.divergence).c_str());
    benchmark::DoNotOptimize(traces.data());
    steps += c.num_chains * draws_per_chain;
    ++c.seed;
  }
  state.counters["us_per_step"] =
      benchmark::Counter(static_cast<double>(steps) * 1e-6, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["threads"] = threads;
  if (cost.flop > 0) {
    // each core runs one chain at a time: a chain's step takes `threads` times the
    // wall time per step
    state.counters["gflops_per_core"] = benchmark::Counter(static_cast<double>(steps) * cost.flop * 1e-9 / threads,
                                                           benchmark::Counter::kIsRate);
    state.counters["mib_per_chain"] = cost.bytes_per_chain / (1 << 20);
  }
}

// A network of linear layers of these widths on batches of `batch`: its step's
// products (forward, weight gradients, input gradients of every layer but the
// first) and its live bytes (4 copies of the parameters; each layer's output and its
// gradient; a ReLU network saves one more mask-sized tensor per hidden layer).
StepCost linear_layers_cost(const std::vector<std::int64_t>& widths, std::int64_t batch, bool biases) {
  double macs = 0, params = 0, activations = static_cast<double>(batch * widths.front());
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const double layer = static_cast<double>(batch * widths[l] * widths[l + 1]);
    macs += (l == 0 ? 2 : 3) * layer;
    params += static_cast<double>(widths[l] * widths[l + 1] + (biases ? widths[l + 1] : 0));
    activations += static_cast<double>(batch * widths[l + 1]);
  }
  return {.flop = 2 * macs, .bytes_per_chain = 4 * (4 * params + 2 * activations)};
}

constexpr std::int64_t kLargeN = 10000, kLargeBatch = 256, kLargeDraws = 25;

// The large networks' sampler: minibatches of 256, ε small enough that no chain
// leaves the neighbourhood of its start, γ 1.
SamplerConfig large_network_sampler() {
  SamplerConfig c;
  c.epsilon = 1e-7;
  c.localization = 1;
  c.batch_size = kLargeBatch;
  return c;
}

void BM_sgld_dln256(benchmark::State& state) {
  Generator gen(0);
  const std::vector<std::int64_t> widths = {256, 256, 256, 256, 256};
  const Dataset data(normal({kLargeN, 256}, gen), normal({kLargeN, 256}, gen));
  DeepLinearNetwork model(widths, gen);
  run(state, model, mse_loss_fn(), data, large_network_sampler(), kLargeDraws, linear_layers_cost(widths, kLargeBatch, false));
}

void BM_sgld_mlp(benchmark::State& state) {
  Generator gen(0);
  const std::vector<std::int64_t> widths = {784, 256, 256, 10};
  const Dataset data(normal({kLargeN, 784}, gen), randint(0, 10, {kLargeN}, gen));
  Sequential model;
  model.add(Linear(784, 256, gen));
  model.add(ReLU());
  model.add(Linear(256, 256, gen));
  model.add(ReLU());
  model.add(Linear(256, 10, gen));
  run(state, model, cross_entropy_loss(), data, large_network_sampler(), kLargeDraws, linear_layers_cost(widths, kLargeBatch, true));
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
BENCHMARK(BM_sgld_dln256)->Name("BM_sgld/dln256")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sgld_mlp)->Name("BM_sgld/mlp")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
