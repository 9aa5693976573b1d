// Sampling the localized, tempered posterior around a point w* (SLT_REFERENCE §2):
//
//     p(w) ∝ exp( −nβ · L_n(w) − (γ/2) ‖w − w*‖² )
//
// with SGLD (stochastic gradient Langevin dynamics) or SGNHT (the stochastic
// gradient Nosé–Hoover thermostat). Chains run in parallel, one per thread at a time,
// each on its own copy of the model with its own random stream derived from
// (seed, chain), so results are bit-identical for any thread count.
//
// This file holds the engine that every estimator of slt/ drives: it runs chains and
// returns the loss at every draw plus the per-step diagnostics.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/data.hpp"
#include "nn/module.hpp"

namespace lambdahat {

// The loss of a model on a batch: mean over the batch's examples.
using LossFn = std::function<Variable(Module& model, const Batch& batch)>;
LossFn cross_entropy_loss();  // logits vs int64 class labels
LossFn mse_loss_fn();         // predictions vs targets

enum class SamplerKind { sgld, sgnht };

struct SamplerConfig {
  SamplerKind kind = SamplerKind::sgld;
  double epsilon = 1e-3;        // ε: step size (SGNHT: h)
  double nbeta = 0;             // nβ; 0 means the default n / log n (see nbeta_from_batch_size)
  double localization = 100;    // γ
  double weight_decay = 0;      // λ_wd, an extra Gaussian prior (λ_wd/2)‖w‖² centred at 0
  double noise_level = 1;       // σ; anything but 1 no longer samples the posterior
  double bounding_box = 0;      // b > 0 clamps w to [w* − b, w* + b] after each step
  double diffusion = 0.01;      // SGNHT's A (also the thermostat's initial value)

  std::int64_t num_chains = 4;
  std::int64_t num_draws = 200;
  std::int64_t num_burnin_steps = 0;
  std::int64_t num_steps_bw_draws = 1;
  std::int64_t batch_size = 0;  // 0: the full data set at every step
  std::uint64_t seed = 0;

  // Parameters to sample, by name (restricted / per-layer LLC); empty: all. The
  // others stay at w*: no gradient step, no noise.
  std::vector<std::string> sample_only;
  // Record the full-data loss at each draw instead of the minibatch loss.
  bool full_data_draw_loss = false;
  // MALA acceptance (SLT_REFERENCE §4) at every k-th draw, from an extra evaluation
  // at the proposed point on the same batch; 0 turns it off.
  std::int64_t mala_every = 1;
  // The Python peer's convention: nβ = m / log m with m the batch size.
  bool nbeta_from_batch_size = false;
  // Threads for the chains; 0: all (OpenMP's setting).
  int threads = 0;
};

// Checks a configuration against a data set of n examples; throws lambdahat::Error
// naming the bad value.
void validate(const SamplerConfig& config, std::int64_t n);

// nβ for a data set of n examples under `config` (n / log n unless set).
double resolve_nbeta(const SamplerConfig& config, std::int64_t n);

struct ChainTrace {
  std::vector<double> losses;      // loss at each draw (stops early if the chain diverged)
  double mala_acceptance = 0;      // mean acceptance probability over the checked draws
  std::int64_t mala_checks = 0;
  bool diverged = false;
  std::int64_t diverged_at_draw = -1;
  std::string divergence;          // what happened, when diverged
};

// Progress: steps finished over all chains, and the total.
using ProgressFn = std::function<void(std::int64_t done, std::int64_t total)>;

// Runs config.num_chains chains from w* = the model's current parameters. The model
// itself is not modified.
std::vector<ChainTrace> run_chains(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                                   const ProgressFn& progress = {});

// The mean loss over the whole data set (in chunks), without recording a graph.
double full_data_loss(Module& model, const LossFn& loss, const Dataset& data);

}  // namespace lambdahat
