// The local learning coefficient estimator (Lau et al. 2023; SLT_REFERENCE §3):
//
//     λ̂_c = nβ · ( mean_t L(w_{c,t}) − L_n(w*) )      for each chain c,
//     λ̂ = mean_c λ̂_c,   std = sd_c λ̂_c
//
// with L_n(w*) (the "init loss") the full-data loss at w*, computed once and shared
// by all chains, and the draws w_{c,t} from the localized tempered posterior
// (sampler.hpp). The result carries its diagnostics and warnings: a user should
// read them before trusting λ̂.
#pragma once

#include <string>
#include <vector>

#include "slt/sampler.hpp"

namespace lambdahat {

struct LLCChain {
  double llc = 0;                  // λ̂_c (from the draws before any divergence)
  double mean_loss = 0;
  std::vector<double> losses;      // the loss at each draw
  double ess = 0;                  // effective sample size of the loss trace
  double mala_acceptance = 0;
  double below_init_fraction = 0;  // draws with loss below L_n(w*)
  bool diverged = false;
  std::string divergence;
};

struct LLCDiagnostics {
  double ess_total = 0;            // sum of the healthy chains' ESS
  double rhat = 0;                 // split-R̂ of the healthy chains' loss traces
  double mala_acceptance = 0;      // mean over healthy chains
  double below_init_fraction = 0;  // over all healthy draws
  std::int64_t diverged_chains = 0;
};

// When an LLCResult warns (besides divergence): split-R̂ above kRhatWarning, mean
// MALA acceptance below kMalaAcceptanceWarning, more than kBelowInitWarning of the
// draws below L_n(w*), fewer than kEssPerChainWarning effective draws per chain, or
// a negative estimate.
inline constexpr double kRhatWarning = 1.1;
inline constexpr double kMalaAcceptanceWarning = 0.8;
inline constexpr double kBelowInitWarning = 0.1;
inline constexpr double kEssPerChainWarning = 10;

struct LLCResult {
  double mean = 0, std = 0;        // over healthy chains (NaN if none is healthy)
  std::vector<LLCChain> chains;
  std::vector<double> trace_mean, trace_std;  // λ̂ from the first t+1 draws, across healthy chains
  double init_loss = 0;
  double nbeta = 0;
  std::int64_t n = 0;              // data set size
  LLCDiagnostics diagnostics;
  std::vector<std::string> warnings;
  double seconds = 0;
  SamplerConfig config;
};

struct LLCOptions {
  // Estimate L_n(w*) from one minibatch instead of the full data (the Python peer's
  // default; noisier, and it correlates the chains).
  bool init_loss_from_minibatch = false;
};

LLCResult estimate_llc(Module& model, const LossFn& loss, const Dataset& data, const SamplerConfig& config,
                       const LLCOptions& options = {}, const ProgressFn& progress = {});

// λ̂ from loss traces: nβ (mean of each healthy trace − init loss), with the same
// diagnostics as estimate_llc. Exposed for tests and for traces sampled elsewhere.
LLCResult summarize_llc(const std::vector<ChainTrace>& traces, double init_loss, double nbeta, std::int64_t n);

}  // namespace lambdahat
