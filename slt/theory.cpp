#include "slt/theory.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/integer_power.hpp"
#include "tensor/error.hpp"

namespace lambdahat {

LearningCoefficient regular_model(std::int64_t d) {
  check(d >= 0, "regular_model", "the number of parameters must be >= 0, got ", d);
  return {static_cast<double>(d) / 2, 1};
}

LearningCoefficient normal_crossing(const std::vector<int>& k, const std::vector<int>& h_in) {
  std::vector<int> h = h_in.empty() ? std::vector<int>(k.size(), 0) : h_in;
  check(h.size() == k.size(), "normal_crossing", "k has ", k.size(), " entries but h has ", h.size());
  double best = std::numeric_limits<double>::infinity();
  std::int64_t m = 0;
  for (std::size_t i = 0; i < k.size(); ++i) {
    check(k[i] >= 0 && h[i] >= 0, "normal_crossing", "exponents must be >= 0");
    if (k[i] == 0) continue;  // w_i does not appear in K
    const double v = (h[i] + 1.0) / (2.0 * k[i]);
    if (v < best - 1e-12) {
      best = v;
      m = 1;
    } else if (std::abs(v - best) <= 1e-12) {
      ++m;
    }
  }
  check(m > 0, "normal_crossing", "K does not depend on any parameter (all k are 0)");
  return {best, m};
}

LearningCoefficient polynomial_regressor(const std::vector<int>& powers) {
  // E[f²] ∝ Π w_i^{2k_i}: a normal crossing with a flat prior
  return normal_crossing(powers);
}

double polynomial_regressor_finite_n(const std::vector<int>& powers, double sxx, double sxy, double nbeta,
                                     double gamma) {
  const char* op = "polynomial_regressor_finite_n";
  check(powers.size() == 1 || powers.size() == 2, op, "needs one or two parameters, got ", powers.size());
  for (int k : powers) check(k >= 0 && k <= 64, op, "powers must lie in [0, 64], got ", k);
  check(sxx > 0 && std::isfinite(sxx) && std::isfinite(sxy), op, "needs mean(x²) > 0 and a finite mean(xy), got ",
        sxx, " and ", sxy);
  check(nbeta > 0 && gamma > 0, op, "needs nβ > 0 and γ > 0 (without localization the posterior is improper), got ",
        nbeta, " and ", gamma);
  // Quadrature nodes per axis: w = ±e^t with t uniform (step h) from ln(1e-10) to ln R.
  // The posterior's scale along one axis shrinks like 1/|w_other|^k near the other
  // axis, so a grid uniform in log|w| resolves every scale with the same number of
  // points; the trapezoid rule in t converges fast for these smooth, decaying
  // integrands. R puts the localization factor at e^{-60}; the strip |w| < 1e-10
  // carries negligible mass.
  const double h = 0.01, t_low = std::log(1e-10), t_high = 0.5 * std::log(120.0 / gamma);
  struct Node {
    double w, weight;
  };
  std::vector<Node> nodes;
  for (double t = t_low; t <= t_high; t += h)
    for (double sign : {-1.0, 1.0}) nodes.push_back({sign * std::exp(t), std::exp(t) * h});
  // dL(u) = u²·sxx − 2u·sxy ≥ −sxy²/sxx: shifting the exponent by that bound keeps it ≤ 0
  const double shift = nbeta * sxy * sxy / sxx;
  long double Z = 0, E = 0;
  auto add = [&](double u, double weight, double w_squared) {
    const double dL = u * u * sxx - 2 * u * sxy;
    const double p = weight * std::exp(-nbeta * dL - shift - 0.5 * gamma * w_squared);
    Z += p;
    E += p * dL;
  };
  if (powers.size() == 1) {
    for (const Node& a : nodes) add(integer_power(a.w, powers[0]), a.weight, a.w * a.w);
  } else {
    std::vector<double> second(nodes.size());
    for (std::size_t j = 0; j < nodes.size(); ++j) second[j] = integer_power(nodes[j].w, powers[1]);
    for (const Node& a : nodes) {
      const double first = integer_power(a.w, powers[0]);
      for (std::size_t j = 0; j < nodes.size(); ++j)
        add(first * second[j], a.weight * nodes[j].weight, a.w * a.w + nodes[j].w * nodes[j].w);
    }
  }
  return nbeta * static_cast<double>(E / Z);
}

namespace {
// Widths up to 2^26 keep every product below in 64-bit integers and every sum exact
// in a double; larger ones are refused rather than overflowed.
constexpr std::int64_t kMaxWidth = std::int64_t{1} << 26;
}  // namespace

LearningCoefficient reduced_rank_regression(std::int64_t M, std::int64_t H, std::int64_t N, std::int64_t r) {
  check(M > 0 && H > 0 && N > 0, "reduced_rank_regression", "widths must be positive, got M=", M, " H=", H, " N=", N);
  check(M <= kMaxWidth && H <= kMaxWidth && N <= kMaxWidth, "reduced_rank_regression", "widths above ", kMaxWidth,
        " are not representable here, got M=", M, " H=", H, " N=", N);
  check(r >= 0 && r <= std::min({M, H, N}), "reduced_rank_regression", "rank ", r, " must be in [0, min(M,H,N)] = [0, ",
        std::min({M, H, N}), "]");
  if (N + r <= M + H && M + r <= N + H && H + r <= M + N) {
    // λ = [2(H+r)(M+N) − (M−N)² − (H+r)²]/8, plus 1/8 with m = 2 when M+H+N+r is odd
    double lambda = (2.0 * (H + r) * (M + N) - static_cast<double>((M - N) * (M - N)) -
                     static_cast<double>((H + r) * (H + r))) / 8;
    if ((M + H + N + r) % 2 == 1) return {lambda + 0.125, 2};
    return {lambda, 1};
  }
  if (M + H < N + r) return {static_cast<double>(H * M - H * r + N * r) / 2, 1};
  if (N + H < M + r) return {static_cast<double>(H * N - H * r + M * r) / 2, 1};
  return {static_cast<double>(M * N) / 2, 1};  // M + N < H + r
}

LearningCoefficient deep_linear_network(const std::vector<std::int64_t>& widths, std::int64_t r) {
  check(widths.size() >= 2, "deep_linear_network", "needs at least two widths, got ", widths.size());
  std::int64_t min_width = std::numeric_limits<std::int64_t>::max();
  for (auto w : widths) {
    check(w > 0, "deep_linear_network", "widths must be positive, got ", w);
    check(w <= kMaxWidth, "deep_linear_network", "widths above ", kMaxWidth, " are not representable here, got ", w);
    min_width = std::min(min_width, w);
  }
  check(r >= 0 && r <= min_width, "deep_linear_network", "rank ", r, " must be in [0, ", min_width,
        "] (the narrowest width)");
  const std::int64_t H1 = widths.front(), Hout = widths.back();
  if (widths.size() == 2) return {static_cast<double>(H1 * Hout) / 2, 1};  // one layer: regular
  // Δ_s = H_s − r, sorted ascending; find the first prefix Σ of size ℓ+1 (ℓ >= 1) with
  // (a) max_Σ Δ < min_{not Σ} Δ, (b) Σ_Σ Δ >= ℓ max_Σ Δ, (c) Σ_Σ Δ < ℓ min_{not Σ} Δ
  std::vector<std::int64_t> delta;
  for (auto w : widths) delta.push_back(w - r);
  std::sort(delta.begin(), delta.end());
  const std::size_t count = delta.size();
  for (std::size_t size = 2; size <= count; ++size) {
    const std::int64_t l = static_cast<std::int64_t>(size) - 1;
    std::int64_t S = 0;
    for (std::size_t i = 0; i < size; ++i) S += delta[i];
    const std::int64_t max_in = delta[size - 1];
    const bool all = size == count;
    const bool a = all || max_in < delta[size];
    const bool b = S >= l * max_in;
    const bool c = all || S < l * delta[size];
    if (!(a && b && c)) continue;
    // a = S − (⌈S/ℓ⌉ − 1) ℓ
    const std::int64_t ceil_s_l = (S + l - 1) / l;
    const std::int64_t a_value = S - (ceil_s_l - 1) * l;
    double pairs = 0;
    for (std::size_t i = 0; i < size; ++i)
      for (std::size_t j = i + 1; j < size; ++j) pairs += static_cast<double>(delta[i] * delta[j]);
    const double ld = static_cast<double>(l), sl = static_cast<double>(S) / ld;
    // λ = [−r² + r(H_1 + H_{L+1})]/2 + a(ℓ−a)/(4ℓ) − (ℓ(ℓ−1)/4)(S/ℓ)² + ½ Σ_{i<j∈Σ} Δ_i Δ_j
    const double lambda = (-static_cast<double>(r * r) + static_cast<double>(r * (H1 + Hout))) / 2 +
                          static_cast<double>(a_value * (l - a_value)) / (4 * ld) - ld * (ld - 1) / 4 * sl * sl +
                          pairs / 2;
    return {lambda, a_value * (l - a_value) + 1};
  }
  fail("deep_linear_network", "no admissible set of widths found (widths and rank inconsistent)");
}

LearningCoefficient linear_autoencoder(std::int64_t d, std::int64_t h, std::int64_t s) {
  check(d > 0 && h > 0, "linear_autoencoder", "sizes must be positive, got d=", d, " h=", h);
  check(d <= kMaxWidth && h <= kMaxWidth, "linear_autoencoder", "sizes above ", kMaxWidth,
        " are not representable here, got d=", d, " h=", h);
  check(s >= 1 && s <= d, "linear_autoencoder", "data rank ", s, " must be in [1, ", d, "]");
  return reduced_rank_regression(s, h, d, std::min(h, s));
}

LearningCoefficient toy_model_kgon(std::int64_t features, std::int64_t k) {
  check(k >= 5 && k <= features, "toy_model_kgon", "k = ", k, " must be in [5, ", features, "], the number of features");
  // 3 parameters per column of the polygon, less the rotation of the plane
  return {.lambda = (3.0 * static_cast<double>(k) - 1) / 2, .multiplicity = 1};
}

bool llc_target_defined(const LearningCoefficient& lc, double nbeta) { return lc.lambda < nbeta; }

double llc_target_at_n(const LearningCoefficient& lc, double nbeta) {
  check(lc.lambda > 0 && lc.multiplicity >= 1, "llc_target_at_n", "needs λ > 0 and m >= 1, got λ = ", lc.lambda,
        ", m = ", lc.multiplicity);
  check(nbeta > 1 && std::isfinite(nbeta), "llc_target_at_n", "needs nbeta > 1, got ", nbeta);
  check(llc_target_defined(lc, nbeta), "llc_target_at_n", "needs λ < nβ, got λ = ", lc.lambda, ", nβ = ", nbeta);
  // In u = log s the density is exp(λu − e^u) (log nβ − u)^(m−1) on u < log nβ; the
  // mean of s = e^u by Simpson's rule over a range that holds all but e^−40 of it.
  const double top = std::log(nbeta), lambda = lc.lambda, m1 = static_cast<double>(lc.multiplicity - 1);
  const double bottom = std::min(top, std::log(lambda)) - 40 / lambda - 10;
  const auto log_density = [&](double u) {
    return lambda * u - std::exp(u) + (m1 > 0 ? m1 * std::log(top - u) : 0.0);
  };
  const int k = 20000;  // even
  const double h = (top - bottom) / k;
  double peak = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < k; ++i) peak = std::max(peak, log_density(bottom + i * h));
  double mass = 0, first = 0;
  for (int i = 0; i <= k; ++i) {
    const double u = bottom + i * h;
    // at u = log nβ the factor (log nβ − u)^(m−1) is 0 for m > 1
    const double f = (i == k && m1 > 0) ? 0.0 : std::exp(log_density(u) - peak);
    const double weight = (i == 0 || i == k) ? 1 : (i % 2 ? 4 : 2);
    mass += weight * f;
    first += weight * f * std::exp(u);
  }
  return first / mass;
}

}  // namespace lambdahat
