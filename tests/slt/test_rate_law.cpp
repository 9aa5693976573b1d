#include <cmath>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

TEST(RateLaw, FitsRecoverKnownCurves) {
  std::vector<double> x, y;
  for (int i = 1; i <= 8; ++i) {
    x.push_back(i);
    y.push_back(2 - 0.5 * i + 0.25 * i * i);
  }
  const PolynomialFit q = fit_polynomial(x, y, 2);
  EXPECT_NEAR(q.coefficients[0], 2, 1e-9);
  EXPECT_NEAR(q.coefficients[1], -0.5, 1e-9);
  EXPECT_NEAR(q.coefficients[2], 0.25, 1e-9);
  EXPECT_NEAR(q.r2, 1, 1e-12);
  const PolynomialFit l = fit_polynomial(x, y, 1);
  EXPECT_LT(l.r2, 1);
  EXPECT_GT(l.r2, 0.8);
  // a line through large, offset x values stays accurate (centring)
  std::vector<double> xb, yb;
  for (int i = 0; i < 5; ++i) {
    xb.push_back(1e6 + i);
    yb.push_back(3 + 0.1 * i);
  }
  EXPECT_NEAR(fit_polynomial(xb, yb, 1).coefficients[1], 0.1, 1e-8);
}

TEST(RateLaw, ArrheniusFitAndBootstrapInterval) {
  // ΔF = 1 + 2 log t + noise: the slope's interval covers 2 and excludes 0
  Generator gen(3);
  std::vector<double> t, df;
  for (int i = 0; i < 60; ++i) {
    const double time = std::exp(gen.uniform() * 4 + 1);
    t.push_back(time);
    df.push_back(1 + 2 * std::log(time) + 0.3 * gen.normal());
  }
  const RateLawFit fit = fit_rate_law(t, df, 2000, 7);
  EXPECT_NEAR(fit.linear.coefficients[1], 2, 0.2);
  EXPECT_GT(fit.linear.r2, 0.9);
  EXPECT_LT(fit.slope_ci_low, 2);
  EXPECT_GT(fit.slope_ci_high, 2);
  EXPECT_GT(fit.slope_ci_low, 1.5);
  EXPECT_EQ(fit.quadratic.coefficients.size(), 3u);
  EXPECT_EQ(fit.runs, 60);
  // the same seed gives the same interval
  const RateLawFit again = fit_rate_law(t, df, 2000, 7);
  EXPECT_EQ(again.slope_ci_low, fit.slope_ci_low);
  EXPECT_EQ(testing::error_of([] { fit_rate_law({1, 2}, {1, 2}); }), "fit_rate_law: needs at least 3 runs, got 2");
  EXPECT_EQ(testing::error_of([] { fit_rate_law({1, 0, 2}, {1, 2, 3}); }), "fit_rate_law: times must be positive, got 0");
}

TEST(FreeEnergy, LocalFreeEnergyAndDifference) {
  EXPECT_NEAR(local_free_energy(1000, 0.01, 2.5), 10 + 2.5 * std::log(1000.0), 1e-12);
  // ΔF = n ΔL + log n Δλ
  EXPECT_NEAR(free_energy_difference(1123, 0.5, 10, 0.1, 14), 1123 * -0.4 + std::log(1123.0) * 4, 1e-9);
}

}  // namespace
}  // namespace lambdahat
