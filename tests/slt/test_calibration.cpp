// The automatic calibration, the MALA sampler, chains run further and the
// leading-order target at finite n.
#include <cmath>
#include <limits>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

// A regression whose loss is exactly quadratic with a diagonal Hessian: inputs on the
// axes, Σ x1² = 4 and Σ x2² = 16 over n = 8, so H = 2 XᵀX / n = diag(1, 4). The
// posterior exp(−nβ L − (γ/2)‖w − ŵ‖²) around the least-squares ŵ is Gaussian and
// E[nβ (L − L(ŵ))] = ½ Σ_i nβ h_i / (nβ h_i + γ).
struct Gaussian {
  Dataset data;
  std::unique_ptr<Linear> model;
  double nbeta = 50, gamma = 2;
  double exact() const { return 0.5 * (nbeta * 1 / (nbeta * 1 + gamma) + nbeta * 4 / (nbeta * 4 + gamma)); }
};

Gaussian gaussian_problem() {
  const std::vector<double> x = {1, 0, -1, 0, 0, 2, 0, -2, 1, 0, -1, 0, 0, 2, 0, -2};
  const std::vector<double> y = {0.3, -0.2, 0.5, 0.1, 0.2, 0.4, -0.6, 0.2};
  Gaussian g{Dataset(from_vector(x, {8, 2}), from_vector(y, {8, 1})), nullptr};
  Generator gen(1);
  g.model = std::make_unique<Linear>(2, 1, gen, LinearOptions{.bias = false, .dtype = kFloat64});
  // least squares, coordinate by coordinate (orthogonal columns)
  double w[2] = {0, 0}, xx[2] = {0, 0};
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 2; ++j) {
      w[j] += x[2 * i + j] * y[i];
      xx[j] += x[2 * i + j] * x[2 * i + j];
    }
  g.model->weight.value().copy_(from_vector(std::vector<double>{w[0] / xx[0], w[1] / xx[1]}, {1, 2}));
  return g;
}

SamplerConfig fixed(double epsilon, SamplerKind kind, const Gaussian& g) {
  SamplerConfig c;
  c.kind = kind;
  c.epsilon = epsilon;
  c.nbeta = g.nbeta;
  c.localization = g.gamma;
  c.num_chains = 4;
  c.num_draws = 40000;
  c.num_burnin_steps = 1000;
  c.seed = 3;
  return c;
}

TEST(Mala, MatchesTheGaussianClosedFormWhereSgldIsBiased) {
  Gaussian g = gaussian_problem();
  // ε·(nβ h_max + γ) = 0.005 · 202 ≈ 1: SGLD inflates the stiff direction's variance
  // by about 1/(1 − 1/4); MALA's accept/reject step removes that bias entirely
  const LLCResult mala = estimate_llc(*g.model, mse_loss_fn(), g.data, fixed(0.005, SamplerKind::mala, g));
  EXPECT_NEAR(mala.mean, g.exact(), 4 * mala.diagnostics.mcse) << "MCSE " << mala.diagnostics.mcse;
  EXPECT_LT(mala.diagnostics.mcse, 0.02 * g.exact());
  EXPECT_GT(mala.diagnostics.mala_acceptance, 0.5);
  const LLCResult sgld = estimate_llc(*g.model, mse_loss_fn(), g.data, fixed(0.005, SamplerKind::sgld, g));
  EXPECT_GT(sgld.mean, 1.08 * g.exact()) << "SGLD should be visibly biased at this step size";
  // MALA is full-batch only
  SamplerConfig minibatch = fixed(0.005, SamplerKind::mala, g);
  minibatch.batch_size = 4;
  EXPECT_THROW(estimate_llc(*g.model, mse_loss_fn(), g.data, minibatch), Error);
  EXPECT_EQ(parse_sampler_kind("mala"), SamplerKind::mala);
  EXPECT_STREQ(to_string(SamplerKind::sgnht), "sgnht");
  EXPECT_THROW(parse_sampler_kind("hmc"), Error);
}

TEST(Calibration, DefaultsLandOnTheGaussianClosedFormAndSayWhy) {
  Gaussian g = gaussian_problem();
  SamplerConfig c;  // only the problem's nβ and γ; ε, draws and burn-in calibrated
  c.nbeta = g.nbeta;
  c.localization = g.gamma;
  const LLCResult r = estimate_llc(*g.model, mse_loss_fn(), g.data, c);
  ASSERT_TRUE(r.has_estimate());
  // SGLD at the calibrated ε within 3 % of the exact value (which MALA reaches above)
  EXPECT_NEAR(r.mean, g.exact(), 0.03 * g.exact() + 3 * r.diagnostics.mcse);
  EXPECT_TRUE(r.calibration.epsilon_chosen && r.calibration.burnin_chosen && r.calibration.draws_chosen);
  EXPECT_TRUE(r.calibration.targets_met) << r.calibration.summary();
  EXPECT_LE(r.diagnostics.mcse, 0.02 * r.mean);
  EXPECT_LE(r.diagnostics.rhat, 1.01);
  EXPECT_GE(r.diagnostics.ess_bulk, 100.0 * 4);
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  // the trials: acceptance pilots, then at least one halving test that passed
  bool halving_passed = false;
  for (const auto& t : r.calibration.trials) halving_passed |= t.test == "halving" && t.passed;
  EXPECT_TRUE(halving_passed);
  EXPECT_EQ(*r.config.epsilon, r.calibration.epsilon);
  EXPECT_NE(r.calibration.summary().find("MALA acceptance"), std::string::npos);
  // the same seed gives the same bits, whatever the thread count
  SamplerConfig one_thread = c;
  one_thread.threads = 1;
  const LLCResult again = estimate_llc(*g.model, mse_loss_fn(), g.data, one_thread);
  EXPECT_EQ(again.mean, r.mean);
  EXPECT_EQ(again.calibration.epsilon, r.calibration.epsilon);
}

// SGNHT with no settings: h = √ε of the calibrated SGLD step, the same precision
// targets, and the Gaussian's exact value within its error and SGNHT's own step bias
// (a few per cent at the calibrated margin, as for SGLD above).
TEST(Calibration, SgnhtDerivesItsStepFromTheSgldCalibration) {
  Gaussian g = gaussian_problem();
  SamplerConfig c;
  c.kind = SamplerKind::sgnht;
  c.nbeta = g.nbeta;
  c.localization = g.gamma;
  const LLCResult r = estimate_llc(*g.model, mse_loss_fn(), g.data, c);
  ASSERT_TRUE(r.has_estimate());
  EXPECT_NEAR(r.mean, g.exact(), 0.05 * g.exact() + 3 * r.diagnostics.mcse);
  EXPECT_TRUE(r.calibration.targets_met) << r.calibration.summary();
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_TRUE(std::isnan(r.diagnostics.mala_acceptance));  // no MALA check on a momentum step
  // the SGLD calibration's step, then its square root
  SamplerConfig sgld = c;
  sgld.kind = SamplerKind::sgld;
  const LLCResult s = estimate_llc(*g.model, mse_loss_fn(), g.data, sgld);
  EXPECT_DOUBLE_EQ(*r.config.epsilon, std::sqrt(s.calibration.epsilon));
  EXPECT_EQ(r.calibration.epsilon_reason.rfind("SGNHT step h = √ε", 0), 0u) << r.calibration.epsilon_reason;
}

TEST(Calibration, NoStableStepSizeIsNoEstimateAndNamesWhatWasTried) {
  // a loss that is finite at w* and nowhere else: every step size diverges, and the
  // search stops at its floor rather than shrinking ε for ever
  Gaussian g = gaussian_problem();
  const std::vector<double> w_star = g.model->weight.value().to_vector<double>();
  const LossFn cliff = [w_star](Module& model, const Batch& batch) {
    Linear& linear = dynamic_cast<Linear&>(model);
    const Variable mse = mse_loss(model(Variable(batch.inputs)), Variable(batch.targets));
    const bool at_w_star = linear.weight.value().to_vector<double>() == w_star;
    return at_w_star ? mse : mse * std::numeric_limits<double>::quiet_NaN();
  };
  SamplerConfig c;
  c.nbeta = g.nbeta;
  c.localization = g.gamma;
  const LLCResult r = estimate_llc(*g.model, cliff, g.data, c);
  EXPECT_FALSE(r.has_estimate());
  EXPECT_TRUE(r.calibration.failed);
  EXPECT_NE(r.calibration.epsilon_reason.find("epsilon "), std::string::npos);
  EXPECT_NE(r.calibration.epsilon_reason.find("diverged"), std::string::npos) << r.calibration.epsilon_reason;
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.front().find("no step size reached"), std::string::npos);
  // the search went down from the first guess by 4x each time, and no further than its floor
  ASSERT_GE(r.calibration.trials.size(), 8u);
  const double first = r.calibration.trials.front().epsilon, last = r.calibration.trials.back().epsilon;
  EXPECT_NEAR(r.calibration.trials[1].epsilon, first / 4, 1e-12 * first);
  EXPECT_GE(last, first * 1e-6 / 4);
}

TEST(Calibration, StationarityCutFindsTheEndOfATransient) {
  // an exponential approach to a level, then noise around it
  Generator gen(2);
  const std::vector<double> noise = normal({4000}, gen, 0, 0.05, kFloat64).to_vector<double>();
  std::vector<double> trace;
  for (int t = 0; t < 4000; ++t) trace.push_back(1 - std::exp(-t / 150.0) + noise[static_cast<std::size_t>(t)]);
  const std::int64_t cut = stationarity_cut(trace, 40);
  EXPECT_GT(cut, 300);   // 2 time constants in: still 0.13 below the level
  EXPECT_LT(cut, 1600);  // never more than it needs, and at most half
  std::vector<double> flat(noise.begin(), noise.end());
  EXPECT_LT(stationarity_cut(flat, 40), 400);
  EXPECT_EQ(stationarity_cut({1, 2, 3}, 1), 0);
  EXPECT_THROW(stationarity_cut(flat, 0), Error);
}

TEST(ChainSet, RunningFurtherEqualsRunningOnceBitForBit) {
  Gaussian g = gaussian_problem();
  SamplerConfig c = fixed(0.002, SamplerKind::sgld, g);
  c.num_draws = 300;
  c.num_burnin_steps = 50;
  const std::vector<ChainTrace> once = run_chains(*g.model, mse_loss_fn(), g.data, c);
  c.num_draws = 120;
  ChainSet set(*g.model, mse_loss_fn(), g.data, c);
  set.run();
  set.config().num_draws = 300;
  set.run();
  ASSERT_EQ(set.traces().size(), once.size());
  for (std::size_t i = 0; i < once.size(); ++i) {
    EXPECT_EQ(set.traces()[i].losses, once[i].losses);
    EXPECT_EQ(set.traces()[i].mala_checks, once[i].mala_checks);
  }
  SamplerConfig unset = c;
  unset.epsilon.reset();
  EXPECT_THROW(run_chains(*g.model, mse_loss_fn(), g.data, unset), Error);
}

TEST(Theory, LeadingOrderTargetAtFiniteN) {
  // the example of docs/theory.md: 5-3-5 at rank 0 (λ = 6.5, m = 2), n = 1000
  const double nbeta = 1000 / std::log(1000.0);
  EXPECT_NEAR(llc_target_at_n({6.5, 2}, nbeta), 6.19, 0.005);
  // m = 1: the mean of Gamma(λ) cut at nβ, λ itself once nβ is large
  EXPECT_NEAR(llc_target_at_n({3, 1}, 1e4), 3.0, 1e-9);
  // with m > 1 it rises towards λ as nβ grows
  const double small = llc_target_at_n({0.5, 2}, 100), large = llc_target_at_n({0.5, 2}, 1e8);
  EXPECT_LT(small, large);
  EXPECT_LT(large, 0.5);
  EXPECT_THROW(llc_target_at_n({0.5, 1}, 0.5), Error);
  // λ >= nβ: the cut at nβ, not the model, would set the mean
  EXPECT_FALSE(llc_target_defined({983.5, 3}, 2000 / std::log(2000.0)));
  EXPECT_TRUE(llc_target_defined({6.5, 2}, 1000 / std::log(1000.0)));
  EXPECT_THROW(llc_target_at_n({983.5, 3}, 263), Error);
  // against the exact finite-n target of f = x w1 w2 (λ = 1/2, m = 2) at a data set
  // with mean(xy) = 0 and a weak prior: both put the estimator below λ; the exact value
  // also holds the O(1) terms and the prior's pull, so they agree to leading order only
  for (double n : {1e3, 1e5}) {
    const double nb = n / std::log(n);
    const double exact = polynomial_regressor_finite_n({1, 1}, 4.0, 0.0, nb, 1e-3);
    const double leading = llc_target_at_n({0.5, 2}, nb);
    EXPECT_LT(exact, 0.5);
    EXPECT_LT(leading, 0.5);
    EXPECT_NEAR(leading, exact, 0.1) << "n = " << n << ": exact " << exact << ", leading order " << leading;
  }
}

}  // namespace
}  // namespace lambdahat
