// The sampler: exact identities, a grid-integrated oracle, determinism, divergence,
// restricted sampling.
#include <algorithm>
#include <cmath>
#include <limits>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

// K(w) = Σ_i w_i^{2 k_i} as a "model" whose output is the loss itself.
class SeparablePotential : public ModuleBase<SeparablePotential> {
 public:
  explicit SeparablePotential(std::vector<int> k)
      : k_(std::move(k)), w(parameter(zeros({static_cast<std::int64_t>(k_.size())}, kFloat64))) {}
  void visit(ModuleVisitor& v) override { v.parameter("w", w); }
  Variable forward(const Variable&) override {
    Variable total;
    for (std::size_t i = 0; i < k_.size(); ++i) {
      const Variable term = pow(select(w, 0, static_cast<std::int64_t>(i)), 2.0 * k_[i]);
      total = total.defined() ? total + term : term;
    }
    return total;
  }
  std::string type_name() const override { return "SeparablePotential"; }

 private:
  std::vector<int> k_;

 public:
  Variable w;
};

LossFn output_is_loss() {
  return [](Module& m, const Batch& b) { return m(Variable(b.inputs)); };
}

const Dataset kOnePoint(zeros({1, 1}, kFloat64), zeros({1, 1}, kFloat64));

TEST(Sampler, SgldWithoutNoiseIsAGradientStep) {
  // σ = 0, nβ = 1, γ = 0, ε = 2η: Δw = −η ∇L
  const Dataset data = polynomial_data(50, 1, 2.0, 0.25, kFloat64);
  PolynomialRegressor model({1, 1}, kFloat64, {0.7, -0.4});
  SamplerConfig c;
  c.num_burnin_steps = 0;
  c.noise_level = 0;
  c.nbeta = 1;
  c.localization = 0;
  c.epsilon = 2 * 0.05;
  c.num_chains = 1;
  c.num_draws = 2;
  c.mala_every = 0;
  const auto traces = run_chains(model, mse_loss_fn(), data, c);
  // the same step by hand with plain SGD
  PolynomialRegressor manual({1, 1}, kFloat64, {0.7, -0.4});
  SGD sgd(manual.parameters(), SGDOptions{.lr = 0.05});
  mse_loss(manual(Variable(data.inputs())), Variable(data.targets())).backward();
  sgd.step();
  EXPECT_DOUBLE_EQ(traces[0].losses[0], full_data_loss(model, mse_loss_fn(), data));
  EXPECT_NEAR(traces[0].losses[1], full_data_loss(manual, mse_loss_fn(), data), 1e-15);
}

TEST(Sampler, MalaWorkedExample) {
  // docs/theory.md, "MALA": w = (1,1), g = (1,1), U = 1 → w' = (1.5, 0.5), g' = (1.5, 0.5), U' = 1.25, ε = 0.5
  EXPECT_NEAR(mala_acceptance_probability({1, 1}, {1.5, 0.5}, {1, 1}, {1.5, 0.5}, 1, 1.25, 0.5), 0.9692332, 1e-7);
  EXPECT_EQ(mala_acceptance_probability({0}, {0}, {0}, {0}, 1, 0.5, 0.1), 1.0);
}

// t E[K] = Σ_i 1/(2 k_i) for the tempered posterior ∝ exp(−t K), any t > 0.
void check_finite_temperature_identity(std::vector<int> k, double t, double epsilon) {
  SeparablePotential potential(k);
  SamplerConfig c;
  c.nbeta = t;
  c.localization = 0;
  c.epsilon = epsilon;
  c.num_chains = 8;
  c.num_draws = 40000;
  c.num_burnin_steps = 2000;
  c.mala_every = 0;
  c.seed = 11;
  const auto traces = run_chains(potential, output_is_loss(), kOnePoint, c);
  std::vector<double> all;
  double ess = 0;
  for (const auto& tr : traces) {
    ASSERT_FALSE(tr.diverged) << tr.divergence;
    for (double v : tr.losses) all.push_back(t * v);
    std::vector<double> scaled;
    for (double v : tr.losses) scaled.push_back(t * v);
    ess += effective_sample_size(scaled);
  }
  double mean = 0, var = 0;
  for (double v : all) mean += v;
  mean /= static_cast<double>(all.size());
  for (double v : all) var += (v - mean) * (v - mean);
  var /= static_cast<double>(all.size() - 1);
  double expected = 0;
  for (int ki : k) expected += 1.0 / (2 * ki);
  const double standard_error = std::sqrt(var / ess);
  // Monte Carlo error plus the discretisation bias, which for these step sizes is
  // below ε·(curvature)/2 ≈ 1.5 % of the value (→ 0 with ε)
  EXPECT_NEAR(mean, expected, 4 * standard_error + 0.015 * expected)
      << "t = " << t << ", standard error " << standard_error << ", ESS " << ess;
}

TEST(Sampler, ReproducesTheExactFiniteTemperatureIdentity) {
  check_finite_temperature_identity({1, 2, 3}, 100, 1e-4);
  check_finite_temperature_identity({1, 1}, 10, 1e-3);
  check_finite_temperature_identity({2}, 50, 2e-4);
}

TEST(Sampler, SgnhtSamplesTheTemperedPosteriorToo) {
  // the thermostat keeps the kinetic energy at its target, so the position samples
  // exp(−t K): the same identity t E[K] = Σ 1/(2k_i) holds
  SeparablePotential potential({1, 2});
  SamplerConfig c;
  c.kind = SamplerKind::sgnht;
  c.nbeta = 20;
  c.localization = 0;
  c.epsilon = 5e-3;
  c.diffusion = 1;
  c.num_chains = 8;
  c.num_draws = 40000;
  c.num_burnin_steps = 5000;
  c.mala_every = 0;
  c.seed = 13;
  const auto traces = run_chains(potential, output_is_loss(), kOnePoint, c);
  double sum = 0, ess = 0, sq = 0;
  std::int64_t count = 0;
  for (const auto& tr : traces) {
    ASSERT_FALSE(tr.diverged);
    std::vector<double> scaled;
    for (double v : tr.losses) {
      scaled.push_back(20 * v);
      sum += 20 * v;
      sq += 400 * v * v;
      ++count;
    }
    ess += effective_sample_size(scaled);
  }
  const double mean = sum / count, sd = std::sqrt(sq / count - mean * mean);
  // Monte Carlo error plus the step-size bias (a few percent at this step)
  EXPECT_NEAR(mean, 0.75, 4 * sd / std::sqrt(ess) + 0.05 * 0.75) << "ESS " << ess;
  EXPECT_EQ(traces[0].mala_checks, 0);  // MALA applies to Langevin steps only
}

TEST(Sampler, MatchesTheGridIntegratedOracle) {
  // f(x; w) = x w1 w2 on the polynomial data of docs/theory.md, γ = 1: the exact expectation
  // nβ (E[L_n(w)] − L_n(0)) for this very data set, by integrating the localized
  // tempered posterior on a grid.
  const Dataset data = polynomial_data(1000, 0, 2.0, 0.25, kFloat64);
  const auto x = data.inputs().to_vector<double>(), y = data.targets().to_vector<double>();
  double sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const double n = static_cast<double>(x.size()), nbeta = n / std::log(n), gamma = 1;
  const double oracle = polynomial_regressor_finite_n({1, 1}, sxx / n, sxy / n, nbeta, gamma);

  PolynomialRegressor model({1, 1}, kFloat64);
  SamplerConfig c;
  c.epsilon = 1e-4;
  c.localization = gamma;
  c.num_chains = 20;
  c.num_draws = 20000;
  c.mala_every = 0;
  c.seed = 5;
  const LLCResult r = estimate_llc(model, mse_loss_fn(), data, c);
  const double standard_error = r.std / std::sqrt(20.0);
  EXPECT_NEAR(r.mean, oracle, 4 * standard_error) << "oracle " << oracle;
  // the oracle sits well below the asymptotic λ = 1/2: the finite-n gap of m = 2
  EXPECT_LT(oracle, 0.45);
}

TEST(Sampler, BitIdenticalForAnyThreadCount) {
  const TeacherStudent ts = teacher_student(300, 4, 3, 1, 0.1, 1);
  Generator gen(1);
  DeepLinearNetwork model({4, 3, 3}, gen);
  SamplerConfig c;
  c.num_burnin_steps = 0;
  c.epsilon = 1e-4;
  c.num_chains = 5;
  c.num_draws = 50;
  c.batch_size = 64;
  c.seed = 9;
  c.threads = 1;
  const auto one = run_chains(model, mse_loss_fn(), ts.data, c);
  c.threads = 2;
  const auto two = run_chains(model, mse_loss_fn(), ts.data, c);
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].losses, two[i].losses) << "chain " << i;
    EXPECT_EQ(one[i].mala_acceptance, two[i].mala_acceptance);
  }
  // chains differ from each other, and a different seed changes everything
  EXPECT_NE(one[0].losses, one[1].losses);
  c.seed = 10;
  EXPECT_NE(run_chains(model, mse_loss_fn(), ts.data, c)[0].losses, one[0].losses);
}

TEST(Sampler, FullBatchesInTheModelsLayoutChangeNothing) {
  // The same network behind a wrapper that keeps the default layout: the chains
  // see the full batch feature-major in one case and in rows in the other.
  class InRows : public ModuleBase<InRows> {
   public:
    explicit InRows(DeepLinearNetwork net) : inner(std::move(net)) {}
    DeepLinearNetwork inner;
    void visit(ModuleVisitor& v) override { v.module("inner", inner); }
    Variable forward(const Variable& x) override { return inner(x); }
    std::string type_name() const override { return "InRows"; }
  };
  const TeacherStudent ts = teacher_student(300, 6, 6, 2, 0.1, 3);
  Generator gen(3);
  DeepLinearNetwork model({6, 5, 6}, gen);
  InRows wrapped(model);
  ASSERT_EQ(wrapped.inner.layers.front().weight.value().data<float>(), model.layers.front().weight.value().data<float>());
  SamplerConfig c;
  c.num_burnin_steps = 0;
  c.epsilon = 1e-4;
  c.num_chains = 2;
  c.num_draws = 40;
  c.seed = 4;
  const auto arranged = run_chains(model, mse_loss_fn(), ts.data, c);
  const auto rows = run_chains(wrapped, mse_loss_fn(), ts.data, c);
  for (std::size_t i = 0; i < arranged.size(); ++i) EXPECT_EQ(arranged[i].losses, rows[i].losses) << "chain " << i;
}

TEST(Sampler, DivergedChainsStopAndAreReported) {
  const TeacherStudent ts = teacher_student(200, 4, 4, 2, 0.1, 2);
  Generator gen(2);
  DeepLinearNetwork model({4, 4, 4}, gen);
  SamplerConfig c;
  c.epsilon = 10;  // far too large: the loss blows up
  c.num_chains = 3;
  c.num_draws = 100;
  const LLCResult r = estimate_llc(model, mse_loss_fn(), ts.data, c);
  EXPECT_EQ(r.diagnostics.diverged_chains, 3);
  EXPECT_TRUE(std::isnan(r.mean));
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.chains[1].divergence.find("chain 1 diverged: the loss became"), std::string::npos);
  EXPECT_NE(r.chains[1].divergence.find("(draw "), std::string::npos);
  bool mentions_all = false;
  for (const auto& w : r.warnings) mentions_all = mentions_all || w.find("every chain diverged") != std::string::npos;
  EXPECT_TRUE(mentions_all);
}

TEST(Sampler, SummaryUsesOnlyHealthyChains) {
  std::vector<ChainTrace> traces(3);
  traces[0].losses = {1.1, 1.3};
  traces[1].losses = {1.2, 1.4};
  traces[2].losses = {1.5};
  traces[2].diverged = true;
  traces[2].diverged_at_draw = 1;
  traces[2].divergence = "chain 2 diverged: the loss became nan at step 7 (draw 1)";
  const LLCResult r = summarize_llc(traces, 1.0, 10.0, 100);
  EXPECT_NEAR(r.mean, 10 * (1.25 - 1), 1e-12);
  EXPECT_NEAR(r.std, std::sqrt(0.5 * 1.0 * 1.0), 1e-12);  // λ̂ = 2 and 3
  EXPECT_EQ(r.diagnostics.diverged_chains, 1);
  EXPECT_NE(r.warnings.front().find("chain 2 diverged"), std::string::npos);
  EXPECT_EQ(r.trace_mean.size(), 2u);
  EXPECT_NEAR(r.trace_mean[0], 10 * (1.15 - 1), 1e-12);
}

// Every diagnostic that warns, on traces made to trip it, and none on clean traces
// (four chains of independent noise around one level above the init loss).
TEST(Sampler, DiagnosticsWarnWhenTheyShould) {
  Generator gen(11);
  const auto traces_at = [&](const std::vector<double>& levels, double acceptance) {
    std::vector<ChainTrace> traces(levels.size());
    for (std::size_t c = 0; c < levels.size(); ++c) {
      for (double z : normal({400}, gen, 0, 0.01, kFloat64).to_vector<double>()) traces[c].losses.push_back(levels[c] + z);
      traces[c].mala_acceptance = acceptance;
      traces[c].mala_checks = 20;
    }
    return traces;
  };
  const auto warns = [](const LLCResult& r, const std::string& text) {
    return std::any_of(r.warnings.begin(), r.warnings.end(),
                       [&](const std::string& w) { return w.find(text) != std::string::npos; });
  };
  const double init = 1.0, nbeta = 10;
  const LLCResult clean = summarize_llc(traces_at({1.1, 1.1, 1.1, 1.1}, 0.95), init, nbeta, 100);
  EXPECT_EQ(clean.warnings.size(), 0u) << (clean.warnings.empty() ? "" : clean.warnings.front());
  EXPECT_LT(clean.diagnostics.rhat, 1.05);
  EXPECT_GT(clean.diagnostics.ess_bulk, 4 * 200.0);
  EXPECT_GT(clean.diagnostics.ess_tail, 4 * 200.0);

  // chains at two levels: R̂ far above 1.01
  const LLCResult apart = summarize_llc(traces_at({1.1, 1.1, 1.3, 1.3}, 0.95), init, nbeta, 100);
  EXPECT_GT(apart.diagnostics.rhat, kRhatWarning);
  EXPECT_TRUE(warns(apart, "R-hat is")) << apart.warnings.size();

  // MALA acceptance on each side of the threshold
  EXPECT_TRUE(warns(summarize_llc(traces_at({1.1, 1.1, 1.1, 1.1}, 0.6), init, nbeta, 100), "MALA acceptance is 0.6"));
  EXPECT_FALSE(warns(summarize_llc(traces_at({1.1, 1.1, 1.1, 1.1}, 0.85), init, nbeta, 100), "MALA acceptance"));

  // a w* that is not a minimum: most draws far below the init loss, a negative estimate
  const LLCResult below = summarize_llc(traces_at({0.9, 0.9, 0.9, 0.9}, 0.95), init, nbeta, 100);
  EXPECT_GT(below.diagnostics.below_init_fraction, 0.5);
  EXPECT_LT(below.mean, 0);
  EXPECT_TRUE(warns(below, "of the draws lie below the loss at w*"));
  EXPECT_TRUE(warns(below, "the estimate is negative"));

  // draws below L_n(w*) by no more than finite n explains do not count: here
  // nβ ΔL = −0.1 per draw against a margin of (nβ/n)·Gamma(1/2)'s 0.99 quantile = 0.33
  const LLCResult finite_n = summarize_llc(traces_at({0.99, 0.99, 0.99, 0.99}, 0.95), init, nbeta, 100);
  EXPECT_NEAR(finite_n.diagnostics.below_init_margin, 0.1 * 6.635 / 2, 0.01);
  EXPECT_LT(finite_n.diagnostics.below_init_fraction, 0.05);  // the noise of sd 0.1 reaches past 0.33 now and then
  EXPECT_FALSE(warns(finite_n, "of the draws lie below"));
  // minibatch draws: the spread of the minibatch loss widens the margin
  const LLCResult noisy = summarize_llc(traces_at({0.9, 0.9, 0.9, 0.9}, 0.95), init, nbeta, 100, 0.1);
  EXPECT_EQ(noisy.diagnostics.below_init_fraction, 0.0);

  // chains that never move (a step size far too small for float32): λ̂ = 0 exactly, and a warning
  std::vector<ChainTrace> still = traces_at({0, 0, 0, 0}, 1.0);
  for (ChainTrace& t : still) std::fill(t.losses.begin(), t.losses.end(), init);
  const LLCResult frozen = summarize_llc(still, init, nbeta, 100);
  EXPECT_EQ(frozen.mean, 0);
  EXPECT_TRUE(warns(frozen, "the loss did not change over the draws"));
  EXPECT_FALSE(warns(clean, "did not change"));

  // random walks: strongly correlated draws, a small effective sample size
  std::vector<ChainTrace> walks = traces_at({0, 0, 0, 0}, 0.95);
  for (ChainTrace& t : walks) {
    double level = 1.2;
    for (double& v : t.losses) v = level += v;
  }
  const LLCResult correlated = summarize_llc(walks, init, nbeta, 100);
  EXPECT_LT(correlated.diagnostics.ess_bulk, kEssPerChainWarning * 4);
  EXPECT_TRUE(warns(correlated, "the effective sample size (bulk"));
}

TEST(Sampler, RestrictedSamplingEqualsTheSmallerModel) {
  // f = x w1 w2 with w2 frozen at c, sampling w1 only, is the model f = (c x) w1.
  const Dataset data = polynomial_data(400, 3, 2.0, 0.25, kFloat64);
  SamplerConfig c;
  c.epsilon = 5e-4;
  c.localization = 1;
  c.num_chains = 4;
  c.num_draws = 2000;
  // a separate parameter per factor, so that one can be frozen by name
  class TwoFactor : public ModuleBase<TwoFactor> {
   public:
    Variable a = parameter(zeros({1}, kFloat64)), b = parameter(full({1}, 0.8, kFloat64));
    void visit(ModuleVisitor& v) override {
      v.parameter("a", a);
      v.parameter("b", b);
    }
    Variable forward(const Variable& x) override { return x * a * b; }
    std::string type_name() const override { return "TwoFactor"; }
  };
  class OneFactor : public ModuleBase<OneFactor> {
   public:
    Variable a = parameter(zeros({1}, kFloat64));
    void visit(ModuleVisitor& v) override { v.parameter("a", a); }
    Variable forward(const Variable& x) override { return x * 0.8 * a; }
    std::string type_name() const override { return "OneFactor"; }
  };
  TwoFactor two;
  OneFactor one;
  c.sample_only = {"a"};
  const LLCResult restricted = estimate_llc(two, mse_loss_fn(), data, c);
  c.sample_only = {};
  const LLCResult smaller = estimate_llc(one, mse_loss_fn(), data, c);
  // the same random streams drive both: the chains agree up to rounding
  EXPECT_NEAR(restricted.mean, smaller.mean, 1e-6 * std::abs(smaller.mean) + 1e-9);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(restricted.chains[i].llc, smaller.chains[i].llc, 1e-6);
  // a regular one-parameter model: λ = 1/2
  EXPECT_NEAR(smaller.mean, 0.5, 4 * smaller.std / 2 + 0.05);
  c.sample_only = {"nope"};
  EXPECT_EQ(testing::error_of([&] { estimate_llc(two, mse_loss_fn(), data, c); }),
            "sampler: no parameter named nope in TwoFactor");
}

// Settings whose step count would overflow are refused before any step (they overflowed
// a signed product and ended with λ̂ = nan).
TEST(Sampler, RefusesStepCountsThatOverflow) {
  SamplerConfig c;
  c.epsilon = 1e-3;
  c.num_draws = std::numeric_limits<std::int64_t>::max();
  c.num_steps_bw_draws = 2;
  EXPECT_NE(testing::error_of([&] { validate(c, 100); }).find("exceeds 2^53 steps per chain"), std::string::npos);
  c.num_draws = 2;
  c.num_steps_bw_draws = 1;
  c.num_burnin_steps = std::numeric_limits<std::int64_t>::max();
  EXPECT_NE(testing::error_of([&] { validate(c, 100); }).find("exceeds 2^53 steps per chain"), std::string::npos);
  c.num_burnin_steps = 1000;
  validate(c, 100);
}

}  // namespace
}  // namespace lambdahat
