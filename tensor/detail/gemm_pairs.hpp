// The pair kernel (AVX-512 only): results of at most 16 × 8 over a long K, two rows
// of C per vector. Included by tensor/gemm.cpp only.
#pragma once

#include "tensor/detail/gemm_tiles.hpp"

namespace lambdahat::detail::gemm_parts {

#if defined(__AVX512F__)
// Small results over a long K with A column-major: the weight gradients gᵀ x of
// narrow layers (the toy model's 8×512·512×8). The tile kernel would give each row
// of C one vector of which N ≤ 8 lanes are used, and one FMA per row and k. Here
// one vector holds two rows: lane l is row 2p + (l & 1), column l >> 1. A[2p, k]
// and A[2p+1, k] are adjacent, so one 64-bit broadcast gives [a, b, a, b, ...];
// B's row k is loaded once per k and spread to [b0, b0, b1, b1, ...]. That halves
// the FMAs. With few accumulators the loop would wait on FMA latency, so k is split
// into S interleaved partial sums, added at the end in a fixed order. S depends on M,
// and the result on the shape only: direct products with N ≤ 8 are never split
// across threads (M·N·K stays below the threading threshold when the operands fit
// kDirectBytes), so every run of a shape takes the same S.
constexpr int kMaxPairRows = 16;
constexpr int kMaxPairCols = 8;

// A[2p, k] and A[2p+1, k] (column-major A: adjacent) in alternate lanes; with
// `single`, only A[2p, k] and zeros.
[[gnu::always_inline]] inline __m512 row_pair(const float* ak, int p, bool single) {
  if (single) return _mm512_maskz_mov_ps(0x5555, _mm512_set1_ps(ak[2 * p]));
  double two;
  std::memcpy(&two, ak + 2 * p, sizeof two);
  return _mm512_castpd_ps(_mm512_set1_pd(two));  // one 64-bit broadcast from memory
}

template <int P, bool kOdd>  // row pairs P, M = 2P − 1 (kOdd) or 2P
void pair_gemm(std::int64_t M, std::int64_t N, std::int64_t K, float alpha, const float* a, std::int64_t csa,
               const float* b, std::int64_t rsb, float beta, float* c, std::int64_t rsc, std::int64_t csc,
               const float* bias) {
  constexpr int S = P <= 4 ? 4 : 2;  // S·P accumulators, at most 16
  const __m512i spread = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __mmask8 cols = static_cast<__mmask8>((1u << N) - 1);
  __m512 acc[S][P];
#pragma GCC unroll 4
  for (int s = 0; s < S; ++s)
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) acc[s][p] = _mm512_setzero_ps();
  std::int64_t k = 0;
  for (; k + S <= K; k += S)
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s) {
      const __m512 bk =
          _mm512_permutexvar_ps(spread, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(cols, b + (k + s) * rsb)));
      const float* ak = a + (k + s) * csa;
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p) acc[s][p] = _mm512_fmadd_ps(row_pair(ak, p, kOdd && p == P - 1), bk, acc[s][p]);
    }
  for (; k < K; ++k) {
    const __m512 bk = _mm512_permutexvar_ps(spread, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(cols, b + k * rsb)));
    const float* ak = a + k * csa;
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) acc[0][p] = _mm512_fmadd_ps(row_pair(ak, p, kOdd && p == P - 1), bk, acc[0][p]);
  }
  // acc is only ever indexed by constants (unrolled loops), so it stays in registers
  alignas(64) float lanes[P][16];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) {
    if constexpr (S == 4)
      _mm512_store_ps(lanes[p], _mm512_add_ps(_mm512_add_ps(acc[0][p], acc[1][p]), _mm512_add_ps(acc[2][p], acc[3][p])));
    else
      _mm512_store_ps(lanes[p], _mm512_add_ps(acc[0][p], acc[1][p]));
  }
  for (int p = 0; p < P; ++p)
    for (int l = 0; l < 16; ++l) {
      const std::int64_t i = 2 * p + (l & 1), j = l >> 1;
      if (i >= M || j >= N) continue;
      float v = lanes[p][l] * alpha;
      if (bias) v += bias[j];
      float& dst = c[i * rsc + j * csc];
      dst = beta != 0.0f ? std::fma(beta, dst, v) : v;
    }
}

using PairFn = void (*)(std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t, const float*,
                        std::int64_t, float, float*, std::int64_t, std::int64_t, const float*);
template <bool kOdd, std::size_t... I>
constexpr std::array<PairFn, sizeof...(I)> pair_kernels(std::index_sequence<I...>) {
  return {{&pair_gemm<static_cast<int>(I) + 1, kOdd>...}};
}
// kPairKernels[M odd][pairs − 1]
constexpr std::array<PairFn, kMaxPairRows / 2> kPairKernels[2] = {
    pair_kernels<false>(std::make_index_sequence<kMaxPairRows / 2>{}),
    pair_kernels<true>(std::make_index_sequence<kMaxPairRows / 2>{})};

// Whether pair_gemm takes a product: at most 16 × 8 results, K ≥ 32, A column-major
// and B row-major.
template <class T>
bool takes_pairs(std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t rsa, std::int64_t csb) {
  return std::is_same_v<T, float> && M <= kMaxPairRows && N <= kMaxPairCols && K >= 32 && rsa == 1 && csb == 1;
}
#endif  // __AVX512F__

}  // namespace lambdahat::detail::gemm_parts
