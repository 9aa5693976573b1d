// --model polynomial: y = x·Π w_i^{k_i} + noise, sampled at its exact w* = 0.
#include <sstream>

#include "families.hpp"

namespace lambdahat::cli {

Family polynomial_family() {
  Family f;
  f.name = f.reported_as = "polynomial";
  f.flags = {"--powers", "--n"};  // no training: the model sits at w* = 0
  f.validate = [](const ProblemSpec& s) {
    check(!s.powers.empty(), "lambdahat", "--powers needs at least one power");
    for (int k : s.powers) check(k >= 0, "lambdahat", "--powers must be >= 0, got ", k);
  };
  f.footprint = [](const ProblemSpec& s) {
    const long double n = static_cast<long double>(s.n.value_or(5000));
    return Footprint{.data = n * 2 * 8, .activations = n * 4 * 4, .params = static_cast<long double>(s.powers.size())};
  };
  f.theory = [](const ProblemSpec& s) { return std::optional(polynomial_regressor(s.powers)); };
  f.finite_n = [](const ProblemSpec& s, const Problem& pr, const SamplerConfig& c) -> std::optional<double> {
    // one or two parameters, at w* = 0 (no checkpoint), γ > 0, every parameter sampled
    if (s.powers.size() > 2 || !s.checkpoint.empty() || !(c.localization > 0) || !c.sample_only.empty())
      return std::nullopt;
    const std::vector<double> x = pr.data.inputs().to(kFloat64).to_vector<double>();
    const std::vector<double> y = pr.data.targets().to(kFloat64).to_vector<double>();
    double sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      sxx += x[i] * x[i];
      sxy += x[i] * y[i];
    }
    const double n = static_cast<double>(x.size());
    return polynomial_regressor_finite_n(s.powers, sxx / n, sxy / n, resolve_nbeta(c, pr.data.size()), c.localization);
  };
  f.make = [](const ProblemSpec& s, Generator&, bool, const Log&) {
    // the data of docs/theory.md, "Known learning coefficients" (x ~ N(0, 2²),
    // y = 0.25 N(0, 1), w* = 0) with n = 5000 by default: at n = 1000 the exact
    // finite-n value still sits 15–20 % from λ (see slt/README.md)
    const std::int64_t n = s.n.value_or(5000);
    Made m{.model = std::make_unique<PolynomialRegressor>(s.powers),
           .data = polynomial_data(n, s.seed),
           .loss = mse_loss_fn(),
           .description = ""};
    std::ostringstream desc;
    desc << "polynomial regressor x·Π w_i^k_i, powers ";
    for (std::size_t i = 0; i < s.powers.size(); ++i) desc << (i ? "," : "") << s.powers[i];
    desc << ", n = " << n << ", w* = 0";
    m.description = desc.str();
    return m;
  };
  return f;
}

}  // namespace lambdahat::cli
