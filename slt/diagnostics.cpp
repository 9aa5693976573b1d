#include "slt/diagnostics.hpp"

#include <cmath>
#include <limits>

#include "tensor/error.hpp"

namespace lambdahat {

namespace {
double mean_of(const std::vector<double>& x, std::size_t from, std::size_t to) {
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += x[i];
  return s / static_cast<double>(to - from);
}
double variance_of(const std::vector<double>& x, std::size_t from, std::size_t to) {
  const double m = mean_of(x, from, to);
  double s = 0;
  for (std::size_t i = from; i < to; ++i) s += (x[i] - m) * (x[i] - m);
  return s / static_cast<double>(to - from - 1);
}
}  // namespace

double effective_sample_size(const std::vector<double>& x) {
  const std::size_t n = x.size();
  if (n < 4) return static_cast<double>(n);
  const double m = mean_of(x, 0, n);
  double c0 = 0;
  for (double v : x) c0 += (v - m) * (v - m);
  c0 /= static_cast<double>(n);
  if (c0 <= 0) return static_cast<double>(n);
  auto rho = [&](std::size_t lag) {
    double c = 0;
    for (std::size_t i = 0; i + lag < n; ++i) c += (x[i] - m) * (x[i + lag] - m);
    return c / static_cast<double>(n) / c0;
  };
  // Geyer's initial positive sequence, made monotone
  double sum = 0, previous = std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; 2 * k + 1 < n; ++k) {
    double gamma = rho(2 * k) + rho(2 * k + 1);
    if (gamma <= 0) break;
    gamma = std::min(gamma, previous);
    previous = gamma;
    sum += gamma;
  }
  const double tau = std::max(-1 + 2 * sum, 1.0 / std::log10(static_cast<double>(n)));
  return std::min(static_cast<double>(n) / tau, static_cast<double>(n) * std::log10(static_cast<double>(n)));
}

double split_rhat(const std::vector<std::vector<double>>& chains) {
  std::size_t half = std::numeric_limits<std::size_t>::max();
  for (const auto& c : chains) half = std::min(half, c.size() / 2);
  if (chains.empty() || half < 2) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> means, variances;
  for (const auto& c : chains) {
    // the first and last `half` draws (the middle one is dropped for odd lengths)
    const std::size_t second = c.size() - half;
    means.push_back(mean_of(c, 0, half));
    means.push_back(mean_of(c, second, c.size()));
    variances.push_back(variance_of(c, 0, half));
    variances.push_back(variance_of(c, second, c.size()));
  }
  double W = 0;
  for (double v : variances) W += v;
  W /= static_cast<double>(variances.size());
  const double B_over_m = variance_of(means, 0, means.size());
  if (W <= 0) return B_over_m <= 0 ? 1.0 : std::numeric_limits<double>::infinity();
  const double m = static_cast<double>(half);
  return std::sqrt(((m - 1) / m * W + B_over_m) / W);
}

double mala_acceptance_probability(const std::vector<double>& w, const std::vector<double>& w_new,
                                   const std::vector<double>& grad, const std::vector<double>& grad_new,
                                   double potential, double potential_new, double epsilon) {
  check(w.size() == w_new.size() && w.size() == grad.size() && w.size() == grad_new.size(),
        "mala_acceptance_probability", "vectors of different lengths");
  check(epsilon > 0, "mala_acceptance_probability", "epsilon must be > 0, got ", epsilon);
  double forward = 0, backward = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double f = w_new[i] - w[i] + epsilon / 2 * grad[i];
    const double b = w[i] - w_new[i] + epsilon / 2 * grad_new[i];
    forward += f * f;
    backward += b * b;
  }
  const double log_alpha = -potential_new + potential - backward / (2 * epsilon) + forward / (2 * epsilon);
  return log_alpha >= 0 ? 1.0 : std::exp(log_alpha);
}

}  // namespace lambdahat
