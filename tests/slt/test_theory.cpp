// Exact learning coefficients: the worked values of docs/theory.md, "Known learning coefficients".
#include "support/reference.hpp"

namespace lambdahat {
namespace {

TEST(Theory, RegularAndNormalCrossing) {
  EXPECT_EQ(regular_model(7).lambda, 3.5);
  EXPECT_EQ(regular_model(7).multiplicity, 1);
  // K = w1² w2⁴ with prior |w1|^0 |w2|^1: min((0+1)/2, (1+1)/4) = 1/2, attained twice
  const auto nc = normal_crossing({1, 2}, {0, 1});
  EXPECT_DOUBLE_EQ(nc.lambda, 0.5);
  EXPECT_EQ(nc.multiplicity, 2);
  EXPECT_DOUBLE_EQ(normal_crossing({3, 1}).lambda, 1.0 / 6);
  EXPECT_NE(testing::error_of([] { normal_crossing({0, 0}); }), "");
}

TEST(Theory, PolynomialRegressorsOfThePeersTest) {
  EXPECT_DOUBLE_EQ(polynomial_regressor({1, 1}).lambda, 0.5);
  EXPECT_EQ(polynomial_regressor({1, 1}).multiplicity, 2);
  EXPECT_DOUBLE_EQ(polynomial_regressor({0, 2}).lambda, 0.25);
  EXPECT_DOUBLE_EQ(polynomial_regressor({2, 2}).lambda, 0.25);
  EXPECT_DOUBLE_EQ(polynomial_regressor({1, 3}).lambda, 1.0 / 6);
  EXPECT_EQ(polynomial_regressor({1, 3}).multiplicity, 1);
}

TEST(Theory, ReducedRankRegressionWorkedValues) {
  EXPECT_DOUBLE_EQ(reduced_rank_regression(5, 3, 5, 0).lambda, 6.5);
  EXPECT_EQ(reduced_rank_regression(5, 3, 5, 0).multiplicity, 2);
  EXPECT_DOUBLE_EQ(reduced_rank_regression(5, 4, 5, 0).lambda, 8);
  EXPECT_DOUBLE_EQ(reduced_rank_regression(4, 3, 8, 0).lambda, 6);
  // a full-rank truth is regular in the product's free directions: M+N < H+r case
  EXPECT_DOUBLE_EQ(reduced_rank_regression(2, 5, 2, 2).lambda, 2);
  EXPECT_EQ(testing::error_of([] { reduced_rank_regression(3, 2, 3, 3); }),
            "reduced_rank_regression: rank 3 must be in [0, min(M,H,N)] = [0, 2]");
}

TEST(Theory, DeepLinearNetworksReproduceReducedRankRegression) {
  EXPECT_DOUBLE_EQ(deep_linear_network({3, 3, 3}, 1).lambda, 4);
  EXPECT_DOUBLE_EQ(deep_linear_network({10, 10, 10}, 0).lambda, 37.5);
  // three widths give the reduced-rank table exactly, multiplicity included
  for (std::int64_t M = 1; M <= 6; ++M)
    for (std::int64_t H = 1; H <= 6; ++H)
      for (std::int64_t N = 1; N <= 6; ++N)
        for (std::int64_t r = 0; r <= std::min({M, H, N}); ++r) {
          const auto rrr = reduced_rank_regression(M, H, N, r), dln = deep_linear_network({M, H, N}, r);
          EXPECT_DOUBLE_EQ(dln.lambda, rrr.lambda) << M << " " << H << " " << N << " r=" << r;
          EXPECT_EQ(dln.multiplicity, rrr.multiplicity) << M << " " << H << " " << N << " r=" << r;
        }
  // a single layer is regular
  EXPECT_DOUBLE_EQ(deep_linear_network({4, 3}, 0).lambda, 6);
  // deeper networks lie below the count of parameters over 2
  EXPECT_LT(deep_linear_network({5, 4, 4, 5}, 1).lambda, (5 * 4 + 4 * 4 + 4 * 5) / 2.0);
  EXPECT_NE(testing::error_of([] { deep_linear_network({5, 2, 5}, 3); }).find("rank 3 must be in [0, 2]"),
            std::string::npos);
}

TEST(Theory, LinearAutoencoder) {
  // realizable (h >= s): d·s/2 whatever h; below (h < s): h(d + s − h)/2
  EXPECT_DOUBLE_EQ(linear_autoencoder(6, 3, 2).lambda, 6);
  EXPECT_DOUBLE_EQ(linear_autoencoder(6, 5, 2).lambda, 6);
  EXPECT_DOUBLE_EQ(linear_autoencoder(6, 2, 4).lambda, 8);
  EXPECT_DOUBLE_EQ(linear_autoencoder(6, 1, 6).lambda, 1 * (6 + 6 - 1) / 2.0);
}

TEST(Theory, RefusesWidthsItCannotRepresent) {
  // 4·10⁹ squared overflows 64-bit integers; such widths are refused, not wrapped
  EXPECT_NE(testing::error_of([] { deep_linear_network({4000000000, 4000000000, 4000000000}, 3); })
                .find("not representable"),
            std::string::npos);
  EXPECT_NE(testing::error_of([] { linear_autoencoder(4000000000, 3, 2); }).find("not representable"), std::string::npos);
  // the largest allowed width still gives the exact count
  const std::int64_t w = std::int64_t{1} << 26;
  EXPECT_DOUBLE_EQ(deep_linear_network({w, w}, 0).lambda, static_cast<double>(w) * static_cast<double>(w) / 2);
}

TEST(Theory, ToyModelKGon) {
  // 3 parameters per polygon column, less one rotation: Chen et al. (2023)'s 7 and 8.5
  EXPECT_DOUBLE_EQ(toy_model_kgon(6, 5).lambda, 7);
  EXPECT_DOUBLE_EQ(toy_model_kgon(6, 6).lambda, 8.5);
  EXPECT_EQ(toy_model_kgon(8, 7).multiplicity, 1);
  EXPECT_NE(testing::error_of([] { toy_model_kgon(6, 4); }).find("k = 4 must be in [5, 6]"), std::string::npos);
  EXPECT_NE(testing::error_of([] { toy_model_kgon(6, 7); }).find("k = 7 must be in [5, 6]"), std::string::npos);
}

// The finite-n oracle against independent computations: a closed form for the
// regular model f = x w (the posterior is Gaussian), and plain uniform grids.
TEST(Theory, PolynomialFiniteNOracle) {
  const double sxx = 4.1, sxy = 0.03, nbeta = 1000 / std::log(1000.0), gamma = 1;
  // f = x w: precision a = 2nβ·sxx + γ, mean μ = 2nβ·sxy / a, and
  // E[dL] = sxx (1/a + μ²) − 2 sxy μ
  const double a = 2 * nbeta * sxx + gamma, mu = 2 * nbeta * sxy / a;
  EXPECT_NEAR(polynomial_regressor_finite_n({1}, sxx, sxy, nbeta, gamma),
              nbeta * (sxx * (1 / a + mu * mu) - 2 * sxy * mu), 1e-7);

  // a naive uniform grid over [−R, R]^d
  auto uniform_grid = [&](const std::vector<int>& k, int points, double R) {
    std::vector<double> w(static_cast<std::size_t>(points) + 1), first(w.size()), second(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) {
      w[i] = -R + static_cast<double>(i) * 2 * R / points;
      first[i] = std::pow(w[i], k[0]);
      second[i] = k.size() == 2 ? std::pow(w[i], k[1]) : 1;
    }
    long double Z = 0, E = 0;
    auto term = [&](double u, double w_squared) {
      const double dL = u * u * sxx - 2 * u * sxy;
      const double p = std::exp(-nbeta * dL - 0.5 * gamma * w_squared);
      Z += p;
      E += p * dL;
    };
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (k.size() == 1) term(first[i], w[i] * w[i]);
      else
        for (std::size_t j = 0; j < w.size(); ++j) term(first[i] * second[j], w[i] * w[i] + w[j] * w[j]);
    }
    return nbeta * static_cast<double>(E / Z);
  };
  for (int k : {2, 3, 5}) {
    const double oracle = polynomial_regressor_finite_n({k}, sxx, sxy, nbeta, gamma);
    EXPECT_NEAR(oracle, uniform_grid({k}, 400000, 12), 1e-5) << "k = " << k;
  }
  const double two = polynomial_regressor_finite_n({1, 1}, sxx, sxy, nbeta, gamma);
  EXPECT_NEAR(two, uniform_grid({1, 1}, 6000, 7), 2e-3 * two);
  // multiplicity 2: far below λ = 1/2 at this n (the (m − 1) log log n term)
  EXPECT_LT(two, 0.45);
  // a power 0 leaves that parameter out of the loss: the one-parameter value
  EXPECT_NEAR(polynomial_regressor_finite_n({0, 2}, sxx, sxy, nbeta, gamma),
              polynomial_regressor_finite_n({2}, sxx, sxy, nbeta, gamma), 1e-9);

  EXPECT_NE(testing::error_of([&] { polynomial_regressor_finite_n({1, 1, 1}, sxx, sxy, nbeta, gamma); })
                .find("one or two parameters"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] { polynomial_regressor_finite_n({1}, sxx, sxy, nbeta, 0); }).find("improper"),
            std::string::npos);
}

}  // namespace
}  // namespace lambdahat
