#include "tensor/random.hpp"

#include <cmath>
#include <numbers>

#include "tensor/detail/philox.hpp"
#include "tensor/detail/simd.hpp"
#include "tensor/parallel.hpp"

namespace lambdahat {
namespace {

// SplitMix64 finaliser, used to derive stream ids.
std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
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
  for (std::int64_t i = 0; i + W <= n; i += W) {
    const V u = V::load_unaligned(u1 + i);
    V log_u;
    if constexpr (std::is_same_v<T, float>) log_u = simd::log_positive(u);  // u ≥ 2^-24: positive and normal
    else log_u = xsimd::log(u);
    const V r = xsimd::sqrt(V(T(-2)) * log_u);
    V s, c;
    simd::sincos_2pi(V::load_unaligned(u2 + i), s, c);
    (r * c).store_unaligned(z_cos + i);
    (r * s).store_unaligned(z_sin + i);
  }
}

// A bulk fill works in chunks of 64 values; chunk c uses the 16 blocks at positions
// first + 16c ... first + 16c + 15 (w[j][l] is word j of block l):
//   float32 uniform:  value 16j + l            from w[j][l]
//   float32 normal:   values 16·(2p)+l, 16·(2p+1)+l from Box–Muller on (w[2p][l], w[2p+1][l])
//   float64 uses 32 blocks per chunk (two rounds of 16 for 64 values), two words per double:
//   uniform value 16j' + l from (w[2j'][l], w[2j'+1][l]) of the round, normal pairs from
//   (w[0], w[1]) and (w[2], w[3]) combined into two doubles.
// The result depends only on the seed, the stream and the start position.
constexpr std::int64_t kFillChunk = 64;
template <class T> constexpr std::uint64_t kBlocksPerChunk = std::is_same_v<T, float> ? 16 : 32;

template <class T>
std::uint64_t blocks_for(std::int64_t n) {
  return static_cast<std::uint64_t>((n + kFillChunk - 1) / kFillChunk) * kBlocksPerChunk<T>;
}

// One chunk of 64 values (uniform in [0,1) or standard normal) from its blocks.
template <class T>
void chunk_values(std::uint64_t seed, std::uint64_t stream, std::uint64_t first, bool gaussian, T* z) {
  alignas(64) std::uint32_t w[4][16];
  if constexpr (std::is_same_v<T, float>) {
    detail::philox_x16(first, stream, seed, w);
    if (!gaussian) {
      for (int j = 0; j < 4; ++j)
        for (int l = 0; l < 16; ++l) z[16 * j + l] = u24(w[j][l]);
      return;
    }
    alignas(64) float u1[32], u2[32];
    for (int p = 0; p < 2; ++p)
      for (int l = 0; l < 16; ++l) {
        u1[16 * p + l] = u24_open0(w[2 * p][l]);
        u2[16 * p + l] = u24(w[2 * p + 1][l]);
      }
    alignas(64) float zc[32], zs[32];
    box_muller(u1, u2, zc, zs, 32);
    for (int p = 0; p < 2; ++p)
      for (int l = 0; l < 16; ++l) {
        z[32 * p + l] = zc[16 * p + l];
        z[32 * p + 16 + l] = zs[16 * p + l];
      }
  } else {
    alignas(64) double u[64];
    for (int round = 0; round < 2; ++round) {
      detail::philox_x16(first + 16 * static_cast<std::uint64_t>(round), stream, seed, w);
      for (int h = 0; h < 2; ++h)
        for (int l = 0; l < 16; ++l)
          u[32 * round + 16 * h + l] = gaussian ? u53_open0(w[2 * h][l], w[2 * h + 1][l]) : u53(w[2 * h][l], w[2 * h + 1][l]);
    }
    if (!gaussian) {
      for (int i = 0; i < 64; ++i) z[i] = u[i];
      return;
    }
    // pairs (u[i], u[32 + i]) for i < 32; u2 may be 1 here, which only shifts the angle by 2π
    alignas(64) double zc[32], zs[32];
    box_muller(u, u + 32, zc, zs, 32);
    for (int i = 0; i < 32; ++i) {
      z[i] = zc[i];
      z[32 + i] = zs[i];
    }
  }
}

#if defined(__AVX512F__)
// Float normals, chunk after chunk, in registers: the words, the uniforms, Box–Muller
// and out = a + b·z without the round trips through arrays that chunk_values makes
// (the same operations on the same lanes, so the same values).
void normal_chunks(std::uint64_t seed, std::uint64_t stream, std::uint64_t first, float* out, std::int64_t n,
                   std::int64_t c_lo, std::int64_t c_hi, float a, float b) {
  using V = simd::Vec<float>;
  const V va(a), vb(b), two_pow_minus_24(0x1p-24f), minus_two(-2.0f);
  const __m512i one = _mm512_set1_epi32(1);
  // the 64 normals of chunk c from its words, into out
  const auto finish = [&](std::int64_t c, const detail::PhiloxWords& words) {
    const __m512i* w = words.x;
    V z[4];  // values 16q + l of the chunk
    for (int p = 0; p < 2; ++p) {
      // u24_open0 of word 2p and u24 of word 2p + 1, as in chunk_values
      const V u1 = V(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_srli_epi32(w[2 * p], 8), one))) * two_pow_minus_24;
      const V u2 = V(_mm512_cvtepi32_ps(_mm512_srli_epi32(w[2 * p + 1], 8))) * two_pow_minus_24;
      const V r = xsimd::sqrt(minus_two * simd::log_positive(u1));
      V sin_v, cos_v;
      simd::sincos_2pi(u2, sin_v, cos_v);
      z[2 * p] = r * cos_v;
      z[2 * p + 1] = r * sin_v;
    }
    const std::int64_t base = c * kFillChunk, m = std::min(kFillChunk, n - base);
    for (int q = 0; q < 4; ++q) {
      const std::int64_t width = std::min<std::int64_t>(16, m - 16 * q);
      if (width <= 0) break;
      const V v = simd::fma(vb, z[q], va);
      if (width == 16) v.store_unaligned(out + base + 16 * q);
      else simd::store_partial(out + base + 16 * q, v, width);
    }
  };
  const auto start = [&](std::int64_t c) { return first + static_cast<std::uint64_t>(c) * kBlocksPerChunk<float>; };
  // two chunks at a time: the ten rounds of Philox are a chain of dependent
  // multiplications, and the second chunk's chain runs beside the first's (the
  // same values)
  std::int64_t c = c_lo;
  for (; c + 2 <= c_hi; c += 2) {
    const auto words = detail::philox_x16_registers_sets<2>(start(c), kBlocksPerChunk<float>, stream, seed);
    finish(c, words[0]);
    finish(c + 1, words[1]);
  }
  if (c < c_hi) finish(c, detail::philox_x16_registers(start(c), stream, seed));
}
#endif

// Fills out[0..n) with a + b·value: value uniform in [0,1) or standard normal.
template <class T>
void fill_from_blocks(std::uint64_t seed, std::uint64_t stream, std::uint64_t first, T* out, std::int64_t n,
                      bool gaussian, T a, T b) {
  const std::int64_t chunks = (n + kFillChunk - 1) / kFillChunk;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (gaussian) {
      parallel_for(0, chunks, kFillChunk, [&](std::int64_t c_lo, std::int64_t c_hi) {
        normal_chunks(seed, stream, first, out, n, c_lo, c_hi, a, b);
      });
      return;
    }
  }
#endif
  parallel_for(0, chunks, kFillChunk, [&](std::int64_t c_lo, std::int64_t c_hi) {
    alignas(64) T z[kFillChunk];
    for (std::int64_t c = c_lo; c < c_hi; ++c) {
      chunk_values<T>(seed, stream, first + static_cast<std::uint64_t>(c) * kBlocksPerChunk<T>, gaussian, z);
      const std::int64_t base = c * kFillChunk, m = std::min(kFillChunk, n - base);
      if (gaussian) {
        for (std::int64_t i = 0; i < m; ++i) out[base + i] = a + b * z[i];
      } else {
        for (std::int64_t i = 0; i < m; ++i) out[base + i] = a + (b - a) * z[i];
      }
    }
  });
}

}  // namespace

std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> ctr, std::array<std::uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t{detail::kPhiloxMul0} * ctr[0], p1 = std::uint64_t{detail::kPhiloxMul1} * ctr[2];
    ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ key[0], static_cast<std::uint32_t>(p1),
           static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ key[1], static_cast<std::uint32_t>(p0)};
    key[0] += detail::kPhiloxWeyl0;
    key[1] += detail::kPhiloxWeyl1;
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
  if (range <= 0xFFFFFFFFull) {
    // Lemire's multiply-shift with rejection of the biased low products: one 32-bit
    // draw almost always
    const auto r32 = static_cast<std::uint32_t>(range);
    std::uint64_t m = std::uint64_t{next_u32()} * r32;
    if (static_cast<std::uint32_t>(m) < r32) {
      const std::uint32_t threshold = static_cast<std::uint32_t>(-r32) % r32;
      while (static_cast<std::uint32_t>(m) < threshold) m = std::uint64_t{next_u32()} * r32;
    }
    return lo + static_cast<std::int64_t>(m >> 32);
  }
  // rejection sampling: accept draws below the largest multiple of `range`
  const std::uint64_t limit = range * (UINT64_MAX / range);
  std::uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return lo + static_cast<std::int64_t>(x % range);
}

void Generator::fill_u32(std::uint32_t* out, std::int64_t n) {
  const std::int64_t groups = (n + 63) / 64;  // 16 blocks of 4 words each
  const std::uint64_t first = take_blocks(static_cast<std::uint64_t>(groups) * 16);
  alignas(64) std::uint32_t w[4][16];
  for (std::int64_t g = 0; g < groups; ++g) {
    detail::philox_x16(first + static_cast<std::uint64_t>(g) * 16, stream_, seed_, w);
    const std::int64_t base = g * 64, m = std::min<std::int64_t>(64, n - base);
    for (std::int64_t i = 0; i < m; ++i) out[base + i] = w[i / 16][i % 16];
  }
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

namespace {

// Lemire's multiply-shift: the high word of w·range, with the low word left in w.
std::uint32_t scale_word(std::uint32_t& w, std::uint32_t range) {
  const std::uint64_t m = std::uint64_t{w} * range;
  w = static_cast<std::uint32_t>(m);
  return static_cast<std::uint32_t>(m >> 32);
}

}  // namespace

std::vector<std::int64_t> permutation(std::int64_t n, Generator& gen) {
  check(n >= 0, "permutation", "negative length ", n);
  std::vector<std::int64_t> p(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) p[i] = i;
  if (n < 2) return p;
  if (n > 0xFFFFFFFFll) {
    for (std::int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[gen.randint(0, i + 1)]);
    return p;
  }
  // Fisher–Yates: position i swaps with a uniform j in [0, i]. The words are made in
  // bulk. While (i + 1)·i ≤ 2^32 / 64 one word gives two positions (Brackett-Rozinsky
  // and Lemire, "Batched ranged random integer generation", 2024): j1 in [0, i] and
  // j2 in [0, i − 1] from w·(i + 1) and then its low word times i. Words whose last
  // low part falls below 2^32 mod the product are redrawn, so the pair is exactly
  // uniform; that happens for fewer than 1 word in 64. (Why it works: w·(i+1)·i =
  // (j1·i + j2)·2^32 + low word, which is Lemire's method for the one range (i+1)·i.)
  // Larger i take one word each (Lemire's method, the same rule with one factor).
  constexpr std::int64_t kLargestPaired = 8191;  // 8192 · 8191 ≤ 2^32 / 64 < 8193 · 8192
  const std::int64_t first_pair = std::min(n - 1, kLargestPaired);
  const std::int64_t singles = n - 1 - first_pair;
  const std::int64_t pairs = first_pair / 2;  // i = first_pair, first_pair − 2, ... down to 2 or 1
  std::vector<std::uint32_t> words(static_cast<std::size_t>(singles + pairs));
  gen.fill_u32(words.data(), static_cast<std::int64_t>(words.size()));
  std::size_t next = 0;
  std::int64_t i = n - 1;
  for (; i > first_pair; --i) {
    const auto range = static_cast<std::uint32_t>(i + 1);
    std::uint32_t w = words[next++];
    std::uint32_t j = scale_word(w, range);
    if (w < range) {
      const std::uint32_t threshold = static_cast<std::uint32_t>(-range) % range;
      while (w < threshold) {
        w = gen.next_u32();
        j = scale_word(w, range);
      }
    }
    std::swap(p[i], p[j]);
  }
  for (; i >= 2; i -= 2) {
    const auto r1 = static_cast<std::uint32_t>(i + 1), r2 = static_cast<std::uint32_t>(i);
    const std::uint32_t product = r1 * r2;
    std::uint32_t w = words[next++];
    std::uint32_t j1 = scale_word(w, r1), j2 = scale_word(w, r2);
    if (w < product) {
      const std::uint32_t threshold = static_cast<std::uint32_t>(-product) % product;
      while (w < threshold) {
        w = gen.next_u32();
        j1 = scale_word(w, r1);
        j2 = scale_word(w, r2);
      }
    }
    std::swap(p[i], p[j1]);
    std::swap(p[i - 1], p[j2]);
  }
  if (i == 1) {  // the pairs stop at i = 1 when first_pair is odd: j in [0, 1]
    std::uint32_t w = gen.next_u32();
    std::swap(p[1], p[scale_word(w, 2)]);  // 2 divides 2^32: no bias to correct
  }
  return p;
}

Tensor randperm(std::int64_t n, Generator& gen) { return from_vector(permutation(n, gen)); }

}  // namespace lambdahat
