// The counter-based generator: published known answers, stream independence,
// reproducibility, and the distribution of bulk fills.
#include <cmath>
#include <map>
#include <numbers>
#include <set>
#include <vector>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

// Known-answer vectors of Philox4x32-10 published with Random123 (kat_vectors).
TEST(Random, Philox4x32KnownAnswers) {
  using B = std::array<std::uint32_t, 4>;
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, {0, 0}), (B{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (B{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (B{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Random, GeneratorIsAPureFunctionOfSeedAndStream) {
  Generator g1(42, 7), g2(42, 7);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(g1.next_u32(), g2.next_u32());
  // the first block of stream s of seed k is philox(counter = (0, 0, s), key = k)
  Generator g(0x299f31d0a4093822ull, 5);
  const auto block = philox4x32({0, 0, 5, 0}, {0xa4093822, 0x299f31d0});
  for (auto w : block) EXPECT_EQ(g.next_u32(), w);
  EXPECT_EQ(g.position(), 1u);
}

// Bulk normal fills follow their definition (random.cpp): chunks of 64 values, each
// from its own Philox blocks, Box–Muller on pairs of words (float) or of 53-bit
// uniforms (double). Recomputed here in double from philox4x32, for a length that
// ends mid-chunk and a mean and scale other than 0 and 1.
TEST(Random, NormalFillsFollowTheirDefinition) {
  const std::uint64_t seed = 0x1234'5678'9abc'def0ull, stream = 11;
  const std::int64_t n = 1000;  // 15 chunks and 40 values
  const double mean = 0.25, sd = 1.75;
  auto block = [&](std::uint64_t pos) {
    return philox4x32({static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(pos >> 32),
                       static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)});
  };
  auto box_muller = [](double u1, double u2, bool sine) {
    const double r = std::sqrt(-2 * std::log(u1));
    return r * (sine ? std::sin(2 * std::numbers::pi * u2) : std::cos(2 * std::numbers::pi * u2));
  };
  {
    Generator gen(seed, stream);
    std::vector<float> got(n);
    gen.fill_normal(got.data(), n, static_cast<float>(mean), static_cast<float>(sd));
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      // chunk c, value 16·q + l: block 16c + l, pair p = q / 2, cosine for even q
      const std::int64_t c = i / 64, q = (i % 64) / 16, l = i % 16, p = q / 2;
      const auto w = block(static_cast<std::uint64_t>(16 * c + l));
      const double u1 = static_cast<double>((w[2 * p] >> 8) + 1) * 0x1p-24;
      const double u2 = static_cast<double>(w[2 * p + 1] >> 8) * 0x1p-24;
      const double want = mean + sd * box_muller(u1, u2, q % 2 == 1);
      wrong += std::abs(got[i] - want) > 2e-5 * (1 + std::abs(want));
    }
    EXPECT_EQ(wrong, 0);
  }
  {
    Generator gen(seed, stream);
    std::vector<double> got(n);
    gen.fill_normal(got.data(), n, mean, sd);
    auto u53_open0 = [](std::uint32_t hi, std::uint32_t lo) {
      return static_cast<double>((((std::uint64_t{hi} << 32) | lo) >> 11) + 1) * 0x1p-53;
    };
    std::int64_t wrong = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      // chunk c (32 blocks): u[32r + 16h + l] from words 2h, 2h + 1 of block 32c + 16r + l;
      // value j < 32 is the cosine of the pair (u[j], u[32 + j]), value 32 + j its sine
      const std::int64_t c = i / 64, j = i % 32;
      auto u = [&](std::int64_t k) {
        const std::int64_t r = k / 32, h = (k % 32) / 16, l = k % 16;
        const auto w = block(static_cast<std::uint64_t>(32 * c + 16 * r + l));
        return u53_open0(w[2 * h], w[2 * h + 1]);
      };
      const double want = mean + sd * box_muller(u(j), u(32 + j), i % 64 >= 32);
      wrong += std::abs(got[i] - want) > 1e-12 * (1 + std::abs(want));
    }
    EXPECT_EQ(wrong, 0);
  }
}

TEST(Random, StreamsAndSeedsDiffer) {
  // chain i of seed s never equals chain i+1 of seed s-1, and derived streams differ
  std::set<std::uint64_t> firsts;
  for (std::uint64_t seed = 0; seed < 20; ++seed)
    for (std::uint64_t stream = 0; stream < 20; ++stream) {
      Generator g(seed, stream);
      firsts.insert(g.next_u64());
      Generator d = Generator(seed, stream).derive(3);
      firsts.insert(d.next_u64());
    }
  EXPECT_EQ(firsts.size(), 800u);
}

TEST(Random, StreamsAreUncorrelated) {
  const std::int64_t n = 200000;
  Generator a(1, 0), b(1, 1);
  const auto x = normal({n}, a, 0, 1, kFloat64).to_vector<double>();
  const auto y = normal({n}, b, 0, 1, kFloat64).to_vector<double>();
  double xy = 0;
  for (std::int64_t i = 0; i < n; ++i) xy += x[i] * y[i];
  // correlation of independent normals has sd 1/sqrt(n); 5 sd
  EXPECT_LT(std::abs(xy / n), 5 / std::sqrt(double(n)));
}

template <class T>
void check_moments(DType dtype) {
  const std::int64_t n = 1 << 20;
  Generator gen(3);
  const auto u = uniform({n}, gen, -1, 3, dtype).to_vector<double>();
  const auto z = normal({n}, gen, 2, 0.5, dtype).to_vector<double>();
  double su = 0, su2 = 0, sz = 0, sz2 = 0, sz4 = 0;
  double umin = 1e9, umax = -1e9;
  for (std::int64_t i = 0; i < n; ++i) {
    su += u[i];
    su2 += u[i] * u[i];
    umin = std::min(umin, u[i]);
    umax = std::max(umax, u[i]);
    const double d = (z[i] - 2) / 0.5;
    sz += d;
    sz2 += d * d;
    sz4 += d * d * d * d;
  }
  const double se = 1 / std::sqrt(double(n));
  EXPECT_GE(umin, -1);
  EXPECT_LT(umax, 3);
  EXPECT_NEAR(su / n, 1, 6 * se * 1.2);              // mean of U(-1,3) = 1, sd 4/sqrt(12)
  EXPECT_NEAR(su2 / n - 1, 16.0 / 12, 6 * se * 2);   // variance 4/3
  EXPECT_NEAR(sz / n, 0, 6 * se);
  EXPECT_NEAR(sz2 / n, 1, 6 * se * std::sqrt(2.0));
  EXPECT_NEAR(sz4 / n, 3, 6 * se * std::sqrt(96.0));  // fourth moment of N(0,1)
}

TEST(Random, UniformAndNormalMoments) {
  check_moments<float>(kFloat32);
  check_moments<double>(kFloat64);
}

TEST(Random, NormalTailsFollowTheGaussian) {
  // P(|Z| > 3) = 0.0026998
  const std::int64_t n = 1 << 21;
  Generator gen(4);
  const auto z = normal({n}, gen).to_vector<double>();
  std::int64_t beyond = 0;
  for (double v : z) beyond += std::abs(v) > 3;
  const double p = 0.0026998, sd = std::sqrt(p * (1 - p) / n);
  EXPECT_NEAR(double(beyond) / n, p, 6 * sd);
}

TEST(Random, RandintAndPermutation) {
  Generator gen(5);
  const auto r = randint(-3, 4, {10000}, gen).to_vector<std::int64_t>();
  std::vector<int> counts(7, 0);
  for (auto v : r) {
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 4);
    counts[v + 3]++;
  }
  for (int c : counts) EXPECT_NEAR(c, 10000 / 7.0, 6 * std::sqrt(10000 / 7.0));
  auto p = permutation(50, gen);
  std::sort(p.begin(), p.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p[i], i);
  EXPECT_EQ(testing::error_of([&] { gen.randint(3, 3); }), "randint: empty range [3, 3)");
}

TEST(Random, FillsIntoStridedViews) {
  Generator g1(6), g2(6);
  Tensor t = zeros({8, 6}, kFloat64);
  Tensor view = t.t();
  normal_(view, g1);
  const Tensor direct = normal({6, 8}, g2, 0, 1, kFloat64);
  EXPECT_TRUE(testing::identical(view.contiguous(), direct));
}

}  // namespace
}  // namespace lambdahat

namespace lambdahat {
namespace {

// Every ordering equally likely: all 120 permutations of 5 elements over 60 000
// draws (chi-square with 119 degrees of freedom: mean 119, sd 15.4; the bound is
// 6 sd above the mean), and, for a length that takes one word per position at the
// top and two per word below, where element 0 and element n − 1 land (20 bins).
TEST(Random, PermutationsAreUniform) {
  Generator gen(11);
  std::map<std::vector<std::int64_t>, int> counts;
  constexpr int kDraws = 60000;
  for (int t = 0; t < kDraws; ++t) counts[permutation(5, gen)]++;
  EXPECT_EQ(counts.size(), 120u);
  double chi2 = 0;
  for (const auto& [perm, c] : counts) chi2 += (c - kDraws / 120.0) * (c - kDraws / 120.0) / (kDraws / 120.0);
  EXPECT_LT(chi2, 119 + 6 * std::sqrt(2 * 119.0));

  constexpr std::int64_t n = 9000;  // positions above 8191 take single words
  constexpr int kBins = 20, kPerms = 2000;
  std::vector<int> first(kBins, 0), last(kBins, 0);
  for (int t = 0; t < kPerms; ++t) {
    const auto p = permutation(n, gen);
    for (std::int64_t pos = 0; pos < n; ++pos) {
      if (p[pos] == 0) first[pos * kBins / n]++;
      if (p[pos] == n - 1) last[pos * kBins / n]++;
    }
  }
  for (const auto* bins : {&first, &last}) {
    double c2 = 0;
    for (int b : *bins) c2 += (b - kPerms / double(kBins)) * (b - kPerms / double(kBins)) / (kPerms / double(kBins));
    EXPECT_LT(c2, 19 + 6 * std::sqrt(2 * 19.0));
  }
}

}  // namespace
}  // namespace lambdahat
