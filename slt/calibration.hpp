// Automatic calibration of the sampler for a model nobody tuned (docs/theory.md,
// "Automatic calibration"). estimate_llc runs it for every setting left unset in its
// SamplerConfig:
//
//   ε        the largest step size whose MALA acceptance is at least `acceptance`
//            (short pilot chains, a geometric search), then halved while λ̂ moves
//            when ε is halved: coupled chains at ε and ε/2 (step_halving_differences)
//            must agree within `halving_tolerance` of λ̂ beyond their standard error;
//   burn-in  the chains record from w* on, and the start is cut where the
//            chain-averaged trace becomes stationary (MSER: the cut that minimises
//            the squared standard error of the mean of what is left, at most half);
//   draws    the chains run on in rounds until MCSE(λ̂) ≤ relative_mcse · λ̂,
//            bulk-ESS ≥ ess_per_chain per chain and R̂ ≤ rhat, or until the budget
//            of max_steps_per_chain steps is spent.
//
// nβ and γ are not searched: nβ = n / log n and γ = 1 unless set (the reasons are in
// docs/theory.md). The result says what was chosen and why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "slt/sampler.hpp"

namespace lambdahat {

struct CalibrationTargets {
  double acceptance = 0.9;           // mean MALA acceptance of SGLD's step at ε
  double halving_tolerance = 0.01;   // |λ̂(ε) − λ̂(ε/2)| allowed, relative to λ̂, beyond one standard error
  int max_halvings = 4;
  double relative_mcse = 0.02;       // MCSE(λ̂) / λ̂
  double ess_per_chain = 100;        // bulk-ESS per chain
  double rhat = 1.01;                // rank-normalized split-R̂
  std::int64_t pilot_steps = 200;    // per chain and trial step size
  std::int64_t first_round_steps = 2000;       // the first round of the main run, per chain
  std::int64_t max_steps_per_chain = 200000;   // the budget of the main run, per chain
};

// One step size tried by the calibration.
struct CalibrationTrial {
  double epsilon = 0;
  std::string test;             // "acceptance" or "halving"
  double acceptance = 0;        // acceptance: mean MALA acceptance over the pilot's second half
  std::int64_t diverged = 0;    // chains that diverged
  double difference = 0;        // halving: λ̂(ε) − λ̂(ε/2), its standard error, and λ̂(ε/2)
  double difference_se = 0;
  double llc_half = 0;
  bool passed = false;
};

struct Calibration {
  bool epsilon_chosen = false, burnin_chosen = false, draws_chosen = false;  // what was calibrated
  double epsilon = 0;
  std::int64_t burnin = 0, draws = 0;  // per chain
  std::vector<CalibrationTrial> trials;
  std::int64_t pilot_gradient_evaluations = 0;  // per chain, all pilots together
  std::int64_t rounds = 0;                      // rounds of the main run
  bool targets_met = false;
  bool failed = false;                          // no stable ε: no estimate
  std::string epsilon_reason, burnin_reason, draws_reason;
  // One line for summaries.
  std::string summary() const;
};

// The chains of a calibrated run: the traces after the burn-in cut, and the config as
// run (every setting resolved).
struct CalibratedRun {
  std::vector<ChainTrace> traces;
  SamplerConfig config;
  double nbeta = 0;  // nβ as resolved for the data set (resolve_nbeta)
  Calibration calibration;
};

// Calibrates what `config` leaves unset, then runs the chains (what estimate_llc
// does before it summarises). With everything set it is run_chains.
// With `sharing`, the main chains are spread over processes (sampler.hpp); the
// pilots run whole in every process, so that each chooses the same ε.
CalibratedRun run_calibrated(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                             double init_loss, const CalibrationTargets& targets, const ProgressFn& progress = {},
                             const ChainSharing& sharing = {});

// The step size alone (the first stage of run_calibrated): fills `calibration` with
// the trials and the reason; calibration.failed when no stable ε was found.
double calibrate_epsilon(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                         const CalibrationTargets& targets, Calibration& calibration);

// Where a trace becomes stationary (MSER): the cut d, at most half the length, that
// minimises the variance of what is left over its squared length, on batch means of
// `batch` draws. Returns d in draws.
std::int64_t stationarity_cut(const std::vector<double>& trace, std::int64_t batch);

// The standard deviation of the minibatch loss at w* over 32 minibatches of the
// config's batch size (0 for full batches).
double minibatch_loss_spread(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config);

}  // namespace lambdahat
