// λ̂ against theory, free energies against exact values, calibration.
#include <cmath>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

// The Python peer's accuracy test (docs/theory.md, "Known learning coefficients"): n = 1000, x ~ N(0, 2²),
// y = 0.25 N(0, 1), MSE, nβ = n/log n, ε = 4e-4, 10 chains × 5000 draws; the truth must
// lie within mean ± 3.5 sd. (γ = 1: without localization the posterior is improper.)
TEST(LLC, PolynomialRegressorsWithThePeersSettings) {
  const Dataset data = polynomial_data(1000, 0);
  for (const std::vector<int>& powers : std::vector<std::vector<int>>{{1, 1}, {0, 2}, {2, 2}, {1, 3}}) {
    PolynomialRegressor model(powers);
    SamplerConfig c;
    c.epsilon = 4e-4;
    c.localization = 1;
    c.num_chains = 10;
    c.num_draws = 5000;
    c.mala_every = 10;
    c.seed = 1;
    const LLCResult r = estimate_llc(model, mse_loss_fn(), data, c);
    const double truth = polynomial_regressor(powers).lambda;
    EXPECT_NEAR(r.mean, truth, 3.5 * r.std) << "powers " << powers[0] << "," << powers[1];
    EXPECT_EQ(r.diagnostics.diverged_chains, 0);
    EXPECT_GT(r.diagnostics.mala_acceptance, 0.9);
    EXPECT_NEAR(r.nbeta, 1000 / std::log(1000.0), 1e-9);
  }
}

// Teacher–student deep linear networks: a random rank-r teacher, a student trained
// to it, λ̂ at the student, within 15 % of Aoyagi's value.
void check_deep_linear(const std::vector<std::int64_t>& widths, std::int64_t rank, double epsilon) {
  const std::int64_t n = 5000;
  const TeacherStudent ts = teacher_student(n, widths.front(), widths.back(), rank, 0.1, 3);
  Generator gen(3, 1);
  DeepLinearNetwork model(widths, gen);
  Adam opt(model.parameters(), AdamOptions{.lr = 1e-2});
  for (int step = 0; step < 4000; ++step) {
    opt.zero_grad();
    mse_loss(model(Variable(ts.data.inputs())), Variable(ts.data.targets())).backward();
    opt.step();
  }
  SamplerConfig c;
  c.epsilon = epsilon;
  c.localization = 1;
  c.num_chains = 4;
  c.num_draws = 2000;
  c.num_burnin_steps = 500;
  c.mala_every = 20;
  c.seed = 1;
  const LLCResult r = estimate_llc(model, mse_loss_fn(), ts.data, c);
  const double truth = deep_linear_network(widths, rank).lambda;
  EXPECT_NEAR(r.mean, truth, 0.15 * truth) << "widths of size " << widths.size() << ", rank " << rank;
  EXPECT_LT(r.diagnostics.below_init_fraction, 0.05);
}

TEST(LLC, ReducedRankRegressionTeacherStudent) {
  check_deep_linear({4, 3, 4}, 1, 1e-4);  // λ = 6
  check_deep_linear({5, 3, 5}, 0, 1e-4);  // λ = 6.5 (m = 2)
}

TEST(LLC, DeepLinearNetworkTeacherStudent) {
  check_deep_linear({4, 3, 3, 4}, 1, 1e-4);  // λ = 5.5 (m = 3)
  check_deep_linear({3, 3, 3}, 1, 1e-4);     // λ = 4
}

// A linear regression: L_n(w) = L0 + ½ (w − ŵ)ᵀ H (w − ŵ) exactly, with H = 2 XᵀX / n.
struct Quadratic {
  Dataset data;
  Tensor w_hat;       // least squares
  double l0 = 0;      // L_n(ŵ)
  Tensor H;           // 3 × 3
};

Quadratic quadratic_problem() {
  Generator gen(4);
  const std::int64_t n = 100;
  const Tensor X = normal({n, 3}, gen, 0, 0.22, kFloat64);
  const Tensor y = add(matmul(X, tensor({1, -1, 0.5}, kFloat64).reshape({3, 1})), normal({n, 1}, gen, 0, 0.3, kFloat64));
  const Tensor A = matmul(X.t(), X), b = matmul(X.t(), y);
  // solve A ŵ = b (3 × 3, Cramer's rule)
  auto det3 = [](const Tensor& m) {
    auto e = [&](int r, int c) { return m.at({r, c}); };
    return e(0, 0) * (e(1, 1) * e(2, 2) - e(1, 2) * e(2, 1)) - e(0, 1) * (e(1, 0) * e(2, 2) - e(1, 2) * e(2, 0)) +
           e(0, 2) * (e(1, 0) * e(2, 1) - e(1, 1) * e(2, 0));
  };
  const double d = det3(A);
  std::vector<double> w(3);
  for (int k = 0; k < 3; ++k) {
    Tensor Ak = A.clone();
    Ak.select(1, k).copy_(b.reshape({3}));
    w[k] = det3(Ak) / d;
  }
  Quadratic q{Dataset(X, y), from_vector(w, {1, 3}), 0, mul(A, 2.0 / n)};
  const Tensor r = sub(y, matmul(X, q.w_hat.t()));
  q.l0 = mean(mul(r, r)).item();
  return q;
}

double log_det_3(const Tensor& m) {
  auto e = [&](int r, int c) { return m.at({r, c}); };
  return std::log(e(0, 0) * (e(1, 1) * e(2, 2) - e(1, 2) * e(2, 1)) - e(0, 1) * (e(1, 0) * e(2, 2) - e(1, 2) * e(2, 0)) +
                  e(0, 2) * (e(1, 0) * e(2, 1) - e(1, 1) * e(2, 0)));
}

TEST(FreeEnergy, ThermodynamicIntegrationMatchesTheExactQuadraticFreeEnergy) {
  const Quadratic q = quadratic_problem();
  Generator gen(5);
  Linear model(3, 1, gen, LinearOptions{.bias = false, .dtype = kFloat64});
  model.weight.value().copy_(q.w_hat);
  const double n = 100, gamma = 10;
  // F(1) = n L0 + ½ Σ log(1 + n h_i / γ) = n L0 + ½ log det(I + (n/γ) H)
  const Tensor M = add(mul(q.H, n / gamma), from_vector(std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3}));
  const double exact = n * q.l0 + 0.5 * log_det_3(M);
  SamplerConfig c;
  c.epsilon = 1e-3;
  c.localization = gamma;
  c.num_chains = 8;
  c.num_draws = 600;
  c.num_steps_bw_draws = 10;
  c.num_burnin_steps = 1000;
  c.seed = 3;
  const ThermodynamicIntegration ti = thermodynamic_integration(model, mse_loss_fn(), q.data, c, beta_ladder(16, 3));
  // sampling error + quadrature error + the step-size bias (ε times the largest
  // curvature, γ + n h_max ≈ 20, over 2: about 1 % of the sampled part)
  const double bias = 0.01 * (exact - n * q.l0);
  EXPECT_NEAR(ti.free_energy, exact, 4 * ti.sampling_error + ti.quadrature_error + bias)
      << "sampling error " << ti.sampling_error << ", quadrature error " << ti.quadrature_error;
  EXPECT_GT(ti.sampling_error, 0);
  EXPECT_EQ(ti.betas.size(), 17u);
  // E_β[n L_n] decreases with β towards n L0
  EXPECT_GT(ti.expectations.front(), ti.expectations.back());

  // WBIC at β* = 1/log n: n L0 + ½ Σ n h_i / (γ + β* n h_i) = n L0 + ½ tr(nH (γ + β* nH)⁻¹)
  const WBICResult w = wbic(model, mse_loss_fn(), q.data, c);
  // trace of nH (γI + β* nH)⁻¹ via the eigen-free identity for 3 × 3: use the series
  // tr(A (γ + bA)⁻¹) with A = nH computed by solving column by column
  const double b_star = 1 / std::log(n);
  const Tensor A = mul(q.H, n);
  Tensor S = add(mul(A, b_star), mul(from_vector(std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1}, {3, 3}), gamma));
  // invert S by the adjugate
  auto e = [&](int r, int cc) { return S.at({r, cc}); };
  const double det = std::exp(log_det_3(S));
  std::vector<double> inv(9);
  for (int r = 0; r < 3; ++r)
    for (int cc = 0; cc < 3; ++cc) {
      const int r1 = (cc + 1) % 3, r2 = (cc + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3;
      inv[r * 3 + cc] = (e(r1, c1) * e(r2, c2) - e(r1, c2) * e(r2, c1)) / det;
    }
  const double trace = sum(mul(A, from_vector(inv, {3, 3}).t())).item();
  const double expected_wbic = n * q.l0 + 0.5 * trace;
  EXPECT_NEAR(w.wbic, expected_wbic, 4 * w.standard_error + 0.01 * 0.5 * trace);
  EXPECT_NEAR(w.nbeta, n / std::log(n), 1e-12);
}

TEST(Sweep, RecommendsTheLargestStableStepSize) {
  const Dataset data = polynomial_data(1000, 0);
  PolynomialRegressor model({1, 1});
  SamplerConfig c;
  c.localization = 1;
  c.num_chains = 4;
  c.num_draws = 400;
  c.num_burnin_steps = 0;
  c.mala_every = 1;
  c.seed = 2;
  const SweepResult r = sweep_step_size(model, mse_loss_fn(), data, c, {1e-5, 1e-4, 1e-3, 1e-2, 0.5});
  ASSERT_EQ(r.points.size(), 5u);
  ASSERT_TRUE(r.recommended.has_value());
  const SweepPoint& best = r.points[*r.recommended];
  EXPECT_TRUE(best.stable);
  EXPECT_GE(best.mala_acceptance, kTargetAcceptance);
  // its λ̂ agrees with the next smaller step size's within two standard errors (the
  // smallest step size has none to compare with)
  if (*r.recommended > 0) {
    const SweepPoint& smaller = r.points[*r.recommended - 1];
    EXPECT_LE(std::abs(best.llc_mean - smaller.llc_mean), 2 * std::hypot(best.mcse, smaller.mcse));
  }
  // no larger setting is stable, accepted that often and in agreement with the next smaller
  for (std::size_t i = *r.recommended + 1; i < r.points.size(); ++i) {
    const SweepPoint &p = r.points[i], &q = r.points[i - 1];
    EXPECT_TRUE(!p.stable || p.mala_acceptance < kTargetAcceptance ||
                std::abs(p.llc_mean - q.llc_mean) > 2 * std::hypot(p.mcse, q.mcse));
  }
  // the largest step size is far too large for this posterior
  EXPECT_FALSE(r.points.back().stable && r.points.back().mala_acceptance >= kTargetAcceptance);
  EXPECT_NE(r.recommendation.find("use epsilon"), std::string::npos);
}

}  // namespace
}  // namespace lambdahat
