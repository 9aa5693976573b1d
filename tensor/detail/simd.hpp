// The vector helpers that the kernels of tensor/ are written with (tensor/ alone
// includes this header). Each helper works on contiguous arrays; tails shorter than a vector
// are copied into a padded vector, so every element goes through the same vector
// code wherever it sits (which keeps results independent of how work is split).
#pragma once

// GCC 12 reports its own AVX-512 intrinsics (_mm512_undefined_*) as uninitialised
// once they are inlined (GCC bug 105593, fixed in GCC 13); GCC attributes those
// warnings to the header's location, so silencing them around the include is enough.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>  // the AVX-512 and AVX paths below; other targets use xsimd alone
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

namespace lambdahat::simd {

template <class T>
using Vec = xsimd::batch<T>;
template <class T>
inline constexpr std::int64_t kLanes = static_cast<std::int64_t>(Vec<T>::size);

// a·b + c rounded once. xsimd 8 has no fused multiply-add for AVX-512: it writes
// a·b + c and leaves the fusing to the compiler, which fused at -O3 and not always at
// -O2, so results differed in the last bit between builds. With AVX-512 the
// instruction is named here; elsewhere xsimd's FMA3 version is used (or a·b + c on
// machines without FMA). Scalars use std::fma.
template <class T>
Vec<T> fma(const Vec<T>& a, const Vec<T>& b, const Vec<T>& c) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && kLanes<T> == 16) return _mm512_fmadd_ps(a, b, c);
  else if constexpr (std::is_same_v<T, double> && kLanes<T> == 8) return _mm512_fmadd_pd(a, b, c);
  else return xsimd::fma(a, b, c);
#else
  return xsimd::fma(a, b, c);
#endif
}
inline float fma(float a, float b, float c) { return std::fma(a, b, c); }
inline double fma(double a, double b, double c) { return std::fma(a, b, c); }

// A scalar condition or a vector mask chooses between two values.
template <class T>
Vec<T> if_else(const xsimd::batch_bool<T>& c, const Vec<T>& a, const Vec<T>& b) {
  return xsimd::select(c, a, b);
}
template <class T>
T if_else(bool c, T a, T b) {
  return c ? a : b;
}

// 0, 1, 2, ... in the lanes of a vector.
template <class T>
Vec<T> lane_index() {
  alignas(64) T lanes[kLanes<T>];
  for (std::int64_t i = 0; i < kLanes<T>; ++i) lanes[i] = static_cast<T>(i);
  return Vec<T>::load_aligned(lanes);
}

// Horizontal reductions of one vector (AVX-512 has shuffle sequences for these).
template <class T>
T hsum(const Vec<T>& v) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && kLanes<T> == 16) return _mm512_reduce_add_ps(v);
  if constexpr (std::is_same_v<T, double> && kLanes<T> == 8) return _mm512_reduce_add_pd(v);
#endif
  return xsimd::hadd(v);
}
template <class T>
T hmax(const Vec<T>& v) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && kLanes<T> == 16) return _mm512_reduce_max_ps(v);
  if constexpr (std::is_same_v<T, double> && kLanes<T> == 8) return _mm512_reduce_max_pd(v);
#endif
  alignas(64) T lanes[kLanes<T>];
  v.store_aligned(lanes);
  T m = lanes[0];
  for (std::int64_t i = 1; i < kLanes<T>; ++i) m = lanes[i] > m ? lanes[i] : m;
  return m;
}
template <class T>
T hmin(const Vec<T>& v) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && kLanes<T> == 16) return _mm512_reduce_min_ps(v);
  if constexpr (std::is_same_v<T, double> && kLanes<T> == 8) return _mm512_reduce_min_pd(v);
#endif
  alignas(64) T lanes[kLanes<T>];
  v.store_aligned(lanes);
  T m = lanes[0];
  for (std::int64_t i = 1; i < kLanes<T>; ++i) m = lanes[i] < m ? lanes[i] : m;
  return m;
}

// sin(2πu) and cos(2πu) for u in [0, 1): the quadrant comes from u itself, so no
// general range reduction is needed; minimax polynomials on [−π/4, π/4] (degree 7
// and 8, error below 2e-7, the float32 resolution) do the rest. Doubles use
// xsimd's full-precision sincos. Always inlined: a call inside a loop makes the
// caller save and restore every live vector register around it (the float normal
// fill spilled its sixteen Philox keys once per call).
template <class T>
[[gnu::always_inline]] inline void sincos_2pi(const Vec<T>& u, Vec<T>& sin_out, Vec<T>& cos_out) {
  using V = Vec<T>;
  if constexpr (std::is_same_v<T, float>) {
    // octant-free form: t = 4u ∈ [0, 4), quadrant q = nearest integer to t (t ≥ 0, so
    // the truncation of t + 1/2), r = (t − q)·π/2 ∈ [−π/4, π/4]
    using I = xsimd::batch<std::int32_t>;
    const V t = u * V(4.0f);
    const I q = xsimd::to_int(t + V(0.5f));
    const V r = (t - xsimd::to_float(q)) * V(1.57079632679489662f);
    const V r2 = r * r;
    const V s = r * fma(r2, fma(r2, fma(r2, V(-1.95152959e-4f), V(8.33216087e-3f)), V(-1.66666546e-1f)), V(1.0f));
    const V c = fma(r2, fma(r2, fma(r2, fma(r2, V(2.44331571e-5f), V(-1.38873163e-3f)), V(4.16666418e-2f)), V(-0.5f)),
                    V(1.0f));
    // rotate by q quarter turns: sin(r + qπ/2), cos(r + qπ/2) are ±sin r or ±cos r,
    // swapped for odd q; sin changes sign for q mod 4 ∈ {2, 3}, cos for q mod 4 ∈ {1, 2},
    // that is when bit 1 of q (or of q + 1) is set: moved to the sign bit and xor-ed in
    const auto odd = xsimd::to_float(q & I(1)) != V(0.0f);
    const V sin_sign = xsimd::bitwise_cast<V>((q & I(2)) << 30);
    const V cos_sign = xsimd::bitwise_cast<V>(((q + I(1)) & I(2)) << 30);
    sin_out = xsimd::select(odd, c, s) ^ sin_sign;
    cos_out = xsimd::select(odd, s, c) ^ cos_sign;
  } else {
    const auto [s, c] = xsimd::sincos(u * V(static_cast<T>(6.283185307179586476925286766559)));
    sin_out = s;
    cos_out = c;
  }
}

// ln x for positive, normal, finite floats only: no zero, infinity, NaN or subnormal
// cases, which the Box–Muller uniforms in [2^-24, 1] never are (xsimd::log handles all
// of them, with a division and a branch, and took most of the time of a normal fill).
// x = 2^e·m with m ∈ [2/3, 4/3) read off the bits; ln x = e·ln 2 + ln(1 + f), f = m − 1,
// and ln(1 + f) = f + f²·P(f) with P of degree 7 fitted to (ln(1 + f) − f)/f² on
// [−1/3, 1/3] for the least largest relative error (below 3e-8 in exact arithmetic,
// so the result is within a few float32 roundings of ln x). ln 2 is split in two
// parts, the first with few enough bits that e·ln2_hi is exact.
[[gnu::always_inline]] inline Vec<float> log_positive(const Vec<float>& x) {
  using V = Vec<float>;
  using I = xsimd::batch<std::int32_t>;
  const I bits = xsimd::bitwise_cast<I>(x);
  const I e = (bits - I(0x3f2aaaab)) >> 23;  // 0x3f2aaaab: the bits of 2/3
  const V f = xsimd::bitwise_cast<V>(bits - (e << 23)) - V(1.0f);
  V p = V(0.143740997f);
  p = fma(p, f, V(-0.153727427f));
  p = fma(p, f, V(0.139209241f));
  p = fma(p, f, V(-0.164193496f));
  p = fma(p, f, V(0.200160593f));
  p = fma(p, f, V(-0.250075996f));
  p = fma(p, f, V(0.333331048f));
  p = fma(p, f, V(-0.499999404f));
  const V ef = xsimd::to_float(e);
  const V ln2_hi(0.693145751953125f), ln2_lo(1.42860682e-6f);
  return fma(ef, ln2_hi, fma(f * f, p, fma(ef, ln2_lo, f)));
}

// e^x for float vectors with x ≤ 0 (or −inf), without the special-value handling of a
// general exp: x = k·ln 2 + r with k the nearest integer to x·log2 e and |r| ≤ ln(2)/2
// (ln 2 split in two, the first part short enough that k·ln2_hi is exact), e^r = 1 + r
// + r²·P(r) with P of degree 4 fitted for the least largest relative error on that
// interval (3e-9 in exact arithmetic; within 1.01 ulp of e^x over every float in
// [−87.3, 0]), and 2^k put into the exponent (one scaling instruction with AVX-512).
// Below x = −87.3 the result is 0: e^x would be subnormal there, and subnormal
// products cost some CPUs a hundred times more. Doubles use xsimd::exp.
template <class T>
[[gnu::always_inline]] inline Vec<T> exp_nonpositive(Vec<T> x) {
  using V = Vec<T>;
  if constexpr (std::is_same_v<T, float>) {
    const auto negligible = x < V(-87.3f);
    x = xsimd::max(x, V(-87.3f));  // keeps k ≥ −126, a normal exponent
    const V k = xsimd::nearbyint(x * V(1.44269504f));
    V r = fma(k, V(-0.693145751953125f), x);
    r = fma(k, V(-1.42860682e-6f), r);
    V p = V(0.00138146104f);
    p = fma(p, r, V(0.00836871006f));
    p = fma(p, r, V(0.041668389f));
    p = fma(p, r, V(0.166665211f));
    p = fma(p, r, V(0.49999994f));
    const V e = fma(r * r, p, r) + V(1.0f);
#if defined(__AVX512F__)
    if constexpr (kLanes<T> == 16) return _mm512_maskz_scalef_ps(static_cast<__mmask16>(~negligible), e, k);
#endif
    using I = xsimd::batch<std::int32_t>;
    const I bits = xsimd::bitwise_cast<I>(e) + (xsimd::batch_cast<std::int32_t>(k) << 23);
    return xsimd::select(negligible, V(0.0f), xsimd::bitwise_cast<V>(bits));
  } else {
    return xsimd::exp(x);
  }
}

// The first n (0 <= n <= kLanes) elements of a vector from or to memory; the other
// lanes load as zero and are not written. AVX-512 has masked loads and stores for
// this; elsewhere a small buffer does the job.
template <class T>
Vec<T> load_partial(const T* p, std::int64_t n) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && kLanes<T> == 16)
    return Vec<T>(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p));
  if constexpr (std::is_same_v<T, double> && kLanes<T> == 8)
    return Vec<T>(_mm512_maskz_loadu_pd(static_cast<__mmask8>((1u << n) - 1), p));
#endif
  alignas(64) T buf[kLanes<T>] = {};
  std::memcpy(buf, p, static_cast<std::size_t>(n) * sizeof(T));
  return Vec<T>::load_aligned(buf);
}

template <class T>
void store_partial(T* p, const Vec<T>& v, std::int64_t n) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && kLanes<T> == 16) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
    return;
  }
  if constexpr (std::is_same_v<T, double> && kLanes<T> == 8) {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1), v);
    return;
  }
#endif
  alignas(64) T buf[kLanes<T>];
  v.store_aligned(buf);
  std::memcpy(p, buf, static_cast<std::size_t>(n) * sizeof(T));
}

namespace detail {
template <class T>
Vec<T> load(const T* p, bool repeat, std::int64_t i) {
  return repeat ? Vec<T>(*p) : Vec<T>::load_unaligned(p + i);
}
// (Forced inline, with the kernels it calls: a call per vector returns the result
// through memory, and long kernels like GELU's ran at half speed.)
template <class T, std::size_t N, class F, std::size_t... K>
[[gnu::always_inline]] inline Vec<T> apply(F& f, const std::array<const T*, N>& in, const std::array<bool, N>& repeat,
                                           std::int64_t i, std::index_sequence<K...>) {
  return f(load(in[K], repeat[K], i)...);
}
}  // namespace detail

// out[i] = f(in_0[i], ..., in_{N-1}[i]) for 0 <= i < n, where an input flagged in
// `repeat` is one element used for every i. Floating-point T only.
template <class T, std::size_t N, class F>
void map(T* out, const std::array<const T*, N>& in, const std::array<bool, N>& repeat, std::int64_t n,
         F&& f) {
  constexpr std::int64_t W = kLanes<T>;
  const auto seq = std::make_index_sequence<N>{};
  std::int64_t i = 0;
  // two vectors per iteration: long kernels (exp, erf) overlap their latencies
  for (; i + 2 * W <= n; i += 2 * W) {
    const auto lo = detail::apply(f, in, repeat, i, seq), hi = detail::apply(f, in, repeat, i + W, seq);
    lo.store_unaligned(out + i);
    hi.store_unaligned(out + i + W);
  }
  for (; i + W <= n; i += W) detail::apply(f, in, repeat, i, seq).store_unaligned(out + i);
  if (i == n) return;
  const std::int64_t rest = n - i;
  alignas(64) T tail_in[N][W == 0 ? 1 : W] = {};
  alignas(64) T tail_out[W];
  std::array<const T*, N> tail_ptr;
  for (std::size_t k = 0; k < N; ++k) {
    if (repeat[k]) {
      tail_ptr[k] = in[k];
    } else {
      std::memcpy(tail_in[k], in[k] + i, rest * sizeof(T));
      tail_ptr[k] = tail_in[k];
    }
  }
  detail::apply(f, tail_ptr, repeat, 0, seq).store_aligned(tail_out);
  std::memcpy(out + i, tail_out, rest * sizeof(T));
}

// Stores v at the 64-byte aligned p without bringing p's cache line in first (a
// non-temporal store), where the instruction set has one for this vector width.
template <class T>
inline void store_streaming(T* p, const Vec<T>& v) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && kLanes<T> == 16) return _mm512_stream_ps(p, v);
  if constexpr (std::is_same_v<T, double> && kLanes<T> == 8) return _mm512_stream_pd(p, v);
#endif
#if defined(__AVX__)
  if constexpr (std::is_same_v<T, float> && kLanes<T> == 8) return _mm256_stream_ps(p, v);
  if constexpr (std::is_same_v<T, double> && kLanes<T> == 4) return _mm256_stream_pd(p, v);
#endif
  v.store_aligned(p);
}

// map() for outputs much larger than the caches. The output is written with
// non-temporal stores, which skip reading each destination line from memory before
// overwriting it (a third of the traffic of a unary op), and the inputs are
// prefetched 512 bytes ahead: with streaming stores holding fill buffers, a long
// kernel like GELU otherwise kept too few loads in flight and ran at 17 GB/s
// instead of 40 on a 512 MiB tensor.
template <class T, std::size_t N, class F>
void map_streaming(T* out, const std::array<const T*, N>& in, const std::array<bool, N>& repeat, std::int64_t n,
                   F&& f) {
  constexpr std::int64_t W = kLanes<T>;
  const auto seq = std::make_index_sequence<N>{};
  // plain stores up to the first 64-byte boundary of out
  const auto misalignment = static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(out) % 64);
  std::int64_t head = misalignment == 0 ? 0 : (64 - misalignment) / static_cast<std::int64_t>(sizeof(T));
  if (misalignment % sizeof(T) != 0) head = n;  // not even element-aligned: no streaming
  head = std::min(head, n);
  map(out, in, repeat, head, f);
  std::array<const T*, N> shifted;
  for (std::size_t k = 0; k < N; ++k) shifted[k] = repeat[k] ? in[k] : in[k] + head;
  T* o = out + head;
  const std::int64_t m = n - head;
  std::int64_t i = 0;
  for (; i + 2 * W <= m; i += 2 * W) {
    for (std::size_t k = 0; k < N; ++k)
      if (!repeat[k]) {
        _mm_prefetch(reinterpret_cast<const char*>(shifted[k] + i) + 512, _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(shifted[k] + i) + 512 + 64, _MM_HINT_T0);
      }
    const auto lo = detail::apply(f, shifted, repeat, i, seq), hi = detail::apply(f, shifted, repeat, i + W, seq);
    store_streaming(o + i, lo);
    store_streaming(o + i + W, hi);
  }
  _mm_sfence();  // order the streaming stores before whatever the caller does next
  for (std::size_t k = 0; k < N; ++k)
    if (!repeat[k]) shifted[k] += i;
  map(o + i, shifted, repeat, m - i, f);
}

// The sum of (p − y)² in one pass (the mean squared error's forward pass), summed
// pairwise exactly like pairwise_sum, so the result is as accurate; the differences
// times `scale` (the backward pass's gradient) are written to d on the way.
template <class T>
T difference_and_square_sum(const T* p, const T* y, T* d, std::int64_t n, T scale) {
  constexpr std::int64_t W = kLanes<T>;
  constexpr std::int64_t kBlock = 16 * W;
  if (n <= kBlock) {
    const Vec<T> vs(scale);
    Vec<T> acc[4] = {Vec<T>(T(0)), Vec<T>(T(0)), Vec<T>(T(0)), Vec<T>(T(0))};
    std::int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W)
      for (int a = 0; a < 4; ++a) {
        const Vec<T> diff = Vec<T>::load_unaligned(p + i + a * W) - Vec<T>::load_unaligned(y + i + a * W);
        (diff * vs).store_unaligned(d + i + a * W);
        acc[a] = simd::fma(diff, diff, acc[a]);
      }
    for (; i + W <= n; i += W) {
      const Vec<T> diff = Vec<T>::load_unaligned(p + i) - Vec<T>::load_unaligned(y + i);
      (diff * vs).store_unaligned(d + i);
      acc[0] = simd::fma(diff, diff, acc[0]);
    }
    T s = hsum((acc[0] + acc[1]) + (acc[2] + acc[3]));
    for (; i < n; ++i) {
      const T diff = p[i] - y[i];
      d[i] = diff * scale;
      s += diff * diff;
    }
    return s;
  }
  const std::int64_t half = (n / kBlock + 1) / 2 * kBlock;
  return difference_and_square_sum(p, y, d, half, scale) +
         difference_and_square_sum(p + half, y + half, d + half, n - half, scale);
}

// Sum of n contiguous elements by pairwise summation: blocks of 16 vectors are
// summed with independent accumulators, blocks are combined as a balanced tree. The
// error grows like log(n) instead of n, and the order depends only on n.
template <class T>
T pairwise_sum(const T* x, std::int64_t n) {
  constexpr std::int64_t W = kLanes<T>;
  constexpr std::int64_t kBlock = 16 * W;
  if (n <= kBlock) {
    Vec<T> acc[4] = {Vec<T>(T(0)), Vec<T>(T(0)), Vec<T>(T(0)), Vec<T>(T(0))};
    std::int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W)
      for (int a = 0; a < 4; ++a) acc[a] += Vec<T>::load_unaligned(x + i + a * W);
    for (; i + W <= n; i += W) acc[0] += Vec<T>::load_unaligned(x + i);
    T s = hsum((acc[0] + acc[1]) + (acc[2] + acc[3]));
    for (; i < n; ++i) s += x[i];
    return s;
  }
  // split at a multiple of the block so that the tree shape depends only on n
  const std::int64_t half = (n / kBlock + 1) / 2 * kBlock;
  return pairwise_sum(x, half) + pairwise_sum(x + half, n - half);
}

// Largest (want_max) or smallest of n contiguous elements; NaN if any is NaN, and
// ∓infinity for n = 0.
template <class T>
T extreme(const T* x, std::int64_t n, bool want_max) {
  constexpr std::int64_t W = kLanes<T>;
  const T init = want_max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  Vec<T> acc(init);
  auto nan = Vec<T>(T(0)) != Vec<T>(T(0));
  std::int64_t i = 0;
  for (; i + W <= n; i += W) {
    const Vec<T> v = Vec<T>::load_unaligned(x + i);
    nan = nan | xsimd::isnan(v);
    acc = want_max ? xsimd::max(acc, v) : xsimd::min(acc, v);
  }
  if (i < n) {  // the tail, padded with the neutral value
    alignas(64) T tail[W];
    for (std::int64_t j = 0; j < W; ++j) tail[j] = j < n - i ? x[i + j] : init;
    const Vec<T> t = Vec<T>::load_aligned(tail);
    nan = nan | xsimd::isnan(t);
    acc = want_max ? xsimd::max(acc, t) : xsimd::min(acc, t);
  }
  if (xsimd::any(nan)) return std::numeric_limits<T>::quiet_NaN();
  return want_max ? hmax(acc) : hmin(acc);
}

// acc[j] += x[j] for j < n.
template <class T>
void add_into(T* acc, const T* x, std::int64_t n) {
  constexpr std::int64_t W = kLanes<T>;
  std::int64_t j = 0;
  for (; j + W <= n; j += W)
    (Vec<T>::load_unaligned(acc + j) + Vec<T>::load_unaligned(x + j)).store_unaligned(acc + j);
  if (j < n) store_partial(acc + j, load_partial(acc + j, n - j) + load_partial(x + j, n - j), n - j);
}

}  // namespace lambdahat::simd
