// Convergence diagnostics for MCMC chains, to the standard of Vehtari, Gelman,
// Simpson, Carpenter and Bürkner (2021), "Rank-normalization, folding, and
// localization: an improved R̂" (docs/theory.md, "Diagnostics"):
//
//   * every chain is split in half, so a trend inside a chain shows as disagreement;
//   * rank normalization: each draw is replaced by Φ⁻¹((r − 3/8) / (S + 1/4)), r its
//     rank among all S draws, which makes R̂ and ESS well defined for heavy tails;
//   * R̂ = max(R̂_bulk, R̂_tail): split-R̂ of the rank-normalized draws and of the
//     rank-normalized folded draws |x − median|;
//   * bulk-ESS: the ESS of the rank-normalized split chains; tail-ESS: the smaller ESS
//     of the indicators I(x ≤ q_0.05) and I(x ≥ q_0.95);
//   * ESS from the autocorrelation averaged over chains, summed with Geyer's initial
//     monotone sequence;
//   * MCSE of the mean = sd / √(bulk-ESS).
//
// For the LLC, the quantity diagnosed is the per-draw trace nβ (L(w_t) − L_n(w*)),
// whose mean is λ̂. R̂ and ESS do not change under that affine map; the MCSE scales
// by nβ. `tools/diagnostics_reference.py` computes the same quantities independently
// in plain Python, and the tests compare against its output on committed traces.
#pragma once

#include <vector>

namespace lambdahat {

using Chains = std::vector<std::vector<double>>;

// The standard normal quantile Φ⁻¹(p) for 0 < p < 1, to double precision.
double inverse_normal_cdf(double p);

// Rank-normalized draws: the same shape as `chains`, ranks taken over all draws
// together (ties share their average rank).
Chains rank_normalize(const Chains& chains);

// The first and second half of every chain as chains of their own (the middle draw of
// an odd length is dropped).
Chains split_chains(const Chains& chains);

// Classic split-R̂ (Gelman et al. 2013) of the draws as given: sqrt(var⁺ / W) over the
// split chains, var⁺ = (N−1)/N · W + B/N. NaN with fewer than 4 draws per chain; 1
// when every draw is the same.
double split_rhat(const Chains& chains);

// The ESS of chains as given (not split): S / τ, with τ = −1 + 2 Σ ρ̂_t from the
// chain-averaged autocorrelation and Geyer's initial monotone sequence. A constant
// input has ESS S.
double effective_sample_size(const Chains& chains);
// One chain (not split): the same with M = 1.
double effective_sample_size(const std::vector<double>& trace);
// The autocovariance of x at every lag 0 … n−1, divided by n, from the power
// spectrum (O(n log n)); the ESS uses it once Geyer's sequence runs past 32 lags.
std::vector<double> autocovariance(const std::vector<double>& x);
// The same for two sequences of one length, in one pair of transforms (the ESS of
// several chains takes them two by two).
void autocovariance_pair(const std::vector<double>& x, const std::vector<double>& y, std::vector<double>& acov_x,
                         std::vector<double>& acov_y);

double rank_normalized_split_rhat(const Chains& chains);  // max(bulk, tail)
double bulk_ess(const Chains& chains);
double tail_ess(const Chains& chains);

struct TraceDiagnostics {
  double rhat = 0;                  // max(rhat_bulk, rhat_tail)
  double rhat_bulk = 0, rhat_tail = 0;
  double ess_bulk = 0, ess_tail = 0;
  double mean = 0, sd = 0;          // over all draws
  double mcse = 0;                  // of the mean: sd / √ess_bulk
};

// All of the above for chains of equal length (longer ones are cut to the shortest).
// With fewer than 4 draws per chain, R̂ is NaN and ESS the number of draws.
TraceDiagnostics diagnose(const Chains& chains);

// The MALA acceptance probability of a Langevin step w → w' with step size ε
// (docs/theory.md, "MALA"): α = min(1, exp(−U(w') + U(w) + log q(w | w') − log q(w' | w))),
// log q(b | a) = −‖b − a + (ε/2) g(a)‖² / (2ε), where g = ∇U.
double mala_acceptance_probability(const std::vector<double>& w, const std::vector<double>& w_new,
                                   const std::vector<double>& grad, const std::vector<double>& grad_new,
                                   double potential, double potential_new, double epsilon);

}  // namespace lambdahat
