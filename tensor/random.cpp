#include "tensor/random.hpp"

#include <cmath>
#include <numbers>

#include "tensor/detail/simd.hpp"
#include "tensor/parallel.hpp"

namespace lambdahat {
namespace {

constexpr std::uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;     // round multipliers
constexpr std::uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;   // key schedule increments

// SplitMix64 finaliser, used to derive stream ids.
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Philox blocks for `count` consecutive positions, written as 4 words each. Written
// lane-wise over arrays so that the compiler vectorises the 32×32→64 multiplies.
void philox_blocks(std::uint64_t seed, std::uint64_t stream, std::uint64_t first, std::int64_t count,
                   std::uint32_t* out) {
  constexpr int L = 16;
  for (std::int64_t b0 = 0; b0 < count; b0 += L) {
    const int lanes = static_cast<int>(std::min<std::int64_t>(L, count - b0));
    std::uint32_t c0[L], c1[L], c2[L], c3[L];
    for (int l = 0; l < L; ++l) {
      const std::uint64_t pos = first + static_cast<std::uint64_t>(b0 + l);
      c0[l] = static_cast<std::uint32_t>(pos);
      c1[l] = static_cast<std::uint32_t>(pos >> 32);
      c2[l] = static_cast<std::uint32_t>(stream);
      c3[l] = static_cast<std::uint32_t>(stream >> 32);
    }
    std::uint32_t k0 = static_cast<std::uint32_t>(seed), k1 = static_cast<std::uint32_t>(seed >> 32);
    for (int round = 0; round < 10; ++round) {
      for (int l = 0; l < L; ++l) {
        const std::uint64_t p0 = std::uint64_t{kMul0} * c0[l], p1 = std::uint64_t{kMul1} * c2[l];
        const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[l] ^ k0;
        const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[l] ^ k1;
        c0[l] = n0;
        c1[l] = static_cast<std::uint32_t>(p1);
        c2[l] = n2;
        c3[l] = static_cast<std::uint32_t>(p0);
      }
      k0 += kWeyl0;
      k1 += kWeyl1;
    }
    for (int l = 0; l < lanes; ++l) {
      std::uint32_t* o = out + 4 * (b0 + l);
      o[0] = c0[l];
      o[1] = c1[l];
      o[2] = c2[l];
      o[3] = c3[l];
    }
  }
}

// 24-bit and 53-bit uniforms in [0, 1), and in (0, 1] for logarithms.
inline float u24(std::uint32_t w) { return static_cast<float>(w >> 8) * 0x1p-24f; }
inline float u24_open0(std::uint32_t w) { return static_cast<float>((w >> 8) + 1) * 0x1p-24f; }
inline double u53(std::uint32_t hi, std::uint32_t lo) {
  return static_cast<double>(((std::uint64_t{hi} << 32) | lo) >> 11) * 0x1p-53;
}
inline double u53_open0(std::uint32_t hi, std::uint32_t lo) {
  return static_cast<double>((((std::uint64_t{hi} << 32) | lo) >> 11) + 1) * 0x1p-53;
}

// Box–Muller on arrays: (u1, u2) -> sqrt(-2 log u1) (cos 2πu2, sin 2πu2), with u1 in (0,1].
// n is a multiple of the vector width.
template <class T>
void box_muller(const T* u1, const T* u2, T* z_cos, T* z_sin, std::int64_t n) {
  using V = simd::Vec<T>;
  constexpr std::int64_t W = simd::kLanes<T>;
  const V two_pi(static_cast<T>(2 * std::numbers::pi));
  for (std::int64_t i = 0; i + W <= n; i += W) {
    const V r = xsimd::sqrt(V(T(-2)) * xsimd::log(V::load_unaligned(u1 + i)));
    const auto [s, c] = xsimd::sincos(two_pi * V::load_unaligned(u2 + i));
    (r * c).store_unaligned(z_cos + i);
    (r * s).store_unaligned(z_sin + i);
  }
}

// How many values one block yields, per dtype.
template <class T> constexpr std::int64_t kPerBlock = 4;
template <> constexpr std::int64_t kPerBlock<double> = 2;

constexpr std::int64_t kFillChunk = 64;

// Blocks a bulk fill of n values consumes (whole chunks of kFillChunk values).
template <class T>
std::uint64_t blocks_for(std::int64_t n) {
  return static_cast<std::uint64_t>((n + kFillChunk - 1) / kFillChunk * (kFillChunk / kPerBlock<T>));
}

// Fills out[0..n) from blocks first, first+1, ...: uniform if `gaussian` is false.
// Works in chunks of 64 values so that Box–Muller always runs on whole vectors.
template <class T>
void fill_from_blocks(std::uint64_t seed, std::uint64_t stream, std::uint64_t first, T* out, std::int64_t n,
                      bool gaussian, T a, T b) {
  constexpr std::int64_t kChunk = kFillChunk, kBlocks = kChunk / kPerBlock<T>;
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
  parallel_for(0, chunks, kChunk, [&](std::int64_t c_lo, std::int64_t c_hi) {
    alignas(64) std::uint32_t words[4 * kBlocks];
    alignas(64) T u1[kChunk / 2], u2[kChunk / 2], z[kChunk];
    for (std::int64_t c = c_lo; c < c_hi; ++c) {
      philox_blocks(seed, stream, first + static_cast<std::uint64_t>(c * kBlocks), kBlocks, words);
      const std::int64_t base = c * kChunk, m = std::min(kChunk, n - base);
      if (!gaussian) {
        for (std::int64_t i = 0; i < m; ++i) {
          T u;
          if constexpr (std::is_same_v<T, float>) u = u24(words[i]);
          else u = u53(words[2 * i], words[2 * i + 1]);
          out[base + i] = a + (b - a) * u;
        }
        continue;
      }
      // value 2j uses (u1_j, u2_j) with cos, value 2j+1 the same pair with sin
      for (std::int64_t j = 0; j < kChunk / 2; ++j) {
        if constexpr (std::is_same_v<T, float>) {
          u1[j] = u24_open0(words[2 * j]);
          u2[j] = u24(words[2 * j + 1]);
        } else {
          u1[j] = u53_open0(words[4 * j], words[4 * j + 1]);
          u2[j] = u53(words[4 * j + 2], words[4 * j + 3]);
        }
      }
      static_assert((kChunk / 2) % simd::kLanes<T> == 0);
      alignas(64) T zc[kChunk / 2], zs[kChunk / 2];
      box_muller(u1, u2, zc, zs, kChunk / 2);
      for (std::int64_t j = 0; j < kChunk / 2; ++j) {
        z[2 * j] = zc[j];
        z[2 * j + 1] = zs[j];
      }
      for (std::int64_t i = 0; i < m; ++i) out[base + i] = a + b * z[i];
    }
  });
}

}  // namespace

std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> ctr, std::array<std::uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t{kMul0} * ctr[0], p1 = std::uint64_t{kMul1} * ctr[2];
    ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<std::uint32_t>(p1),
           static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<std::uint32_t>(p0)};
    key[0] += kWeyl0;
    key[1] += kWeyl1;
  }
  return ctr;
}

Generator::Generator(std::uint64_t seed, std::uint64_t stream) : seed_(seed), stream_(stream) {}

Generator Generator::derive(std::uint64_t id) const { return Generator(seed_, mix64(stream_ ^ mix64(id + 1))); }

std::array<std::uint32_t, 4> Generator::block(std::uint64_t position) const {
  return philox4x32({static_cast<std::uint32_t>(position), static_cast<std::uint32_t>(position >> 32),
                     static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32)},
                    {static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)});
}

std::uint64_t Generator::take_blocks(std::uint64_t count) {
  buffered_ = 0;
  const std::uint64_t first = position_;
  position_ += count;
  return first;
}

std::uint32_t Generator::next_u32() {
  if (buffered_ == 0) {
    buffer_ = block(position_++);
    buffered_ = 4;
  }
  return buffer_[4 - buffered_--];
}

std::uint64_t Generator::next_u64() {
  const std::uint64_t hi = next_u32();
  return (hi << 32) | next_u32();
}

double Generator::uniform() {
  const std::uint32_t hi = next_u32(), lo = next_u32();
  return u53(hi, lo);
}

double Generator::normal() {
  const std::uint32_t a = next_u32(), b = next_u32(), c = next_u32(), d = next_u32();
  return std::sqrt(-2 * std::log(u53_open0(a, b))) * std::cos(2 * std::numbers::pi * u53(c, d));
}

std::int64_t Generator::randint(std::int64_t lo, std::int64_t hi) {
  check(lo < hi, "randint", "empty range [", lo, ", ", hi, ")");
  const std::uint64_t range = static_cast<std::uint64_t>(hi - lo);
  // rejection sampling: accept draws below the largest multiple of `range`
  const std::uint64_t limit = range * (UINT64_MAX / range);
  std::uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return lo + static_cast<std::int64_t>(x % range);
}

void Generator::fill_uniform(float* out, std::int64_t n, float lo, float hi) {
  fill_from_blocks<float>(seed_, stream_, take_blocks(blocks_for<float>(n)), out, n, false, lo, hi);
}
void Generator::fill_uniform(double* out, std::int64_t n, double lo, double hi) {
  fill_from_blocks<double>(seed_, stream_, take_blocks(blocks_for<double>(n)), out, n, false, lo, hi);
}
void Generator::fill_normal(float* out, std::int64_t n, float mean, float std) {
  fill_from_blocks<float>(seed_, stream_, take_blocks(blocks_for<float>(n)), out, n, true, mean, std);
}
void Generator::fill_normal(double* out, std::int64_t n, double mean, double std) {
  fill_from_blocks<double>(seed_, stream_, take_blocks(blocks_for<double>(n)), out, n, true, mean, std);
}

namespace {
void fill_random(const char* op, Tensor& t, Generator& gen, bool gaussian, double a, double b) {
  check(t.defined(), op, "undefined tensor");
  Tensor target = t.is_contiguous() ? t : Tensor::empty(t.shape(), t.dtype());
  visit_floating(t.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (gaussian) gen.fill_normal(target.data<T>(), target.numel(), static_cast<T>(a), static_cast<T>(b));
    else gen.fill_uniform(target.data<T>(), target.numel(), static_cast<T>(a), static_cast<T>(b));
  });
  if (!t.is_contiguous()) t.copy_(target);
}
}  // namespace

void normal_(Tensor& t, Generator& gen, double mean, double std) {
  check(std >= 0, "normal", "standard deviation must be >= 0, got ", std);
  fill_random("normal_", t, gen, true, mean, std);
}
void uniform_(Tensor& t, Generator& gen, double lo, double hi) {
  check(lo <= hi, "uniform", "lower bound ", lo, " exceeds upper bound ", hi);
  fill_random("uniform_", t, gen, false, lo, hi);
}

Tensor uniform(const Dims& shape, Generator& gen, double lo, double hi, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  uniform_(t, gen, lo, hi);
  return t;
}

Tensor normal(const Dims& shape, Generator& gen, double mean, double std, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  normal_(t, gen, mean, std);
  return t;
}

Tensor randint(std::int64_t lo, std::int64_t hi, const Dims& shape, Generator& gen) {
  check(lo < hi, "randint", "empty range [", lo, ", ", hi, ")");
  Tensor t = Tensor::empty(shape, kInt64);
  auto* p = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = gen.randint(lo, hi);
  return t;
}

std::vector<std::int64_t> permutation(std::int64_t n, Generator& gen) {
  check(n >= 0, "permutation", "negative length ", n);
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[i] = i;
  for (std::int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[gen.randint(0, i + 1)]);
  return p;
}

Tensor randperm(std::int64_t n, Generator& gen) { return from_vector(permutation(n, gen)); }

}  // namespace lambdahat
