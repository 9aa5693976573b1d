// The vector functions the hot loops use in place of xsimd's general ones, against
// double-precision references over (nearly) every float they can be given.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "tensor/detail/simd.hpp"

namespace lambdahat {
namespace {

using V = simd::Vec<float>;
constexpr int W = static_cast<int>(simd::kLanes<float>);

// |got − want| in units of the float spacing at want (want a normal float)
double ulps(float got, double want) {
  const int e = std::ilogb(static_cast<float>(want));
  return std::abs(static_cast<double>(got) - want) / std::ldexp(1.0, e - 23);
}

TEST(SimdMath, ExpOfNonpositiveArgumentsIsWithinOneUlp) {
  // every 97th float of [−87.3, 0]: 11 million arguments spread over all exponents
  const std::uint32_t first = std::bit_cast<std::uint32_t>(-0.0f), last = std::bit_cast<std::uint32_t>(-87.3f);
  double worst = 0;
  float worst_at = 0;
  alignas(64) float x[W], y[W];
  for (std::uint64_t b = first; b <= last; b += 97 * W) {
    for (int l = 0; l < W; ++l)
      x[l] = std::bit_cast<float>(static_cast<std::uint32_t>(std::min<std::uint64_t>(b + 97 * l, last)));
    simd::exp_nonpositive(V::load_aligned(x)).store_aligned(y);
    for (int l = 0; l < W; ++l) {
      const double e = ulps(y[l], std::exp(static_cast<double>(x[l])));
      if (e > worst) worst = e, worst_at = x[l];
    }
  }
  EXPECT_LT(worst, 1.05) << "at x = " << worst_at;  // measured: 1.009
}

TEST(SimdMath, ExpOfNonpositiveArgumentsHasExactEnds) {
  const float inf = std::numeric_limits<float>::infinity();
  const float args[] = {0.0f, -0.0f, -1e-30f, -87.31f, -100.0f, -inf, -1e30f, -std::numeric_limits<float>::max()};
  const float want[] = {1, 1, 1, 0, 0, 0, 0, 0};  // below −87.3 e^x would be subnormal or less: 0
  for (int i = 0; i < 8; ++i) {
    alignas(64) float x[W], y[W];
    for (int l = 0; l < W; ++l) x[l] = args[(i + l) % 8];  // each argument in every lane position
    simd::exp_nonpositive(V::load_aligned(x)).store_aligned(y);
    for (int l = 0; l < W; ++l) EXPECT_EQ(y[l], want[(i + l) % 8]) << "x = " << x[l];
  }
}

TEST(SimdMath, LogOfEveryBoxMullerUniformIsWithinTwoRoundings) {
  // u = k·2^-24, k = 1 … 2^24: every value the float normal fill takes logarithms of
  double worst = 0;
  alignas(64) float u[W], y[W];
  for (std::int64_t k0 = 1; k0 <= (std::int64_t{1} << 24); k0 += W) {
    for (int l = 0; l < W; ++l) u[l] = static_cast<float>(std::min<std::int64_t>(k0 + l, std::int64_t{1} << 24)) * 0x1p-24f;
    simd::log_positive(V::load_aligned(u)).store_aligned(y);
    for (int l = 0; l < W; ++l) {
      const double want = std::log(static_cast<double>(u[l]));
      if (want == 0) {
        EXPECT_EQ(y[l], 0.0f);
        continue;
      }
      worst = std::max(worst, std::abs(y[l] - want) / std::abs(want));
    }
  }
  EXPECT_LT(worst, 1.6 * 0x1p-24);  // measured: 1.48·2^-24
}

TEST(SimdMath, LogOfPositiveNormalsOverManyOctaves) {
  double worst = 0;
  alignas(64) float x[W], y[W];
  for (float base : {0x1p-126f, 1e-20f, 0.001f, 0.7f, 1.0f, 1.3f, 1000.0f, 1e30f}) {
    for (int i = 0; i < 4096; i += W) {
      for (int l = 0; l < W; ++l) x[l] = base * (1.0f + static_cast<float>(i + l) / 2048.0f);
      simd::log_positive(V::load_aligned(x)).store_aligned(y);
      for (int l = 0; l < W; ++l) {
        const double want = std::log(static_cast<double>(x[l]));
        // relative error where ln x is away from 0, absolute near x = 1
        worst = std::max(worst, std::abs(y[l] - want) / std::max(1.0, std::abs(want)));
      }
    }
  }
  EXPECT_LT(worst, 2 * 0x1p-24);
}

TEST(SimdMath, SinCosOfEveryBoxMullerAngle) {
  // u = k·2^-24, k = 0 … 2^24 − 1, the angles of the float normal fill
  double worst = 0;
  alignas(64) float u[W], s[W], c[W];
  for (std::int64_t k0 = 0; k0 < (std::int64_t{1} << 24); k0 += W) {
    for (int l = 0; l < W; ++l) u[l] = static_cast<float>(k0 + l) * 0x1p-24f;
    V sv, cv;
    simd::sincos_2pi(V::load_aligned(u), sv, cv);
    sv.store_aligned(s);
    cv.store_aligned(c);
    for (int l = 0; l < W; ++l) {
      const double a = 2 * M_PI * static_cast<double>(u[l]);
      worst = std::max({worst, std::abs(s[l] - std::sin(a)), std::abs(c[l] - std::cos(a))});
    }
  }
  EXPECT_LT(worst, 1.2e-7);  // measured: 8.9e-8, 1.5 times the float spacing below 1
}

}  // namespace
}  // namespace lambdahat
