// The dot-product kernel: rows of A and columns of B contiguous along K, each
// element of C a dot product of two vectors. Included by tensor/gemm.cpp only.
#pragma once

#include "tensor/detail/gemm_tiles.hpp"

namespace lambdahat::detail::gemm_parts {

// Dot products: C = A·B where rows of A and columns of B are contiguous along K
// (B the transposed view of a row-major matrix: g·hᵀ, the weight gradient of
// activations stored feature-major). Packing such a B is a transposition, and a
// tile kernel then broadcasts one A element per multiply-add. Here each element of
// C is a dot product of two contiguous vectors instead: an R × S block of C keeps
// R·S accumulators over K, loads R + S vectors per R·S multiply-adds, and sums
// each accumulator's lanes at the end.
constexpr int kDotRows = 4, kDotCols = 4;
#if defined(__AVX512F__)
constexpr bool kAvx512 = true;
#else
constexpr bool kAvx512 = false;
#endif

template <class T, int R, int S>
void dot_block(std::int64_t K, T alpha, const T* a, std::int64_t rsa, const T* b, std::int64_t csb, T beta, T* c,
               std::int64_t rsc, std::int64_t csc, const T* bias) {
  constexpr std::int64_t W = kW<T>;
  Vec<T> acc[R][S];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) acc[r][s] = Vec<T>(T(0));
  auto step = [&](std::int64_t k, auto load) {
    Vec<T> av[R], bv[S];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) av[r] = load(a + r * rsa + k);
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) bv[s] = load(b + s * csb + k);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
      for (int s = 0; s < S; ++s) acc[r][s] = simd::fma(av[r], bv[s], acc[r][s]);
  };
  const std::int64_t whole = K / W * W;
  for (std::int64_t k = 0; k < whole; k += W) step(k, [](const T* p) { return Vec<T>::load_unaligned(p); });
  if (whole < K) step(whole, [n = K - whole](const T* p) { return simd::load_partial(p, n); });
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) {
      T v = alpha * simd::hsum(acc[r][s]);
      if (bias) v += bias[s];
      T& dst = c[r * rsc + s * csc];
      dst = beta != T(0) ? simd::fma(beta, dst, v) : v;
    }
}

template <class T>
using DotFn = void (*)(std::int64_t, T, const T*, std::int64_t, const T*, std::int64_t, T, T*, std::int64_t,
                       std::int64_t, const T*);

// Compact builds compile the full block and the 1 × 1 block only; dot_gemm runs an
// edge block element by element there (each element's sum is the same either way).
constexpr int dot_extent(int n, int full) { return kCompact && n != full ? 1 : n; }
template <class T, int R, std::size_t... S>
constexpr std::array<DotFn<T>, kDotCols> dot_row(std::index_sequence<S...>) {
  return {{&dot_block<T, dot_extent(R, kDotRows), dot_extent(static_cast<int>(S) + 1, kDotCols)>...}};
}
template <class T, std::size_t... R>
constexpr std::array<std::array<DotFn<T>, kDotCols>, kDotRows> dot_table(std::index_sequence<R...>) {
  return {{dot_row<T, static_cast<int>(R) + 1>(std::make_index_sequence<kDotCols>{})...}};
}
// kDotBlocks<T>[R - 1][S - 1]: the R × S block.
template <class T>
constexpr auto kDotBlocks = dot_table<T>(std::make_index_sequence<kDotRows>{});

template <class T>
void dot_blocks(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa, const T* b,
                std::int64_t csb, T beta, T* c, std::int64_t rsc, std::int64_t csc, const T* bias) {
  // M and N multiples of 5 (the deep linear network's 10 × 10 weight gradients):
  // 5 × 5 blocks load 10 vectors per 25 multiply-adds where 4 × 4 blocks and their
  // edges load 60 per 100 (GCC spills three accumulators, which costs less than
  // the loads saved). 32 vector registers only.
  if (kAvx512 && !kCompact && M % 5 == 0 && N % 5 == 0) {
    for (std::int64_t i = 0; i < M; i += 5)
      for (std::int64_t j = 0; j < N; j += 5)
        dot_block<T, 5, 5>(K, alpha, a + i * rsa, rsa, b + j * csb, csb, beta, c + i * rsc + j * csc, rsc, csc,
                           bias ? bias + j : nullptr);
    return;
  }
  for (std::int64_t i = 0; i < M; i += kDotRows) {
    const std::int64_t rows = std::min<std::int64_t>(kDotRows, M - i);
    for (std::int64_t j = 0; j < N; j += kDotCols) {
      const std::int64_t cols = std::min<std::int64_t>(kDotCols, N - j);
      if (kCompact && (rows != kDotRows || cols != kDotCols)) {
        for (std::int64_t r = 0; r < rows; ++r)
          for (std::int64_t s = 0; s < cols; ++s)
            kDotBlocks<T>[0][0](K, alpha, a + (i + r) * rsa, rsa, b + (j + s) * csb, csb, beta,
                                c + (i + r) * rsc + (j + s) * csc, rsc, csc, bias ? bias + j + s : nullptr);
        continue;
      }
      kDotBlocks<T>[rows - 1][cols - 1](K, alpha, a + i * rsa, rsa, b + j * csb, csb, beta, c + i * rsc + j * csc,
                                        rsc, csc, bias ? bias + j : nullptr);
    }
  }
}

// Long products run in chunks of 4096 along K (16 KB of a float row), so that a row
// that several blocks read is still in L2 for the next; chunks after the first add
// to C. The chunk does not depend on M or N: threads that split C must sum each
// element the same way (10×n·n×10 above n ≈ 1200 went to the blocked algorithm,
// which packs a transposed B: 9.5 ns per column of K, against 2.1 here).
template <class T>
void dot_gemm(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa, const T* b,
              std::int64_t csb, T beta, T* c, std::int64_t rsc, std::int64_t csc, const T* bias) {
  constexpr std::int64_t chunk = 4096;
  for (std::int64_t k0 = 0; k0 < K; k0 += chunk)
    dot_blocks<T>(M, N, std::min(chunk, K - k0), alpha, a + k0, rsa, b + k0, csb, k0 == 0 ? beta : T(1), c, rsc,
                  csc, k0 == 0 ? bias : nullptr);
}

// Whether dot_gemm takes a product: rows of A and columns of B contiguous, B not
// row-major (a row-major B is read in place by the tile kernels), K of at least four
// vectors (the sums of lanes at the end are then a small part), and at most 1024
// results (larger products amortise packing B).
template <class T>
bool takes_dots(std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t csa, std::int64_t rsb,
                std::int64_t csb) {
  return csa == 1 && rsb == 1 && csb != 1 && K >= 4 * kW<T> && M * N <= 1024;
}

}  // namespace lambdahat::detail::gemm_parts
