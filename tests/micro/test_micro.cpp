// micro/micro.hpp, the one-file version of lambdahat: its autodiff against
// derivatives worked by hand, and its λ̂ of polynomial regressors against the exact
// finite-n target of slt/theory.hpp and against the library's estimate on the same
// data with the same settings, within their standard errors.
#include <cmath>
#include <cstdio>
#include <vector>

#include "micro/micro.hpp"
#include "support/reference.hpp"

namespace {

TEST(Micro, AutodiffMatchesDerivativesWorkedByHand) {
  // f(a, b) = (a·b − 3)² + a³ at a = 2, b = −1: ∂f/∂a = 2(ab − 3)·b + 3a², ∂f/∂b = 2(ab − 3)·a
  const micro::Value a(2.0), b(-1.0);
  const micro::Value d = a * b - micro::Value(3.0);
  const micro::Value f = d * d + pow(a, 3);
  f.backward();
  EXPECT_DOUBLE_EQ(f.value(), 25.0 + 8.0);
  EXPECT_DOUBLE_EQ(a.grad(), 2 * (-5.0) * (-1.0) + 12.0);
  EXPECT_DOUBLE_EQ(b.grad(), 2 * (-5.0) * 2.0);
  // a value used twice gets both contributions, and a second backward starts afresh
  const micro::Value g = a * a;
  g.backward();
  EXPECT_DOUBLE_EQ(a.grad(), 4.0);
}

struct Case {
  std::vector<int> powers;
  std::uint64_t seed;
};

TEST(Micro, LlcAgreesWithTheLibraryAndWithTheExactFiniteNTarget) {
  using namespace lambdahat;
  for (const Case& c : {Case{{1}, 0}, Case{{2}, 1}}) {
    const Dataset data = polynomial_data(1000, c.seed, 2.0, 0.25, kFloat64);
    const std::vector<double> x = data.inputs().to_vector<double>(), y = data.targets().to_vector<double>();
    const micro::Data d = micro::summarize(x, y);
    const micro::Settings s{.epsilon = 2e-5, .gamma = 1, .burnin = 1000, .draws = 20000, .seed = c.seed};
    const micro::Estimate mine = micro::llc(std::vector<double>(c.powers.size(), 0.0), c.powers, d, s, 4);

    // the exact value the estimator targets for this data set, nβ and γ
    const double nbeta = 1000 / std::log(1000.0);
    const double exact = polynomial_regressor_finite_n(c.powers, d.sxx, d.sxy, nbeta, 1);
    EXPECT_NEAR(mine.llc, exact, 4 * mine.standard_error + 0.02 * exact) << "powers " << c.powers[0];

    // the library at the same settings (float64, full batches)
    PolynomialRegressor model(c.powers, kFloat64);
    SamplerConfig config;
    config.epsilon = 2e-5;
    config.localization = 1;
    config.num_chains = 4;
    config.num_draws = 20000;
    config.num_burnin_steps = 1000;
    config.seed = c.seed;
    const LLCResult lib = estimate_llc(model, mse_loss_fn(), data, config);
    const double joint = std::hypot(mine.standard_error, lib.diagnostics.mcse);
    std::printf("powers %d: micro %.4f ± %.4f, library %.4f ± %.4f, exact finite-n %.4f, λ %.4f\n", c.powers[0],
                mine.llc, mine.standard_error, lib.mean, lib.diagnostics.mcse, exact,
                polynomial_regressor(c.powers).lambda);
    EXPECT_NEAR(mine.llc, lib.mean, 4 * joint) << "powers " << c.powers[0] << ": micro " << mine.llc << " ± "
                                               << mine.standard_error << ", library " << lib.mean << " ± "
                                               << lib.diagnostics.mcse;
    // and theory's asymptotic λ = 1/(2k) is where both are heading
    EXPECT_NEAR(mine.llc, polynomial_regressor(c.powers).lambda, 0.25 * polynomial_regressor(c.powers).lambda);
  }
}

}  // namespace
