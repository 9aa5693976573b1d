// The GEMM's tile machinery (tensor/gemm.cpp has the map): the register blocking,
// the micro-kernel that keeps an MR × NR tile of C in registers, the tables of its
// instantiations for every edge height, the loop over tiles, packing of A and B, and
// the per-thread scratch buffers. Included by tensor/gemm.cpp only.
#pragma once

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>

#include "tensor/detail/simd.hpp"
#include "tensor/detail/transpose.hpp"

namespace lambdahat::detail::gemm_parts {

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

}  // namespace lambdahat::detail::gemm_parts
