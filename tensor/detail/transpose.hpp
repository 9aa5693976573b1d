// Transposing copy of a matrix: dst (rows × cols) = srcᵀ, where src is cols × rows.
// It is what contiguous() does to a transposed view, and what packing a transposed
// B for the GEMM does. Element by element, each value is read from one row of src
// and written to another row of dst, a load and a store that the machine cannot
// combine; in 16 × 16 blocks transposed in registers (float with AVX-512) sixteen
// values move per load and per store.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "tensor/detail/simd.hpp"

namespace lambdahat::detail {

#if defined(__AVX512F__)
// Transposes 16 rows of 16 floats in place, in four rounds of shuffles: pairs of
// rows interleave their elements, then their pairs, then 128-bit quarters twice.
inline void transpose_16x16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // in each group of 4 rows g, u[4g + m] holds, per 128-bit quarter q, column 4q + m
  // of the group's 4 rows
  __m512 u[16];
  for (int g = 0; g < 16; g += 4) {
    const auto pd = [](__m512 x) { return _mm512_castps_pd(x); };
    u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t[g]), pd(t[g + 2])));
    u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t[g]), pd(t[g + 2])));
    u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t[g + 1]), pd(t[g + 3])));
    u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t[g + 1]), pd(t[g + 3])));
  }
  for (int m = 0; m < 4; ++m) {
    // quarters 0, 1 (a, c) and 2, 3 (b, d) of groups 0 and 1 (a, b) or 2 and 3 (c, d)
    const __m512 a = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x44);
    const __m512 b = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xEE);
    const __m512 c = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x44);
    const __m512 d = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xEE);
    r[m] = _mm512_shuffle_f32x4(a, c, 0x88);
    r[4 + m] = _mm512_shuffle_f32x4(a, c, 0xDD);
    r[8 + m] = _mm512_shuffle_f32x4(b, d, 0x88);
    r[12 + m] = _mm512_shuffle_f32x4(b, d, 0xDD);
  }
}

// dst rows [0, rows) × columns [0, cols) with rows, cols ≤ 16, from src (cols rows
// of `rows` values, src_ld apart).
inline void transpose_block(std::int64_t rows, std::int64_t cols, const float* src, std::int64_t src_ld, float* dst,
                            std::int64_t dst_ld) {
  const __mmask16 row_mask = static_cast<__mmask16>((1u << rows) - 1u);
  const __mmask16 col_mask = static_cast<__mmask16>((1u << cols) - 1u);
  __m512 r[16];
  for (int i = 0; i < 16; ++i)
    r[i] = i < cols ? _mm512_maskz_loadu_ps(row_mask, src + i * src_ld) : _mm512_setzero_ps();
  transpose_16x16(r);
  for (int i = 0; i < rows; ++i) _mm512_mask_storeu_ps(dst + i * dst_ld, col_mask, r[i]);
}
#endif

// dst[r·dst_ld + c] = src[c·src_ld + r] for r < rows, c < cols.
template <class T>
void transpose_copy(std::int64_t rows, std::int64_t cols, const T* src, std::int64_t src_ld, T* dst,
                    std::int64_t dst_ld) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    for (std::int64_t c0 = 0; c0 < cols; c0 += 16)
      for (std::int64_t r0 = 0; r0 < rows; r0 += 16)
        transpose_block(std::min<std::int64_t>(16, rows - r0), std::min<std::int64_t>(16, cols - c0),
                        src + c0 * src_ld + r0, src_ld, dst + r0 * dst_ld + c0, dst_ld);
    return;
  }
#endif
  // blocks of 16 × 16 keep the rows of both sides in the cache
  constexpr std::int64_t B = 16;
  for (std::int64_t r0 = 0; r0 < rows; r0 += B)
    for (std::int64_t c0 = 0; c0 < cols; c0 += B) {
      const std::int64_t r1 = std::min(rows, r0 + B), c1 = std::min(cols, c0 + B);
      for (std::int64_t r = r0; r < r1; ++r)
        for (std::int64_t c = c0; c < c1; ++c) dst[r * dst_ld + c] = src[c * src_ld + r];
    }
}

}  // namespace lambdahat::detail
