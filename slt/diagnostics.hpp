// Convergence diagnostics for SGLD chains (SLT_REFERENCE §4): the Python peer has
// none of these, and they are what tells a user whether to trust λ̂.
#pragma once

#include <vector>

namespace lambdahat {

// Effective sample size of one chain from the autocorrelation of its trace, with
// Geyer's initial positive and monotone sequence estimator (Geyer 1992): sums of
// adjacent autocorrelation pairs Γ_k = ρ_2k + ρ_2k+1 are added while positive and
// forced non-increasing; τ = −1 + 2 Σ Γ_k and ESS = n / τ. A constant trace has ESS n.
double effective_sample_size(const std::vector<double>& trace);

// Split-R̂ (Gelman et al. 2013; Vehtari et al. 2021): every chain is cut in two
// halves, and R̂ = sqrt(((m−1)/m · W + B/m) / W) with W the mean within-half
// variance, B/m the variance of the half means and m the half length. Values near 1
// mean the chains agree; above ~1.01–1.1 they have not mixed. NaN when there are
// fewer than 4 draws per chain; 1 when every trace is constant.
double split_rhat(const std::vector<std::vector<double>>& chains);

// The MALA acceptance probability of a Langevin step w → w' with step size ε
// (SLT_REFERENCE §4): α = min(1, exp(−U(w') + U(w) + log q(w | w') − log q(w' | w))),
// log q(b | a) = −‖b − a + (ε/2) g(a)‖² / (2ε), where g = ∇U.
double mala_acceptance_probability(const std::vector<double>& w, const std::vector<double>& w_new,
                                   const std::vector<double>& grad, const std::vector<double>& grad_new,
                                   double potential, double potential_new, double epsilon);

}  // namespace lambdahat
