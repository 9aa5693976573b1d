// Sixteen Philox4x32-10 blocks at once: the vector form of philox4x32() in
// random.cpp. With AVX-512 the 16 counters live in four registers (one per word)
// and each round does two widening multiplies per pair of lanes; elsewhere a plain
// loop computes the same words.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/detail/simd.hpp"

namespace lambdahat::detail {

inline constexpr std::uint32_t kPhiloxMul0 = 0xD2511F53, kPhiloxMul1 = 0xCD9E8D57;
inline constexpr std::uint32_t kPhiloxWeyl0 = 0x9E3779B9, kPhiloxWeyl1 = 0xBB67AE85;

#if defined(__AVX512F__)
// The four words of the 16 blocks with counters (first + l, stream), l = 0..15, and
// key `key`: word j of block l in lane l of x[j].
struct PhiloxWords {
  __m512i x[4];
};
// K sets of 16 blocks at once, set i with counters first + i·step + l: the ten
// rounds of each set are a chain of dependent multiplications, and K chains side by
// side keep the multipliers busy. Each set's words are those of
// philox_x16_registers(first + i·step, …).
template <int K>
inline std::array<PhiloxWords, K> philox_x16_registers_sets(std::uint64_t first, std::uint64_t step,
                                                            std::uint64_t stream, std::uint64_t key) {
  const auto s0 = static_cast<std::uint32_t>(stream), s1 = static_cast<std::uint32_t>(stream >> 32);
  std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kPhiloxMul0));
  const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kPhiloxMul1));
  // vpmuludq multiplies the low words of 64-bit lanes into 64-bit products: the
  // even blocks (lanes 0, 2, …) sit there already, the odd ones after a shift. The
  // two halves stay apart for all ten rounds, so that each product's low word is
  // the product itself and its high word one shift away; the upper words of the
  // 64-bit lanes carry leftovers that no multiply reads and the end discards.
  struct Half {
    __m512i x0, x1, x2, x3;
  };
  Half even[K], odd[K];
  for (int i = 0; i < K; ++i) {
    const std::uint64_t start = first + static_cast<std::uint64_t>(i) * step;
    const auto first_lo = static_cast<std::uint32_t>(start), first_hi = static_cast<std::uint32_t>(start >> 32);
    // counters start + l, l = 0..15; the high word carries where the low word wraps
    const __m512i x0 = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first_lo)), lane);
    const __mmask16 wrapped = _mm512_cmplt_epu32_mask(x0, _mm512_set1_epi32(static_cast<int>(first_lo)));
    const __m512i x1 = _mm512_mask_add_epi32(_mm512_set1_epi32(static_cast<int>(first_hi)), wrapped,
                                             _mm512_set1_epi32(static_cast<int>(first_hi)), _mm512_set1_epi32(1));
    const __m512i x2 = _mm512_set1_epi32(static_cast<int>(s0)), x3 = _mm512_set1_epi32(static_cast<int>(s1));
    even[i] = {x0, x1, x2, x3};
    odd[i] = {_mm512_srli_epi64(x0, 32), _mm512_srli_epi64(x1, 32), x2, x3};
  }
  const auto one_round = [&](Half& h, __m512i key0, __m512i key1) {
    const __m512i p0 = _mm512_mul_epu32(h.x0, m0), p1 = _mm512_mul_epu32(h.x2, m1);
    h.x0 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p1, 32), h.x1), key0);
    h.x2 = _mm512_xor_si512(_mm512_xor_si512(_mm512_srli_epi64(p0, 32), h.x3), key1);
    h.x1 = p1;
    h.x3 = p0;
  };
  for (int r = 0; r < 10; ++r) {
    const __m512i key0 = _mm512_set1_epi32(static_cast<int>(k0)), key1 = _mm512_set1_epi32(static_cast<int>(k1));
    for (int i = 0; i < K; ++i) {
      one_round(even[i], key0, key1);
      one_round(odd[i], key0, key1);
    }
    k0 += kPhiloxWeyl0;
    k1 += kPhiloxWeyl1;
  }
  // the odd blocks' words back into the odd 32-bit lanes
  constexpr __mmask16 kOdd = 0xAAAA;
  const auto merge = [&](__m512i e, __m512i o) { return _mm512_mask_blend_epi32(kOdd, e, _mm512_slli_epi64(o, 32)); };
  std::array<PhiloxWords, K> words;
  for (int i = 0; i < K; ++i)
    words[i] = {{merge(even[i].x0, odd[i].x0), merge(even[i].x1, odd[i].x1), merge(even[i].x2, odd[i].x2),
                 merge(even[i].x3, odd[i].x3)}};
  return words;
}

inline PhiloxWords philox_x16_registers(std::uint64_t first, std::uint64_t stream, std::uint64_t key) {
  return philox_x16_registers_sets<1>(first, 0, stream, key)[0];
}
#endif

// out[j][l] = word j of the block with counter (first + l, stream) and key `key`.
inline void philox_x16(std::uint64_t first, std::uint64_t stream, std::uint64_t key, std::uint32_t out[4][16]) {
#if defined(__AVX512F__)
  const PhiloxWords words = philox_x16_registers(first, stream, key);
  for (int j = 0; j < 4; ++j) _mm512_storeu_si512(out[j], words.x[j]);
#else
  const auto s0 = static_cast<std::uint32_t>(stream), s1 = static_cast<std::uint32_t>(stream >> 32);
  std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  std::uint32_t c[4][16];
  for (int l = 0; l < 16; ++l) {
    const std::uint64_t pos = first + static_cast<std::uint64_t>(l);
    c[0][l] = static_cast<std::uint32_t>(pos);
    c[1][l] = static_cast<std::uint32_t>(pos >> 32);
    c[2][l] = s0;
    c[3][l] = s1;
  }
  for (int round = 0; round < 10; ++round) {
    for (int l = 0; l < 16; ++l) {
      const std::uint64_t p0 = std::uint64_t{kPhiloxMul0} * c[0][l], p1 = std::uint64_t{kPhiloxMul1} * c[2][l];
      const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c[1][l] ^ k0;
      const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c[3][l] ^ k1;
      c[0][l] = n0;
      c[1][l] = static_cast<std::uint32_t>(p1);
      c[2][l] = n2;
      c[3][l] = static_cast<std::uint32_t>(p0);
    }
    k0 += kPhiloxWeyl0;
    k1 += kPhiloxWeyl1;
  }
  for (int j = 0; j < 4; ++j)
    for (int l = 0; l < 16; ++l) out[j][l] = c[j][l];
#endif
}

}  // namespace lambdahat::detail
