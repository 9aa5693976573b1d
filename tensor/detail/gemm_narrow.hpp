// The narrow float kernel (AVX-512 only): products with at most 8 columns, 16 rows
// of C per vector, A transposed in registers. Included by tensor/gemm.cpp only.
#pragma once

#include "tensor/detail/gemm_tiles.hpp"

namespace lambdahat::detail::gemm_parts {

#if defined(__AVX512F__)
// Narrow float products (N ≤ 8 columns, M ≥ 16 rows: the toy model's 512×8·8×8,
// or 512×8·8×2 written as x Wᵀ). A row-major tile kernel would use N of its 16
// lanes per FMA. This one turns the product around and puts 16 rows of C in a
// vector: for each k,
//
//   C[i0:i0+16, n] += A[i0:i0+16, k] · B[k, n]     (one FMA, a broadcast of B)
//
// so it needs columns of A. A column-major A has them in place; a row-major A is
// read as 16×8 blocks and transposed in registers, and the 16 × N block of C is
// transposed back before it is stored (store_transposed). The transposes cost
// permutes, so the kernel wins for few columns and not at N = 10 or more. Each element of C still sees
// the same FMAs in the same order as in the tile kernel (k = 0, 1, ..., then alpha,
// bias, beta), so the two kernels agree bit for bit.
constexpr int kMaxNarrowN = 8;

// One round of the in-register transposes below: every pair of registers whose
// indices differ in bit s (x, x + s) becomes (permute(x, x+s, first),
// permute(x, x+s, second)), two-source permutes picking 16 of the pair's 32 lanes.
[[gnu::always_inline]] inline void permute_round(__m512 r[8], int s, __m512i first, __m512i second) {
#pragma GCC unroll 8
  for (int x = 0; x < 8; ++x)
    if ((x & s) == 0) {
      const __m512 a = _mm512_permutex2var_ps(r[x], first, r[x + s]);
      const __m512 b = _mm512_permutex2var_ps(r[x], second, r[x + s]);
      r[x] = a;
      r[x + s] = b;
    }
}

// The 16 × 8 block of A at `a` (rows apart by rsa, unit stride along k; `rows` ≤ 16
// and `kc` ≤ 8 of them present, the rest read as zero) transposed: col[k] holds
// A[0:16, k]. Loaded two rows per register (row 2j in the low half, 2j+1 in the
// high half), then three rounds of two-source permutes; round s pairs registers
// whose index differs in bit s and sends lanes with k's bit s = 0 to the first,
// = 1 to the second. Afterwards register k holds column k with lane = row.
[[gnu::always_inline]] inline void load_transposed(const float* a, std::int64_t rsa, std::int64_t rows,
                                                   std::int64_t kc, __m512 col[8]) {
  const __mmask8 kmask = static_cast<__mmask8>((1u << kc) - 1);
  auto row = [&](std::int64_t i) {
    return i < rows ? _mm256_maskz_loadu_ps(kmask, a + i * rsa) : _mm256_setzero_ps();
  };
  if (rows == 16 && kc == 8 && rsa == 8) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) col[j] = _mm512_loadu_ps(a + 16 * j);
  } else {
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j)
      col[j] = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(row(2 * j))),
                                                   _mm256_castps_pd(row(2 * j + 1)), 1));
  }
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  permute_round(col, 1, even, odd);
  permute_round(col, 2, even, odd);
  permute_round(col, 4, even, odd);
}

// The inverse of load_transposed for a row-major C (unit column stride): acc[n]
// holds C[0:16, n] (n < N ≤ 8, the rest taken as zero); rows [0, rows) of C are
// written, each as N consecutive floats, beta · C added first when beta ≠ 0. The
// rounds of load_transposed undone in reverse order: each interleaves the low
// halves of two registers into the first and the high halves into the second.
template <int N>
[[gnu::always_inline]] inline void store_transposed(const __m512 acc[N], float* c, std::int64_t rsc,
                                                    std::int64_t rows, float beta) {
  const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  if (N == 2 && rows == 16 && rsc == 2 && beta == 0.0f) {
    // one round does it: the two columns interleaved are 32 consecutive floats
    _mm512_storeu_ps(c, _mm512_permutex2var_ps(acc[0], low, acc[N - 1]));
    _mm512_storeu_ps(c + 16, _mm512_permutex2var_ps(acc[0], high, acc[N - 1]));
    return;
  }
  __m512 r[8];
#pragma GCC unroll 8
  for (int n = 0; n < 8; ++n) r[n] = n < N ? acc[n] : _mm512_setzero_ps();
  permute_round(r, 4, low, high);
  permute_round(r, 2, low, high);
  permute_round(r, 1, low, high);
  // r[j] = [row 2j | row 2j+1], 8 floats each, the first N of them wanted
  if (N == 8 && rows == 16 && rsc == 8 && beta == 0.0f) {
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) _mm512_storeu_ps(c + 16 * j, r[j]);
    return;
  }
  const __mmask8 cols = static_cast<__mmask8>((1u << N) - 1);
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j)
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const std::int64_t i = 2 * j + h;
      if (i >= rows) return;
      __m256 v = h == 0 ? _mm512_castps512_ps256(r[j]) : _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r[j]), 1));
      if (beta != 0.0f) v = _mm256_fmadd_ps(vb, _mm256_maskz_loadu_ps(cols, c + i * rsc), v);
      _mm256_mask_storeu_ps(c + i * rsc, cols, v);
    }
}

template <int N>
void narrow_gemm(std::int64_t M, std::int64_t K, float alpha, const float* a, std::int64_t rsa, std::int64_t csa,
                 const float* b, std::int64_t rsb, std::int64_t csb, float beta, float* c, std::int64_t rsc,
                 std::int64_t csc, const float* bias) {
  const bool row_major = csa == 1;
  if (csb != 1) {  // B with unit column stride, so that B[k, n] is at a constant offset n from row k
    float* packed = scratch<float>(1, static_cast<std::size_t>(K * round_up_to_vectors<float>(N)));
    pack_b(K, N, b, rsb, csb, packed, N);  // one sliver, rows a vector apart
    b = packed;
    rsb = round_up_to_vectors<float>(N);
  }
  for (std::int64_t i0 = 0; i0 < M; i0 += 16) {
    const std::int64_t rows = std::min<std::int64_t>(16, M - i0);
    const __mmask16 rmask = static_cast<__mmask16>((1u << rows) - 1);
    __m512 acc[N];
#pragma GCC unroll 8
    for (int n = 0; n < N; ++n) acc[n] = _mm512_setzero_ps();
    for (std::int64_t k0 = 0; k0 < K; k0 += 8) {
      const std::int64_t kc = std::min<std::int64_t>(8, K - k0);
      __m512 col[8];
      if (row_major) {
        load_transposed(a + i0 * rsa + k0, rsa, rows, kc, col);
      } else {
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k)
          col[k] = k < kc ? _mm512_maskz_loadu_ps(rmask, a + (k0 + k) * csa + i0) : _mm512_setzero_ps();
      }
      if (kc == 8) {
        // all indices constant, so that col and acc stay in registers
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
          const float* bk = b + (k0 + k) * rsb;
#pragma GCC unroll 8
          for (int n = 0; n < N; ++n) acc[n] = _mm512_fmadd_ps(col[k], _mm512_set1_ps(bk[n]), acc[n]);
        }
      } else {  // the last, partial chunk of K, through memory
        alignas(64) float spill[8][16];
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) _mm512_store_ps(spill[k], col[k]);
        for (std::int64_t k = 0; k < kc; ++k) {
          const __m512 ck = _mm512_load_ps(spill[k]);
          const float* bk = b + (k0 + k) * rsb;
#pragma GCC unroll 8
          for (int n = 0; n < N; ++n) acc[n] = _mm512_fmadd_ps(ck, _mm512_set1_ps(bk[n]), acc[n]);
        }
      }
    }
#pragma GCC unroll 8
    for (int n = 0; n < N; ++n) {
      acc[n] = _mm512_mul_ps(acc[n], _mm512_set1_ps(alpha));
      if (bias) acc[n] = _mm512_add_ps(acc[n], _mm512_set1_ps(bias[n]));
    }
    float* ci = c + i0 * rsc;
    if (csc == 1) {
      store_transposed<N>(acc, ci, rsc, rows, beta);
      continue;
    }
    alignas(64) float out[N][16];
#pragma GCC unroll 8
    for (int n = 0; n < N; ++n) _mm512_store_ps(out[n], acc[n]);
    for (std::int64_t i = 0; i < rows; ++i)
      for (int n = 0; n < N; ++n) {
        float& dst = ci[i * rsc + n * csc];
        dst = beta != 0.0f ? std::fma(beta, dst, out[n][i]) : out[n][i];
      }
  }
}

using NarrowFn = void (*)(std::int64_t, std::int64_t, float, const float*, std::int64_t, std::int64_t, const float*,
                          std::int64_t, std::int64_t, float, float*, std::int64_t, std::int64_t, const float*);
constexpr NarrowFn kNarrowKernels[kMaxNarrowN] = {&narrow_gemm<1>, &narrow_gemm<2>, &narrow_gemm<3>, &narrow_gemm<4>,
                                                  &narrow_gemm<5>, &narrow_gemm<6>, &narrow_gemm<7>, &narrow_gemm<8>};

// Whether narrow_gemm takes a product: N ≤ 8, M ≥ 16, K ≥ 8 (a transpose of fewer
// columns of A costs as much as one of 8), A with a unit stride.
template <class T>
bool takes_narrow(std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t rsa, std::int64_t csa) {
  return std::is_same_v<T, float> && N <= kMaxNarrowN && M >= 16 && K >= 8 && (csa == 1 || rsa == 1);
}
#endif  // __AVX512F__

}  // namespace lambdahat::detail::gemm_parts
