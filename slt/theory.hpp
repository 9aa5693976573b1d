// Exact learning coefficients λ and multiplicities m (docs/theory.md, "Known learning
// coefficients"): the values the estimators are tested against.
#pragma once

#include <cstdint>
#include <vector>

namespace lambdahat {

struct LearningCoefficient {
  double lambda = 0;
  std::int64_t multiplicity = 1;
};

// A regular model with d effective parameters: λ = d/2, m = 1.
LearningCoefficient regular_model(std::int64_t d);

// K(w) = Π_i w_i^{2k_i} with prior density ∝ Π_i |w_i|^{h_i} near 0:
// λ = min_i (h_i + 1)/(2k_i) over the i with k_i > 0, m = how many attain it.
LearningCoefficient normal_crossing(const std::vector<int>& k, const std::vector<int>& h = {});

// f(x; w) = x · Π_i w_i^{k_i} at w* = 0: λ = 1/(2 max_i k_i), m = how many k_i equal the max.
LearningCoefficient polynomial_regressor(const std::vector<int>& powers);

// The exact finite-n target of the LLC estimator for f(x; w) = x · Π_i w_i^{k_i} with
// one or two parameters at w* = 0: nβ (E[L_n(w)] − L_n(0)) under the localized
// tempered posterior ∝ exp(−nβ L_n(w) − γ|w|²/2) (docs/theory.md, "The leading-order
// target at n", on the exact target). It depends on the data only through sxx = mean(x²) and sxy = mean(x·y),
// since L_n(w) − L_n(0) = u²·sxx − 2u·sxy with u = Π_i w_i^{k_i}. Where it differs from
// polynomial_regressor(powers).lambda the gap is the finite-n effect, not the sampler's.
double polynomial_regressor_finite_n(const std::vector<int>& powers, double sxx, double sxy, double nbeta,
                                     double gamma);

// The toy model of superposition ReLU(WᵀWx + b) with 2 hidden dimensions at the k-gon
// critical point of Chen et al. (2023), k >= 5, for inputs with one active feature
// uniform in [0, 1]: each of the k columns in the polygon (2 weights and a bias) is
// fixed by the loss once a common rotation is chosen, the other features (zero
// columns, negative biases) are flat, so λ = (3k − 1)/2, m = 1 (docs/theory.md, "Toy
// model of superposition at a k-gon"). Below k = 5 the polygon's neighbours do not
// interfere, the angles are flat and this count does not apply.
LearningCoefficient toy_model_kgon(std::int64_t features, std::int64_t k);

// The leading-order value the LLC estimator targets at a finite nβ for a model with
// learning coefficient λ and multiplicity m: the mean of s under the density
//
//     s^(λ−1) (log nβ − log s)^(m−1) e^(−s)      on 0 < s < nβ,
//
// the asymptotic form of the law of nβ (L_n(w) − L_n(w*)) under the tempered posterior
// (its state density v(s) ∝ s^(λ−1) (−log s)^(m−1) near 0, rescaled by nβ). It is
// below λ when m > 1 and tends to λ as nβ grows: for a 5-3-5 deep linear network at
// rank 0 (λ = 6.5, m = 2) with n = 1000 and nβ = n / log n it is 6.19. It needs
// λ < nβ: beyond that the cut at nβ, not the model, sets the mean, and the value
// means nothing (llc_target_defined says whether it applies).
bool llc_target_defined(const LearningCoefficient& lc, double nbeta);
double llc_target_at_n(const LearningCoefficient& lc, double nbeta);

// Reduced-rank regression (Aoyagi & Watanabe 2005): x ∈ R^M → H → R^N, true map of
// rank r ≤ min(M, H, N).
LearningCoefficient reduced_rank_regression(std::int64_t M, std::int64_t H, std::int64_t N, std::int64_t r);

// Deep linear network with widths H_1 (input) … H_{L+1} (output) and a true product
// of rank r (Aoyagi 2024). For three widths it equals reduced_rank_regression.
LearningCoefficient deep_linear_network(const std::vector<std::int64_t>& widths, std::int64_t r);

// Linear autoencoder x ↦ B A x (A: h×d) on data spanning an s-dimensional subspace:
// reduced-rank regression with M = s, H = h, N = d, r = min(h, s) (derived in docs/theory.md, "Known learning coefficients").
LearningCoefficient linear_autoencoder(std::int64_t d, std::int64_t h, std::int64_t s);

}  // namespace lambdahat
