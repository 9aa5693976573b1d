// The local learning coefficient estimator (Lau et al. 2023; docs/theory.md, "The LLC"):
//
//     λ̂_c = nβ · ( mean_t L(w_{c,t}) − L_n(w*) )      for each chain c,
//     λ̂ = mean_c λ̂_c,   std = sd_c λ̂_c
//
// with L_n(w*) (the "init loss") the full-data loss at w*, computed once and shared
// by all chains, and the draws w_{c,t} from the localized tempered posterior
// (sampler.hpp). Settings left unset in the SamplerConfig — by default the step size,
// the draws and the burn-in — are calibrated for the model at hand (calibration.hpp),
// so estimate_llc(model, loss, data) needs nothing else. The result carries what was
// chosen, its diagnostics and its warnings: read them before trusting λ̂.
#pragma once

#include <string>
#include <vector>

#include "slt/calibration.hpp"
#include "slt/sampler.hpp"

namespace lambdahat {

struct LLCChain {
  double llc = 0;                  // λ̂_c (from the draws before any divergence)
  double mean_loss = 0;
  std::vector<double> losses;      // the loss at each draw (after any burn-in cut)
  double rhat = 0;                 // rank-normalized split-R̂ of this chain's two halves
  double ess_bulk = 0, ess_tail = 0;
  double mcse = 0;                 // Monte Carlo standard error of λ̂_c
  double mala_acceptance = 0;
  double below_init_fraction = 0;  // draws clearly below L_n(w*) (see below_init_margin)
  bool diverged = false;
  std::string divergence;
};

// Diagnostics of the healthy chains together (diagnostics.hpp, Vehtari et al. 2021).
struct LLCDiagnostics {
  double rhat = 0;                 // max(rhat_bulk, rhat_tail)
  double rhat_bulk = 0, rhat_tail = 0;
  double ess_bulk = 0, ess_tail = 0;
  double mcse = 0;                 // Monte Carlo standard error of λ̂
  double mala_acceptance = 0;      // mean over healthy chains
  double below_init_fraction = 0;  // over all healthy draws
  double below_init_margin = 0;    // in λ̂ units: how far below L_n(w*) a draw may lie by chance
  std::int64_t diverged_chains = 0;
};

// When an LLCResult warns (besides divergence): R̂ above kRhatWarning, bulk- or
// tail-ESS below kEssPerChainWarning per chain, mean MALA acceptance below
// kMalaAcceptanceWarning, more than kBelowInitWarning of the draws clearly below
// L_n(w*), or a negative estimate. The first two are Stan's thresholds.
inline constexpr double kRhatWarning = 1.01;
inline constexpr double kEssPerChainWarning = 100;
inline constexpr double kMalaAcceptanceWarning = 0.8;
inline constexpr double kBelowInitWarning = 0.1;

struct LLCResult {
  double mean = 0, std = 0;        // over healthy chains (NaN if none is healthy)
  std::vector<LLCChain> chains;
  std::vector<double> trace_mean, trace_std;  // λ̂ from the first t+1 draws, across healthy chains
  double init_loss = 0;
  double nbeta = 0;
  std::int64_t n = 0;              // data set size
  LLCDiagnostics diagnostics;
  Calibration calibration;         // what was calibrated, to what, and why
  std::vector<std::string> warnings;
  double seconds = 0;
  SamplerConfig config;            // as run: every setting resolved
  bool has_estimate() const;       // some chain healthy and calibration not failed
};

struct LLCOptions {
  // Estimate L_n(w*) from one minibatch instead of the full data (the Python peer's
  // default; noisier, and it correlates the chains).
  bool init_loss_from_minibatch = false;
  // What the calibration of unset settings aims for and may spend.
  CalibrationTargets targets;
  // The chains spread over processes (sampler.hpp); unset: all run here.
  ChainSharing sharing;
};

// λ̂ with everything unset in `config` calibrated (calibration.hpp).
LLCResult estimate_llc(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config = {},
                       const LLCOptions& options = {}, const ProgressFn& progress = {});

// λ̂ from loss traces: nβ (mean of each healthy trace − init loss), with the same
// diagnostics as estimate_llc. `minibatch_spread` is the standard deviation of the
// minibatch loss at w* (0 for full-batch draws): draws count as below L_n(w*) only
// beyond what that and finite n explain. Exposed for tests and for traces sampled
// elsewhere.
LLCResult summarize_llc(const std::vector<ChainTrace>& traces, double init_loss, double nbeta, std::int64_t n,
                        double minibatch_spread = 0);

}  // namespace lambdahat
