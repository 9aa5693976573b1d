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
// The parts, one file each:
//   detail/gemm_tiles.hpp    register blocking, the micro-kernel, packing, the tile loop
//   detail/gemm_narrow.hpp   narrow float products (N ≤ 8), AVX-512
//   detail/gemm_pairs.hpp    small results over a long K, two rows per vector, AVX-512
//   detail/gemm_dots.hpp     dot products (rows of A and columns of B contiguous)
//   gemm.cpp (here)          the choice of strategy, the direct and blocked drivers,
//                            threading, and the naive reference gemm_reference
//
// Subnormal numbers (below 1.2e-38 in float32) are flushed to zero inside the
// kernels, in inputs and results: on x86 every arithmetic operation touching one
// takes a microcode assist of ~100 cycles, and a trained classifier's gradients are
// full of them (the softmax of a confident prediction underflows), which made a
// grokking run's steps five times slower after 50 000 steps.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "tensor/detail/simd.hpp"  // first: it includes immintrin.h with GCC 12's false warnings silenced
#include "tensor/detail/fpenv.hpp"
#include "tensor/detail/gemm.hpp"
#include "tensor/detail/gemm_dots.hpp"
#include "tensor/detail/gemm_narrow.hpp"
#include "tensor/detail/gemm_pairs.hpp"
#include "tensor/detail/gemm_tiles.hpp"
#include "tensor/detail/transpose.hpp"
#include "tensor/parallel.hpp"

namespace lambdahat::detail {
namespace {

using namespace gemm_parts;

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
