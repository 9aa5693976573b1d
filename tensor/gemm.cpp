// Matrix multiply, in two strategies that share one micro-kernel.
//
// Large products: a packed, blocked GEMM in the style of BLIS (Van Zee & van de
// Geijn, 2015):
//
//   for jc in N by NC:                      B panel  (KC × NC) → packed B̃, in L3
//     for pc in K by KC:
//       pack B̃ as NR-wide slivers
//       for ic in M by MC:                  A block  (MC × KC) → packed Ã, in L2
//         pack Ã as MR-tall slivers
//         for jr in NC by NR:               one B̃ sliver (KC × NR) stays in L1
//           for ir in MC by MR:
//             micro-kernel: C[ir:ir+MR, jr:jr+NR] = Ã sliver · B̃ sliver (+ C)
//
// Small products (the seed study's models: K and N of 2 to 60): packing costs more
// than it saves, so the micro-kernel reads A in place and B in place when its rows
// are contiguous; nothing is copied.
//
// Narrow float products (N ≤ 8, M ≥ 16, K ≥ 8; with AVX-512) turn the tile around:
// 16 rows of one column of C per vector, columns of A transposed in registers, so
// a 2-column product does not run at 2 of 16 lanes (see narrow_gemm). Small
// results over a long K with a transposed A (weight gradients of narrow layers,
// at most 16 × 8) hold two rows per vector and split K (see pair_gemm).
//
// The micro-kernel keeps an MR × NR tile of C in vector registers and performs one
// rank-1 update per k: NR/W vector loads of B, MR broadcasts of A, MR·NR/W fused
// multiply-adds. Edge tiles use the kernel instantiated for their exact height and
// masked loads and stores for their width, so a 2-row, 10-column remainder costs
// 2 rows of one vector.
//
// The strategy is chosen once per call from the shape alone, and every element of
// C is accumulated in the same order whatever tile or thread computes it, so
// results do not depend on the thread count.
//
// Subnormal numbers (below 1.2e-38 in float32) are flushed to zero inside the
// kernels, in inputs and results: on x86 every arithmetic operation touching one
// takes a microcode assist of ~100 cycles, and a trained classifier's gradients are
// full of them (the softmax of a confident prediction underflows), which made a
// grokking run's steps five times slower after 50 000 steps.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "tensor/detail/simd.hpp"  // first: it includes immintrin.h with GCC 12's false warnings silenced
#include "tensor/detail/fpenv.hpp"
#include "tensor/detail/gemm.hpp"
#include "tensor/detail/transpose.hpp"
#include "tensor/parallel.hpp"

namespace lambdahat::detail {
namespace {

using simd::Vec;

// Register blocking. With 32 vector registers (AVX-512) a 12 × 2W tile uses 24
// accumulators; with 16 registers a 6 × 2W tile uses 12.
#if defined(__AVX512F__)
constexpr int kMR = 12;
#else
constexpr int kMR = 6;
#endif
constexpr int kNV = 2;  // vectors per tile row

template <class T> constexpr std::int64_t kW = simd::kLanes<T>;
template <class T> constexpr std::int64_t kNR = kNV * kW<T>;

// Cache blocking (elements).
constexpr std::int64_t kKC = 256;
constexpr std::int64_t kMC = 16 * kMR;
constexpr std::int64_t kNC = 3072;

// Operands up to this many bytes in total (A and B) use the direct strategy.
constexpr std::int64_t kDirectBytes = 96 * 1024;

// How the micro-kernel finds its operands.
//   A element (i, k): a[i*rsa + k*csa]  (a packed sliver has rsa = 1, csa = MR)
//   B row k: b + k*ldb, NV vectors, the last one holding `nr - (NV-1)·W` columns
//   the next tile (direct products run several tiles per call): A at a + tile_a,
//   B at b + tile_b, C at c + tile_c, the bias at bias + tile_bias
//   padded_b: every row of B is readable up to whole vectors (a packed B, zero
//   beyond its columns), so the loop over k loads whole vectors even when the last
//   one holds fewer columns of C; only the stores of C are masked
struct Operands {
  std::int64_t rsa, csa, ldb, rsc, csc;
  bool padded_b;
  std::int64_t tile_a = 0, tile_b = 0, tile_c = 0, tile_bias = 0;
};

// Instrumented builds (sanitizers, fuzzing) set LAMBDAHAT_GEMM_COMPACT: only the
// full-height and the one-row kernels are compiled, and an edge tile of mr rows runs
// the one-row kernel mr times; tiles are not put side by side; dot-product blocks
// are 4 × 4 or 1 × 1. Every element still sees the same arithmetic in the same
// order; the build just avoids compiling dozens of instrumented kernels.
#ifdef LAMBDAHAT_GEMM_COMPACT
constexpr bool kCompact = true;
#else
constexpr bool kCompact = false;
#endif

// C tile (mr × nr) = alpha · A · B + bias + beta · C over kc terms, bias (nr
// values, or null) added to every row. The last vector of a row may be partial: B
// is then loaded and C stored with a mask. kPackedA: A is a packed sliver (element
// (i, k) at a[k*MR + i], offsets known at compile time).
template <class T, int MR, int NV, bool kPackedA, bool kScaled>
[[gnu::always_inline]] inline void tile_kernel(std::int64_t kc, const T* a, const T* b, T* c, const Operands& op,
                                               std::int64_t nr, T alpha, T beta, const T* bias) {
  constexpr std::int64_t W = kW<T>;
  const std::int64_t last = nr - (NV - 1) * W;  // columns in the last vector, 1..W
  const bool full = last == W;
  const std::int64_t rsa = kPackedA ? 1 : op.rsa, csa = kPackedA ? MR : op.csa, ldb = op.ldb;
  Vec<T> acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = Vec<T>(T(0));

  // Two copies of the loop, so that the full-width one carries no mask: a masked
  // load in the loop over k costs more than its share (benchmarks/README.md,
  // "Why the kernels look as they do").
  auto rank1_updates = [&](auto full_width) {
    const T* ak = a;
    for (std::int64_t k = 0; k < kc; ++k, ak += csa) {
      const T* bk = b + k * ldb;
      Vec<T> bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v)
        bv[v] = (v < NV - 1 || decltype(full_width)::value) ? Vec<T>::load_unaligned(bk + v * W)
                                                             : simd::load_partial(bk + v * W, last);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const Vec<T> ai(ak[i * rsa]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = simd::fma(ai, bv[v], acc[i][v]);
      }
    }
  };
  if (full || op.padded_b) rank1_updates(std::true_type{});
  else rank1_updates(std::false_type{});

  const Vec<T> va(alpha), vb(beta);
  const std::int64_t rsc = op.rsc, csc = op.csc;
  auto width = [&](int v) { return v < NV - 1 ? W : last; };
  auto load = [&](const T* p, int v) { return width(v) == W ? Vec<T>::load_unaligned(p) : simd::load_partial(p, width(v)); };
  // Loops unrolled so that acc is only ever indexed by constants and stays in
  // registers. Every read of C comes before the first write: a masked store to one
  // row would otherwise stall the (overlapping, masked) load of the next.
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      // alpha = 1 has kernels of its own (kScaled = false): a run-time test here made
      // GCC spill accumulators in the loop over k
      if constexpr (kScaled) acc[i][v] = acc[i][v] * va;
      if (bias) acc[i][v] += load(bias + v * W, v);
      if (beta != T(0) && csc == 1) acc[i][v] = simd::fma(vb, load(c + i * rsc + v * W, v), acc[i][v]);
    }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    T* row = c + i * rsc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      if (csc == 1) {
        if (width(v) == W) acc[i][v].store_unaligned(row + v * W);
        else simd::store_partial(row + v * W, acc[i][v], width(v));
      } else {
        alignas(64) T tmp[W];
        acc[i][v].store_aligned(tmp);
        for (std::int64_t j = 0; j < width(v); ++j) {
          T& dst = row[(v * W + j) * csc];
          dst = beta != T(0) ? tmp[j] + beta * dst : tmp[j];
        }
      }
    }
  }
}

// `tiles` tiles from (a, b, c), each one op.tile_* further than the last. Direct
// products run every full-height tile of a column in one call, or, when A is one
// tile high, every full sliver of B: with the small K of the seed study's models
// the loop over k is short, and the set-up of a call costs as much as a tile.
// Packed products, whose loop over k is long, call once per tile.
template <class T, int MR, int NV, bool kPackedA, bool kScaled>
void micro_kernel(std::int64_t tiles, std::int64_t kc, const T* a, const T* b, T* c, const Operands& op,
                  std::int64_t nr, T alpha, T beta, const T* bias) {
  if constexpr (kPackedA) {
    tile_kernel<T, MR, NV, true, kScaled>(kc, a, b, c, op, nr, alpha, beta, bias);
  } else {
    // two loops: stepping B and the bias as well would cost the loop registers
    // (compact builds have only the first: tile_loop does not put tiles side by side)
    if (kCompact || op.tile_b == 0) {
      for (std::int64_t t = 0; t < tiles; ++t, a += op.tile_a, c += op.tile_c)
        tile_kernel<T, MR, NV, false, kScaled>(kc, a, b, c, op, nr, alpha, beta, bias);
    } else if constexpr (!kCompact) {
      for (std::int64_t t = 0; t < tiles; ++t, b += op.tile_b, c += op.tile_c) {
        tile_kernel<T, MR, NV, false, kScaled>(kc, a, b, c, op, nr, alpha, beta, bias);
        if (bias) bias += op.tile_bias;
      }
    }
  }
}

template <class T>
using KernelFn = void (*)(std::int64_t, std::int64_t, const T*, const T*, T*, const Operands&, std::int64_t, T, T,
                          const T*);

// Tile shapes. Packed (large) products use NV = 1 or 2 vectors per row and kMR rows;
// direct (small) products may use a tile as wide as the whole of B — up to 4
// vectors, which fits N = 48 or 53 in one sliver — with rows chosen so that the
// accumulators fill the registers: 24 of 32 with AVX-512 (12 of 16 otherwise).
constexpr int kMaxNV = 4;
constexpr int rows_for(int nv) {
#if defined(__AVX512F__)
  return nv <= 2 ? 12 : 24 / nv;
#else
  return nv <= 2 ? 6 : 12 / nv;
#endif
}
constexpr int kernel_height(std::size_t i, int nv) {
  const int h = std::min(static_cast<int>(i) + 1, rows_for(nv));
  return kCompact && h != rows_for(nv) ? 1 : h;
}

template <class T>
using KernelColumn = std::array<KernelFn<T>, kMR>;  // by height − 1

template <class T, int NV, bool kPackedA, bool kScaled, std::size_t... I>
constexpr KernelColumn<T> make_column(std::index_sequence<I...>) {
  return {{&micro_kernel<T, kernel_height(I, NV), NV, kPackedA, kScaled>...}};
}
template <class T, bool kPackedA, bool kScaled>
constexpr std::array<KernelColumn<T>, kMaxNV> make_kernels() {
  constexpr auto heights = std::make_index_sequence<kMR>{};
  if constexpr (kPackedA)  // packed slivers are at most kNV vectors wide
    return {make_column<T, 1, true, kScaled>(heights), make_column<T, 2, true, kScaled>(heights), KernelColumn<T>{},
            KernelColumn<T>{}};
  else if constexpr (!kScaled)  // only one-vector slivers skip alpha (see kernel_column)
    return {make_column<T, 1, false, false>(heights), KernelColumn<T>{}, KernelColumn<T>{}, KernelColumn<T>{}};
  else
    return {make_column<T, 1, false, kScaled>(heights), make_column<T, 2, false, kScaled>(heights),
            make_column<T, 3, false, kScaled>(heights), make_column<T, 4, false, kScaled>(heights)};
}
// kKernels<T, packed, scaled>[nv - 1][mr - 1]. Direct products of one vector per
// row with alpha = 1 skip the multiplication by alpha (one per accumulator, a tenth
// of the work of a tile when K = 10). Wider tiles keep it: without it GCC allocates
// their registers worse. Packed products, whose K is long, always scale.
template <class T, bool kPackedA, bool kScaled>
constexpr auto kKernels = make_kernels<T, kPackedA, kScaled>();

template <class T>
const KernelColumn<T>& kernel_column(bool packed_a, T alpha, std::int64_t nv) {
  if (packed_a) return kKernels<T, true, true>[nv - 1];
  return alpha == T(1) && nv == 1 ? kKernels<T, false, false>[nv - 1] : kKernels<T, false, true>[nv - 1];
}

// Runs the kernels over an mc × nc block of C, with B in slivers of `sliver`
// columns whose starts are `sliver_stride` elements apart (row k of a sliver at
// k·op.ldb from its start). bias: the block's nc bias values, or null.
template <class T>
void tile_loop(std::int64_t mc, std::int64_t nc, std::int64_t kc, const T* a, bool packed_a, const T* b,
               std::int64_t sliver, std::int64_t sliver_stride, T* c, Operands op, T alpha, T beta, const T* bias) {
  constexpr std::int64_t W = kW<T>;
  std::int64_t j0 = 0;  // columns done
  if (!kCompact && !packed_a && nc / sliver >= 2) {
    // A one tile high: all full slivers in one call, side by side
    const std::int64_t nv = (sliver + W - 1) / W;
    const std::int64_t rows = rows_for(static_cast<int>(nv));
    if (mc <= rows) {
      Operands across = op;
      across.tile_b = sliver_stride;
      across.tile_c = sliver * op.csc;
      across.tile_bias = sliver;
      const std::int64_t slivers = nc / sliver;
      kernel_column<T>(false, alpha, nv)[mc - 1](slivers, kc, a, b, c, across, sliver, alpha, beta, bias);
      j0 = slivers * sliver;
    }
  }
  for (std::int64_t jr = j0; jr < nc; jr += sliver) {
    const std::int64_t nr = std::min(sliver, nc - jr);
    const std::int64_t nv = (nr + W - 1) / W;
    const std::int64_t rows = rows_for(static_cast<int>(nv));
    const T* b_sliver = b + (jr / sliver) * sliver_stride;
    const auto& column = kernel_column<T>(packed_a, alpha, nv);
    const T* bias_sliver = bias ? bias + jr : nullptr;
    // direct products: all full-height tiles in one call
    const std::int64_t tiles = packed_a ? 0 : mc / rows;
    op.tile_a = rows * op.rsa;
    op.tile_c = rows * op.rsc;
    if (tiles > 0) column[rows - 1](tiles, kc, a, b_sliver, c + jr * op.csc, op, nr, alpha, beta, bias_sliver);
    for (std::int64_t ir = tiles * rows; ir < mc; ir += rows) {
      const std::int64_t mr = std::min<std::int64_t>(rows, mc - ir);
      const T* a_tile = packed_a ? a + ir * kc : a + ir * op.rsa;
      T* c_tile = c + ir * op.rsc + jr * op.csc;
      if (kCompact && mr != rows && mr > 1) {
        // one row at a time (a packed sliver of mr rows keeps element (i,k) at i + k*mr)
        Operands row_op = op;
        if (packed_a) row_op = {1, mr, op.ldb, op.rsc, op.csc, op.padded_b};
        const auto one_row = kernel_column<T>(false, alpha, nv)[0];
        for (std::int64_t i = 0; i < mr; ++i)
          one_row(1, kc, packed_a ? a_tile + i : a_tile + i * op.rsa, b_sliver, c_tile + i * op.rsc, row_op, nr,
                  alpha, beta, bias_sliver);
        continue;
      }
      column[mr - 1](1, kc, a_tile, b_sliver, c_tile, op, nr, alpha, beta, bias_sliver);
    }
  }
}

// The sliver width of the direct strategy: all of a narrow B at once.
template <class T>
std::int64_t direct_sliver(std::int64_t n) {
  return n <= kMaxNV * kW<T> ? n : kNR<T>;
}

// How many bands of tile rows the direct strategy cuts an M × N result into (N at
// most one sliver wide; wider results count as many bands).
template <class T>
std::int64_t direct_bands(std::int64_t M, std::int64_t N) {
  if (N > kMaxNV * kW<T>) return M;
  const std::int64_t rows = rows_for(static_cast<int>((N + kW<T> - 1) / kW<T>));
  return (M + rows - 1) / rows;
}

template <class T>
std::int64_t round_up_to_vectors(std::int64_t n) {
  return (n + kW<T> - 1) / kW<T> * kW<T>;
}

// Ã: rows [0,mc) × cols [0,kc) of A as MR-tall slivers, each laid out k-major.
template <class T>
void pack_a(std::int64_t mc, std::int64_t kc, const T* a, std::int64_t rsa, std::int64_t csa, T* out) {
  for (std::int64_t i0 = 0; i0 < mc; i0 += kMR) {
    const std::int64_t mr = std::min<std::int64_t>(kMR, mc - i0);
    const T* src = a + i0 * rsa;
    for (std::int64_t k = 0; k < kc; ++k)
      for (std::int64_t i = 0; i < mr; ++i) out[k * mr + i] = src[i * rsa + k * csa];
    out += mr * kc;
  }
}

// B̃: rows [0,kc) × cols [0,nc) of B as slivers of `sliver` columns, each k-major
// with rows round_up(sliver) apart; the last sliver is padded with zeros.
template <class T>
void pack_b(std::int64_t kc, std::int64_t nc, const T* b, std::int64_t rsb, std::int64_t csb, T* out,
            std::int64_t sliver) {
  const std::int64_t width = round_up_to_vectors<T>(sliver);
  for (std::int64_t j0 = 0; j0 < nc; j0 += sliver) {
    const std::int64_t nr = std::min(sliver, nc - j0);
    const T* src = b + j0 * csb;
    if (rsb == 1 && csb != 1) transpose_copy(kc, nr, src, csb, out, width);  // columns of B contiguous
    if (csb == 1) {
      // rows of B contiguous: whole vectors, the last one loaded with a mask that
      // reads zeros beyond the sliver (a memcpy and a zero fill per row cost more
      // than the product's FMAs for short rows)
      for (std::int64_t k = 0; k < kc; ++k)
        for (std::int64_t j = 0; j < width; j += kW<T>) {
          const std::int64_t lanes = std::min<std::int64_t>(kW<T>, nr - j);
          const auto v = lanes == kW<T> ? simd::Vec<T>::load_unaligned(src + k * rsb + j)
                         : lanes > 0    ? simd::load_partial(src + k * rsb + j, lanes)
                                        : simd::Vec<T>(T(0));
          v.store_unaligned(out + k * width + j);
        }
      out += width * kc;
      continue;
    }
    for (std::int64_t k = 0; k < kc; ++k) {
      T* dst = out + k * width;
      if (rsb != 1) {
        for (std::int64_t j = 0; j < nr; ++j) dst[j] = src[k * rsb + j * csb];
      }
      for (std::int64_t j = nr; j < width; ++j) dst[j] = T(0);
    }
    out += width * kc;
  }
}

// Per-thread buffers, 64-byte aligned, grown on demand: packed A and B, and a
// turned-around result (see gemm).
template <class T>
T* scratch(int which, std::size_t n) {
  struct Buffer {
    T* data = nullptr;
    std::size_t size = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffers[3];
  Buffer& buf = buffers[which];
  if (buf.size < n) {
    std::free(buf.data);
    buf.data = static_cast<T*>(std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64));
    buf.size = n;
  }
  return buf.data;
}

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
#endif

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

// The kernel a direct product runs on, chosen once for the whole product: threads
// that split C run their parts on the same kernel, so that every element is summed
// the same way whatever the thread count (the pair kernel sums K in interleaved
// parts, the dot kernel in lanes; the narrow and tile kernels agree bit for bit).
enum class DirectKernel { narrow, pairs, dots, tiles };

template <class T>
DirectKernel direct_kernel(std::int64_t M, std::int64_t N, std::int64_t K, std::int64_t rsa, std::int64_t csa,
                           std::int64_t rsb, std::int64_t csb) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (takes_narrow<T>(M, N, K, rsa, csa)) return DirectKernel::narrow;
    if (takes_pairs<T>(M, N, K, rsa, csb)) return DirectKernel::pairs;
  }
#endif
  (void)rsa;
  return takes_dots<T>(M, N, K, csa, rsb, csb) ? DirectKernel::dots : DirectKernel::tiles;
}

// Small products: A read in place; B read in place when its rows are contiguous,
// otherwise packed once (it is small).
template <class T>
void gemm_direct(DirectKernel kernel, std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a,
                 std::int64_t rsa, std::int64_t csa, const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c,
                 std::int64_t rsc, std::int64_t csc, const T* bias) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    if (kernel == DirectKernel::narrow) {
      kNarrowKernels[N - 1](M, K, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc, bias);
      return;
    }
    if (kernel == DirectKernel::pairs) {
      kPairKernels[M % 2][(M + 1) / 2 - 1](M, N, K, alpha, a, csa, b, rsb, beta, c, rsc, csc, bias);
      return;
    }
  }
#endif
  if (kernel == DirectKernel::dots) {
    dot_gemm<T>(M, N, K, alpha, a, rsa, b, csb, beta, c, rsc, csc, bias);
    return;
  }
  const std::int64_t sliver = direct_sliver<T>(N);
  const std::int64_t width = round_up_to_vectors<T>(sliver);
  // B with contiguous rows is read in place, unless its last vector is partial and
  // enough tiles read it to repay a padded copy: the copy moves K·nv vectors, each
  // tile saves K masked loads, and at least 4·nv tiles pay (see tile_kernel).
  const std::int64_t nv = width / kW<T>;
  const bool pad = N % kW<T> != 0 && M >= 4 * nv * rows_for(static_cast<int>(nv));
  if (csb == 1 && !pad) {
    tile_loop<T>(M, N, K, a, false, b, sliver, sliver, c, {rsa, csa, rsb, rsc, csc, false}, alpha, beta, bias);
    return;
  }
  T* b_packed = scratch<T>(1, static_cast<std::size_t>(K * ((N + sliver - 1) / sliver) * width));
  pack_b(K, N, b, rsb, csb, b_packed, sliver);
  tile_loop<T>(M, N, K, a, false, b_packed, sliver, width * K, c, {rsa, csa, width, rsc, csc, true}, alpha, beta,
               bias);
}

// Large products: the blocked algorithm.
template <class T>
void gemm_blocked(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa,
                  std::int64_t csa, const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c,
                  std::int64_t rsc, std::int64_t csc, const T* bias) {
  constexpr std::int64_t NR = kNR<T>;
  T* a_packed = scratch<T>(0, static_cast<std::size_t>(kMC * kKC));
  T* b_packed = scratch<T>(1, static_cast<std::size_t>(kKC * ((std::min(kNC, N) + NR - 1) / NR * NR)));
  for (std::int64_t jc = 0; jc < N; jc += kNC) {
    const std::int64_t nc = std::min(kNC, N - jc);
    for (std::int64_t pc = 0; pc < K; pc += kKC) {
      const std::int64_t kc = std::min(kKC, K - pc);
      // the first K block applies the caller's beta and the bias, later ones accumulate
      const T beta_block = pc == 0 ? beta : T(1);
      const T* bias_block = pc == 0 && bias ? bias + jc : nullptr;
      pack_b(kc, nc, b + pc * rsb + jc * csb, rsb, csb, b_packed, NR);
      for (std::int64_t ic = 0; ic < M; ic += kMC) {
        const std::int64_t mc = std::min(kMC, M - ic);
        pack_a(mc, kc, a + ic * rsa + pc * csa, rsa, csa, a_packed);
        tile_loop<T>(mc, nc, kc, a_packed, true, b_packed, NR, NR * kc, c + ic * rsc + jc * csc,
                     {1, kMR, NR, rsc, csc, true}, alpha, beta_block, bias_block);
      }
    }
  }
}

}  // namespace

template <class T>
void gemm(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa, std::int64_t csa,
          const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c, std::int64_t rsc, std::int64_t csc,
          const T* bias) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) {
        T& dst = c[i * rsc + j * csc];
        const T b_j = bias ? bias[j] : T(0);
        dst = beta != T(0) ? b_j + beta * dst : b_j;
      }
    return;
  }
  // A small result narrower than a vector over a column-major A whose rows fill whole
  // vectors (the weight gradient gᵀ·x of a layer with few inputs: the grokking MLP's
  // 48×53·53×12) is computed turned around, Cᵀ = Bᵀ·Aᵀ: Aᵀ becomes a B read in place
  // in full vectors, where the tiles of C would use 12 of 16 lanes and pad B first,
  // and that gain outweighs the transposition of Cᵀ into C. Each element sees the
  // same FMAs in the same order, a·b being b·a, so the result is the same bit for
  // bit; beta = 0 only, as C is overwritten by the transposition.
  if (N < kW<T> && M % kW<T> == 0 && M * N <= 4096 && rsa == 1 && csa != 1 && csc == 1 && beta == T(0) &&
      !bias && direct_kernel<T>(M, N, K, rsa, csa, rsb, csb) == DirectKernel::tiles) {
    T* turned = scratch<T>(2, static_cast<std::size_t>(M * N));
    gemm<T>(N, M, K, alpha, b, csb, rsb, a, csa, rsa, beta, turned, M, 1, nullptr);
    transpose_copy(M, N, turned, M, c, rsc);
    return;
  }
  // Direct when both operands are small, or when one small operand stays cached
  // while the direct kernels stream the large one past once, however large it is:
  // - a B of at most 32 KB and one sliver wide: the tiles run down A (x·Wᵀ and g·W
  //   of a layer over a large batch);
  // - an A of at most 1024 elements over K ≤ 64 with B read in place: the tiles run
  //   along B (the feature-major deep linear network's W·h);
  // - at most 4096 results with B read in place: the kernels run along K (a layer's
  //   weight gradient gᵀ·x). Each band of rows of C reads all of B, so B must fit
  //   in L2 (1 MB) unless C is at most two bands high (the toy model's 20×20 weight
  //   gradient over 20000 rows, where packing would dominate an SGLD step).
  // The blocked algorithm packs the large operand instead, which such shapes do not
  // repay (benchmarks/README.md, "Why the kernels look as they do"). Dot products
  // take their own kernel at any K.
  const auto bytes = [](std::int64_t elements) { return elements * static_cast<std::int64_t>(sizeof(T)); };
  const bool small = bytes(M * K + K * N) <= kDirectBytes;
  const bool streams = (bytes(K * N) <= 32 * 1024 && N <= kMaxNV * kW<T>) ||
                       (csb == 1 && K <= 64 && M * K <= 1024) ||
                       (csb == 1 && M * N <= 4096 && (direct_bands<T>(M, N) <= 2 || bytes(K * N) <= 1 << 20));
  const DirectKernel kernel = direct_kernel<T>(M, N, K, rsa, csa, rsb, csb);
  const bool direct = small || streams || kernel == DirectKernel::dots;
  const auto serial = [direct, kernel](std::int64_t m, std::int64_t n, std::int64_t k, T al, const T* pa,
                                       std::int64_t ra, std::int64_t ca, const T* pb, std::int64_t rb,
                                       std::int64_t cb, T be, T* pc, std::int64_t rc, std::int64_t cc,
                                       const T* pbias) {
    if (direct) gemm_direct<T>(kernel, m, n, k, al, pa, ra, ca, pb, rb, cb, be, pc, rc, cc, pbias);
    else gemm_blocked<T>(m, n, k, al, pa, ra, ca, pb, rb, cb, be, pc, rc, cc, pbias);
  };
  // Large products: one block of rows (or columns) of C per thread, each running
  // the serial algorithm on the kernel chosen above. Block edges fall on tile
  // boundaries. Pair products (at most 16 × 8 results) stay on one thread: their
  // kernel's variants follow the number of rows.
  const int threads = kernel == DirectKernel::pairs && direct ? 1 : threads_for(M * N * K / 64);
  if (threads <= 1) {
    const FlushSubnormals flush;
    serial(M, N, K, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc, bias);
  } else if (M >= N) {
    parallel_for(0, M, N * K / 64 + 1, [&](std::int64_t lo, std::int64_t hi) {
      const FlushSubnormals flush;  // per thread: the mode is thread state
      serial(hi - lo, N, K, alpha, a + lo * rsa, rsa, csa, b, rsb, csb, beta, c + lo * rsc, rsc, csc, bias);
    }, kMR);
  } else {
    parallel_for(0, N, M * K / 64 + 1, [&](std::int64_t lo, std::int64_t hi) {
      const FlushSubnormals flush;
      serial(M, hi - lo, K, alpha, a, rsa, csa, b + lo * csb, rsb, csb, beta, c + lo * csc, rsc, csc,
             bias ? bias + lo : nullptr);
    }, kNR<T>);
  }
}

template <class T>
void gemm_reference(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa,
                    std::int64_t csa, const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c,
                    std::int64_t rsc, std::int64_t csc, const T* bias) {
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      T s = 0;
      for (std::int64_t k = 0; k < K; ++k) s += a[i * rsa + k * csa] * b[k * rsb + j * csb];
      T& dst = c[i * rsc + j * csc];
      const T r = alpha * s + (bias ? bias[j] : T(0));
      dst = beta != T(0) ? r + beta * dst : r;
    }
}

#define LAMBDAHAT_INSTANTIATE(T)                                                                             \
  template void gemm<T>(std::int64_t, std::int64_t, std::int64_t, T, const T*, std::int64_t, std::int64_t,   \
                        const T*, std::int64_t, std::int64_t, T, T*, std::int64_t, std::int64_t, const T*);  \
  template void gemm_reference<T>(std::int64_t, std::int64_t, std::int64_t, T, const T*, std::int64_t,       \
                                  std::int64_t, const T*, std::int64_t, std::int64_t, T, T*, std::int64_t,   \
                                  std::int64_t, const T*);
LAMBDAHAT_INSTANTIATE(float)
LAMBDAHAT_INSTANTIATE(double)
#undef LAMBDAHAT_INSTANTIATE

}  // namespace lambdahat::detail
