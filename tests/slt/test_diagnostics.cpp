// The diagnostics against values computed independently, in plain double-precision
// Python from the formulas of Vehtari et al. (2021), by tools/diagnostics_reference.py
// on the committed traces in tests/data/diagnostics_reference.json.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lambdahat.hpp"

namespace lambdahat {
namespace {

nlohmann::json reference_cases() {
  std::ifstream in(std::string(LAMBDAHAT_TEST_DATA_DIR) + "/diagnostics_reference.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in)["cases"];
}

TEST(Diagnostics, InverseNormalCdfIsTheNormalQuantile) {
  for (double p : {1e-300, 1e-12, 1e-6, 0.001, 0.025, 0.2, 0.5, 0.7, 0.975, 0.999999}) {
    const double x = inverse_normal_cdf(p);
    // Φ(x) = erfc(−x/√2)/2, compared in the tail it lies in
    const double back = p < 0.5 ? 0.5 * std::erfc(-x / std::sqrt(2.0)) : 1 - 0.5 * std::erfc(x / std::sqrt(2.0));
    EXPECT_NEAR(back / p, 1.0, 1e-12) << "p = " << p;
  }
  EXPECT_DOUBLE_EQ(inverse_normal_cdf(0.5), 0.0);
  EXPECT_NEAR(inverse_normal_cdf(0.975), 1.959963984540054, 1e-14);
  EXPECT_THROW(inverse_normal_cdf(0.0), Error);
  EXPECT_THROW(inverse_normal_cdf(1.0), Error);
}

TEST(Diagnostics, MatchTheIndependentReferenceOnCommittedTraces) {
  const nlohmann::json cases = reference_cases();
  ASSERT_GE(cases.size(), 8u);
  for (const auto& c : cases) {
    const Chains chains = c["chains"].get<Chains>();
    const auto& e = c["expected"];
    const TraceDiagnostics d = diagnose(chains);
    const std::string name = c["name"];
    // the same formulas in a different order of summation: agreement to rounding
    const auto near = [&](double got, const char* key) {
      const double want = e[key].get<double>();
      EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, std::abs(want))) << name << ": " << key;
    };
    near(d.rhat, "rhat");
    near(d.rhat_bulk, "rhat_bulk");
    near(d.rhat_tail, "rhat_tail");
    near(d.ess_bulk, "ess_bulk");
    near(d.ess_tail, "ess_tail");
    near(d.mean, "mean");
    near(d.sd, "sd");
    near(d.mcse, "mcse");
    near(split_rhat(chains), "split_rhat");
    near(effective_sample_size(chains), "ess_raw");
    near(rank_normalized_split_rhat(chains), "rhat");
    near(bulk_ess(chains), "ess_bulk");
    near(tail_ess(chains), "ess_tail");
  }
}

TEST(Diagnostics, FlagWhatTheyShouldOnTheReferenceTraces) {
  for (const auto& c : reference_cases()) {
    const std::string name = c["name"];
    const TraceDiagnostics d = diagnose(c["chains"].get<Chains>());
    if (name == "independent") {
      EXPECT_LT(d.rhat, 1.01);
      EXPECT_GT(d.ess_bulk, 0.8 * 1600);
    }
    if (name == "one_chain_shifted" || name == "trend") {
      EXPECT_GT(d.rhat, 1.05) << name;
    }
    if (name == "autocorrelated") {
      EXPECT_LT(d.ess_bulk, 0.15 * 2000);  // τ = (1 + 0.9)/(1 − 0.9) = 19
    }
  }
}

TEST(Diagnostics, RankNormalizationSharesRanksAmongTies) {
  const Chains z = rank_normalize({{1, 2, 2}, {3, 2, 0}});
  // ranks 2 (the value 1), 4 for the three 2s (ranks 3, 4, 5), 6 and 1, of S = 6
  const auto expect = [](double rank) { return inverse_normal_cdf((rank - 0.375) / 6.25); };
  EXPECT_DOUBLE_EQ(z[0][0], expect(2));
  EXPECT_DOUBLE_EQ(z[0][1], expect(4));
  EXPECT_DOUBLE_EQ(z[0][2], expect(4));
  EXPECT_DOUBLE_EQ(z[1][0], expect(6));
  EXPECT_DOUBLE_EQ(z[1][1], expect(4));
  EXPECT_DOUBLE_EQ(z[1][2], expect(1));
}

TEST(Diagnostics, ShortAndConstantTraces) {
  EXPECT_TRUE(std::isnan(split_rhat({{1, 2, 3}})));
  EXPECT_DOUBLE_EQ(split_rhat({{2, 2, 2, 2}, {2, 2, 2, 2}}), 1.0);
  EXPECT_DOUBLE_EQ(effective_sample_size(std::vector<double>{5, 5, 5, 5, 5, 5}), 6.0);
  const TraceDiagnostics d = diagnose({{1, 2}, {3, 4}});
  EXPECT_TRUE(std::isnan(d.rhat));
  EXPECT_DOUBLE_EQ(d.ess_bulk, 4.0);
}

// The autocovariance from the power spectrum equals the direct sums
// (1/n) Σ_i (x_i − x̄)(x_{i+t} − x̄) at every lag, on an AR(1) chain with ρ = 0.97
// (the kind whose Geyer sequence runs far past the directly summed lags), and the
// ESS of such chains is the AR(1) value N (1 − ρ)/(1 + ρ) within its sampling error.
TEST(Diagnostics, AutocovarianceFromTheSpectrumEqualsDirectSums) {
  Generator gen(11);
  const auto ar1 = [&](std::size_t n, double rho) {
    const Tensor z = normal({static_cast<std::int64_t>(n)}, gen, 0, 1, kFloat64);
    std::vector<double> x(n);
    double prev = 0;
    for (std::size_t i = 0; i < n; ++i) x[i] = prev = rho * prev + std::sqrt(1 - rho * rho) * z.data<double>()[i];
    return x;
  };
  const std::vector<double> x = ar1(3001, 0.97);  // not a power of two
  const std::vector<double> acov = autocovariance(x);
  ASSERT_EQ(acov.size(), x.size());
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  for (std::size_t lag : {0u, 1u, 31u, 32u, 33u, 200u, 1500u, 3000u}) {
    double direct = 0;
    for (std::size_t i = 0; i + lag < x.size(); ++i) direct += (x[i] - mean) * (x[i + lag] - mean);
    direct /= static_cast<double>(x.size());
    EXPECT_NEAR(acov[lag], direct, 1e-10 * acov[0]) << "lag " << lag;
  }
  // two sequences in one pair of transforms give each one's autocovariance
  const std::vector<double> y = ar1(3001, 0.5);
  std::vector<double> ax, ay;
  autocovariance_pair(x, y, ax, ay);
  const std::vector<double> acov_y = autocovariance(y);
  for (std::size_t lag = 0; lag < x.size(); ++lag) {
    ASSERT_NEAR(ax[lag], acov[lag], 1e-10 * acov[0]) << "lag " << lag;
    ASSERT_NEAR(ay[lag], acov_y[lag], 1e-10 * acov_y[0]) << "lag " << lag;
  }
  // τ = (1 + ρ)/(1 − ρ) = 65.7 for ρ = 0.97: 4 chains of 20 000 draws hold about
  // 1218 effective draws; the estimate's relative error at this length is about 10 %
  Chains chains;
  for (int c = 0; c < 4; ++c) chains.push_back(ar1(20000, 0.97));
  const double expected = 80000.0 * 0.03 / 1.97;
  EXPECT_NEAR(effective_sample_size(chains), expected, 0.3 * expected);
  EXPECT_TRUE(autocovariance({}).empty());
}

}  // namespace
}  // namespace lambdahat
