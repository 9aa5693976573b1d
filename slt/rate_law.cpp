#include "slt/rate_law.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/error.hpp"
#include "tensor/random.hpp"

namespace lambdahat {

PolynomialFit fit_polynomial(const std::vector<double>& x, const std::vector<double>& y, int degree) {
  check(x.size() == y.size(), "fit_polynomial", x.size(), " x values but ", y.size(), " y values");
  check(degree >= 0 && degree <= 4, "fit_polynomial", "degree must be in [0, 4], got ", degree);
  const std::size_t n = x.size(), k = static_cast<std::size_t>(degree) + 1;
  check(n >= k, "fit_polynomial", "needs at least ", k, " points for degree ", degree, ", got ", n);
  // centre and scale x for a well-conditioned normal-equation solve
  double mx = 0, sx = 0;
  for (double v : x) mx += v;
  mx /= static_cast<double>(n);
  for (double v : x) sx = std::max(sx, std::abs(v - mx));
  if (sx == 0) sx = 1;
  std::vector<std::vector<double>> A(k, std::vector<double>(k + 1, 0.0));
  for (std::size_t i = 0; i < n; ++i) {
    const double t = (x[i] - mx) / sx;
    std::vector<double> powers(k, 1.0);
    for (std::size_t p = 1; p < k; ++p) powers[p] = powers[p - 1] * t;
    for (std::size_t r = 0; r < k; ++r) {
      for (std::size_t c = 0; c < k; ++c) A[r][c] += powers[r] * powers[c];
      A[r][k] += powers[r] * y[i];
    }
  }
  // Gaussian elimination with partial pivoting
  for (std::size_t col = 0; col < k; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < k; ++r)
      if (std::abs(A[r][col]) > std::abs(A[pivot][col])) pivot = r;
    std::swap(A[col], A[pivot]);
    check(std::abs(A[col][col]) > 1e-12, "fit_polynomial", "the x values do not determine a degree-", degree,
          " fit (too few distinct values)");
    for (std::size_t r = 0; r < k; ++r) {
      if (r == col) continue;
      const double f = A[r][col] / A[col][col];
      for (std::size_t c = col; c <= k; ++c) A[r][c] -= f * A[col][c];
    }
  }
  std::vector<double> scaled(k);
  for (std::size_t r = 0; r < k; ++r) scaled[r] = A[r][k] / A[r][r];
  // back to coefficients of x: expand Σ a_p ((x − mx)/sx)^p
  std::vector<double> coef(k, 0.0);
  for (std::size_t p = 0; p < k; ++p) {
    // (x − mx)^p = Σ_j C(p, j) x^j (−mx)^{p−j}
    double binom = 1;
    for (std::size_t j = 0; j <= p; ++j) {
      if (j > 0) binom = binom * static_cast<double>(p - j + 1) / static_cast<double>(j);
      coef[j] += scaled[p] / std::pow(sx, static_cast<double>(p)) * binom * std::pow(-mx, static_cast<double>(p - j));
    }
  }
  PolynomialFit fit;
  fit.coefficients = coef;
  double my = 0;
  for (double v : y) my += v;
  my /= static_cast<double>(n);
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double pred = 0, xp = 1;
    for (std::size_t p = 0; p < k; ++p, xp *= x[i]) pred += coef[p] * xp;
    ss_res += (y[i] - pred) * (y[i] - pred);
    ss_tot += (y[i] - my) * (y[i] - my);
  }
  fit.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : 1.0;
  return fit;
}

RateLawFit fit_rate_law(const std::vector<double>& times, const std::vector<double>& delta_f, int bootstrap_samples,
                        std::uint64_t seed, double confidence) {
  check(times.size() == delta_f.size(), "fit_rate_law", times.size(), " times but ", delta_f.size(), " values of dF");
  check(times.size() >= 3, "fit_rate_law", "needs at least 3 runs, got ", times.size());
  check(confidence > 0 && confidence < 1, "fit_rate_law", "confidence must be in (0, 1), got ", confidence);
  std::vector<double> x;
  for (double t : times) {
    check(t > 0, "fit_rate_law", "times must be positive, got ", t);
    x.push_back(std::log(t));
  }
  RateLawFit r;
  r.runs = static_cast<std::int64_t>(times.size());
  r.confidence = confidence;
  r.linear = fit_polynomial(x, delta_f, 1);
  if (times.size() >= 4) r.quadratic = fit_polynomial(x, delta_f, 2);
  // percentile bootstrap of the slope: resample runs with replacement
  Generator gen(seed, 0);
  std::vector<double> slopes;
  const auto n = static_cast<std::int64_t>(x.size());
  for (int b = 0; b < bootstrap_samples; ++b) {
    std::vector<double> bx, by;
    for (std::int64_t i = 0; i < n; ++i) {
      const auto j = static_cast<std::size_t>(gen.randint(0, n));
      bx.push_back(x[j]);
      by.push_back(delta_f[j]);
    }
    if (*std::max_element(bx.begin(), bx.end()) == *std::min_element(bx.begin(), bx.end())) continue;
    slopes.push_back(fit_polynomial(bx, by, 1).coefficients[1]);
  }
  if (!slopes.empty()) {
    std::sort(slopes.begin(), slopes.end());
    const double alpha = (1 - confidence) / 2;
    auto quantile = [&](double q) {
      const double pos = q * static_cast<double>(slopes.size() - 1);
      const auto lo = static_cast<std::size_t>(std::floor(pos));
      const std::size_t hi = std::min(lo + 1, slopes.size() - 1);
      return slopes[lo] + (pos - static_cast<double>(lo)) * (slopes[hi] - slopes[lo]);
    };
    r.slope_ci_low = quantile(alpha);
    r.slope_ci_high = quantile(1 - alpha);
  }
  return r;
}

}  // namespace lambdahat
