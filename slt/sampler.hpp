// Sampling the localized, tempered posterior around a point w* (docs/theory.md):
//
//     p(w) ∝ exp( −nβ · L_n(w) − (γ/2) ‖w − w*‖² )
//
// with SGLD (stochastic gradient Langevin dynamics), SGNHT (the stochastic gradient
// Nosé–Hoover thermostat) or full-batch MALA (Metropolis-adjusted Langevin). Chains run in parallel, one per thread at a time,
// each on its own copy of the model with its own random stream derived from
// (seed, chain), so results are bit-identical for any thread count.
//
// This file holds the engine that every estimator of slt/ drives: it runs chains and
// returns the loss at every draw plus the per-step diagnostics.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/data.hpp"
#include "nn/module.hpp"

namespace lambdahat {

// The loss of a model on a batch: mean over the batch's examples.
using LossFn = std::function<Variable(Module& model, const Batch& batch)>;
LossFn cross_entropy_loss();  // logits vs int64 class labels
LossFn mse_loss_fn();         // predictions vs targets: the mean over every entry
// ½ Σ_j (f_j − y_j)² per example, averaged over the examples: MSE times half the
// output width, the scale of a Gaussian likelihood with unit variance.
LossFn sum_of_squares_loss();
// The loss of that name: "ce" (cross_entropy_loss), "mse" (mse_loss_fn) or "sse"
// (sum_of_squares_loss); throws lambdahat::Error naming the three for any other.
LossFn loss_named(const std::string& name);

// SGLD and SGNHT use stochastic gradients and no accept/reject step; MALA (full batch
// only) is SGLD's proposal with a Metropolis–Hastings correction, exact for any ε,
// the reference against which SGLD's step-size bias is measured.
enum class SamplerKind { sgld, sgnht, mala };
const char* to_string(SamplerKind kind);
// "sgld", "sgnht" or "mala"; throws lambdahat::Error naming the allowed values.
SamplerKind parse_sampler_kind(const std::string& name);

// The settings of a sampling run. The three left unset by default — the step size,
// the number of draws and the burn-in — are what estimate_llc calibrates for the
// model at hand (slt/calibration.hpp); a value set here is used as it is. The engine
// (run_chains, ChainSet) needs all three set.
struct SamplerConfig {
  SamplerKind kind = SamplerKind::sgld;
  std::optional<double> epsilon;              // ε: the step size of every sampler; unset: calibrated
  double nbeta = 0;             // nβ; 0 means the default n / log n (see nbeta_from_batch_size)
  double localization = 1;      // γ (docs/theory.md, "Choosing nβ and γ")
  double weight_decay = 0;      // λ_wd, an extra Gaussian prior (λ_wd/2)‖w‖² centred at 0
  double noise_level = 1;       // σ; anything but 1 no longer samples the posterior
  double bounding_box = 0;      // b > 0 clamps w to [w* − b, w* + b] after each step
  double diffusion = 0.01;      // SGNHT's A (also the thermostat's initial value)

  std::int64_t num_chains = 4;
  std::optional<std::int64_t> num_draws;         // unset: until the precision target is met
  std::optional<std::int64_t> num_burnin_steps;  // unset: where the λ̂ trace becomes stationary
  std::int64_t num_steps_bw_draws = 1;
  std::int64_t batch_size = 0;  // 0: the full data set at every step
  std::uint64_t seed = 0;

  // Parameters to sample, by name (restricted / per-layer LLC); empty: all. The
  // others stay at w*: no gradient step, no noise.
  std::vector<std::string> sample_only;
  // Record the full-data loss at each draw instead of the minibatch loss.
  bool full_data_draw_loss = false;
  // MALA acceptance (docs/theory.md, "MALA") of SGLD's step at every k-th draw, from
  // an extra evaluation at the proposed point on the same batch; 0 turns it off.
  std::int64_t mala_every = 20;
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

// Chains spread over processes (the command's MPI ranks; the library knows nothing
// of how): this process runs the chains `owns` accepts, and after every run `share`
// fills in the other chains' traces from the processes that ran them. Each chain's
// draws depend only on (seed, chain index), so every process then holds the traces
// one process would have made, and decisions taken from them (the calibration's)
// agree everywhere. Unset: this process runs every chain.
struct ChainSharing {
  std::function<bool(std::int64_t chain)> owns;
  std::function<void(std::vector<ChainTrace>& traces)> share;
  bool active() const { return static_cast<bool>(owns); }
};

namespace detail {
class Chain;
}

// Chains that can be run further: run() takes every chain to the config's current
// length, and raising config().num_draws (or changing ε) before the next run()
// continues them from where they are. Each chain keeps its own random streams, so
// the draws are the same whether a length is reached in one run() or several.
class ChainSet {
 public:
  ChainSet(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
           ChainSharing sharing = {});
  ~ChainSet();
  ChainSet(const ChainSet&) = delete;
  ChainSet& operator=(const ChainSet&) = delete;

  SamplerConfig& config() { return config_; }
  double nbeta() const { return nbeta_; }
  void run(const ProgressFn& progress = {});
  const std::vector<ChainTrace>& traces() const { return traces_; }

 private:
  Module& model_;
  LossFn loss_;
  const Dataset& data_;
  SamplerConfig config_;
  ChainSharing sharing_;
  double nbeta_;
  std::vector<std::unique_ptr<detail::Chain>> chains_;
  std::vector<ChainTrace> traces_;
};

// Runs config.num_chains chains from w* = the model's current parameters. The model
// itself is not modified. ε, the draws and the burn-in must be set.
std::vector<ChainTrace> run_chains(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                                   const ProgressFn& progress = {});

// SGLD's step-size bias, measured with coupled chains: for each chain index, a chain
// at ε/2 and one at ε start at w* and see the same Brownian path (the ε chain's noise
// is the sum of the ε/2 chain's two draws over the same time, divided by √2, and both
// use the same batch over that time). Paired this way the difference of their mean
// losses is far less noisy than that of two independent runs. SGLD only, one dtype.
struct CoupledMeans {
  double coarse = 0, fine = 0;     // mean loss at ε and at ε/2 over the second half of the run
  std::vector<double> difference;  // coarse − fine loss at each step of the second half
};
std::vector<CoupledMeans> step_halving_means(Module& model, const LossFn& loss, const Dataset& data,
                                             const SamplerConfig& config, std::int64_t steps);

// The mean loss over the whole data set (in chunks), without recording a graph.
double full_data_loss(Module& model, const LossFn& loss, const Dataset& data);

}  // namespace lambdahat
