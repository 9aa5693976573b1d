// Rate-law (Arrhenius) analysis of phase transitions (docs/theory.md, "The seed study"): if the
// time to cross a transition grows exponentially with the free-energy difference,
// log(time) is linear in ΔF. Given one (time, ΔF) pair per run, fit ΔF against
// x = log(time) by least squares, linearly and quadratically, and bound the linear
// slope with a bootstrap over runs.
#pragma once

#include <cstdint>
#include <vector>

namespace lambdahat {

struct PolynomialFit {
  std::vector<double> coefficients;  // c0 + c1 x + c2 x² + …
  double r2 = 0;                     // 1 − SS_res / SS_tot
};

// Least-squares polynomial of the given degree (0, 1 or 2 … up to 4).
PolynomialFit fit_polynomial(const std::vector<double>& x, const std::vector<double>& y, int degree);

struct RateLawFit {
  PolynomialFit linear, quadratic;
  double slope_ci_low = 0, slope_ci_high = 0;  // percentile bootstrap interval of the linear slope
  double confidence = 0.95;
  std::int64_t runs = 0;
};

// times must be positive. Needs at least 3 runs (4 for the quadratic fit, which is
// left empty otherwise).
RateLawFit fit_rate_law(const std::vector<double>& times, const std::vector<double>& delta_f,
                        int bootstrap_samples = 2000, std::uint64_t seed = 0, double confidence = 0.95);

}  // namespace lambdahat
