// A packed, blocked GEMM in the style of BLIS (Van Zee & van de Geijn, 2015):
//
//   for jc in N by NC:                      B panel  (KC × NC) → packed B̃, in L3
//     for pc in K by KC:
//       pack B̃ as NR-wide slivers
//       for ic in M by MC:                  A block  (MC × KC) → packed Ã, in L2
//         pack Ã as MR-tall slivers
//         for jr in NC by NR:               one B̃ sliver (KC × NR) stays in L1
//           for ir in MC by MR:
//             micro-kernel: C[ir:ir+MR, jr:jr+NR] += Ã sliver · B̃ sliver
//
// The micro-kernel keeps an MR × NR tile of C in vector registers and performs one
// rank-1 update per k: NR/W vector loads of B̃, MR broadcasts of Ã, MR·NR/W fused
// multiply-adds. Edge tiles use the kernel instantiated for their exact height, so a
// 2-row remainder costs 2 rows of work.
//
// Every element of C is accumulated in the same order (k ascending within a KC
// block, blocks in order) whatever tile or thread computes it, so results do not
// depend on the thread count.
#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "tensor/detail/gemm.hpp"
#include "tensor/detail/simd.hpp"
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

// Products below this many multiply-adds skip packing and blocking.
constexpr std::int64_t kSmallWork = 4096;

// C tile (mr × nr valid of MR × NV·W) = alpha · Ã sliver · B̃ sliver + beta · C.
//   a: packed MR × kc, a[k*MR + i];  b: packed kc × NV·W, b[k*NV*W + j]
template <class T, int MR, int NV>
void micro_kernel(std::int64_t kc, const T* a, const T* b, T* c, std::int64_t rsc, std::int64_t csc,
                  std::int64_t nr, T alpha, T beta) {
  constexpr std::int64_t W = kW<T>, NR = NV * W;
  Vec<T> acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = Vec<T>(T(0));
  for (std::int64_t k = 0; k < kc; ++k) {
    Vec<T> bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = Vec<T>::load_aligned(b + k * NR + v * W);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const Vec<T> ai(a[k * MR + i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = xsimd::fma(ai, bv[v], acc[i][v]);
    }
  }
  const Vec<T> va(alpha), vb(beta);
  for (int i = 0; i < MR; ++i) {
    T* row = c + i * rsc;
    for (int v = 0; v < NV; ++v) {
      const std::int64_t j0 = v * W;
      if (csc == 1 && j0 + W <= nr) {
        Vec<T> r = acc[i][v] * va;
        if (beta != T(0)) r = xsimd::fma(vb, Vec<T>::load_unaligned(row + j0), r);
        r.store_unaligned(row + j0);
      } else {
        alignas(64) T tmp[W];
        (acc[i][v] * va).store_aligned(tmp);
        for (std::int64_t j = j0; j < std::min(nr, j0 + W); ++j) {
          T& dst = row[j * csc];
          dst = beta != T(0) ? tmp[j - j0] + beta * dst : tmp[j - j0];
        }
      }
    }
  }
}

template <class T>
using KernelFn = void (*)(std::int64_t, const T*, const T*, T*, std::int64_t, std::int64_t, std::int64_t, T, T);

// kernels[mr-1][nv-1]: the micro-kernel for an mr-row, nv-vector tile.
template <class T, std::size_t... I>
constexpr auto make_kernel_row(std::index_sequence<I...>) {
  return std::array<std::array<KernelFn<T>, kNV>, sizeof...(I)>{
      {{&micro_kernel<T, static_cast<int>(I) + 1, 1>, &micro_kernel<T, static_cast<int>(I) + 1, 2>}...}};
}
template <class T>
constexpr auto kKernels = make_kernel_row<T>(std::make_index_sequence<kMR>{});

// Ã: rows [0,mc) × cols [0,kc) of A as MR-tall slivers, each laid out k-major.
template <class T>
void pack_a(std::int64_t mc, std::int64_t kc, const T* a, std::int64_t rsa, std::int64_t csa, T* out) {
  for (std::int64_t i0 = 0; i0 < mc; i0 += kMR) {
    const std::int64_t mr = std::min<std::int64_t>(kMR, mc - i0);
    const T* src = a + i0 * rsa;
    if (csa == 1) {
      for (std::int64_t i = 0; i < mr; ++i)
        for (std::int64_t k = 0; k < kc; ++k) out[k * mr + i] = src[i * rsa + k];
    } else {
      for (std::int64_t k = 0; k < kc; ++k)
        for (std::int64_t i = 0; i < mr; ++i) out[k * mr + i] = src[i * rsa + k * csa];
    }
    out += mr * kc;
  }
}

// B̃: rows [0,kc) × cols [0,nc) of B as NR-wide slivers, each k-major; the last
// sliver is padded with zeros to a whole number of vectors.
template <class T>
void pack_b(std::int64_t kc, std::int64_t nc, const T* b, std::int64_t rsb, std::int64_t csb, T* out) {
  constexpr std::int64_t W = kW<T>;
  for (std::int64_t j0 = 0; j0 < nc; j0 += kNR<T>) {
    const std::int64_t nr = std::min(kNR<T>, nc - j0);
    const std::int64_t width = (nr + W - 1) / W * W;
    const T* src = b + j0 * csb;
    for (std::int64_t k = 0; k < kc; ++k) {
      T* dst = out + k * width;
      if (csb == 1) {
        std::memcpy(dst, src + k * rsb, static_cast<std::size_t>(nr) * sizeof(T));
      } else {
        for (std::int64_t j = 0; j < nr; ++j) dst[j] = src[k * rsb + j * csb];
      }
      for (std::int64_t j = nr; j < width; ++j) dst[j] = T(0);
    }
    out += width * kc;
  }
}

// Per-thread packing buffers, 64-byte aligned, grown on demand.
template <class T>
T* scratch(int which, std::size_t n) {
  struct Buffer {
    T* data = nullptr;
    std::size_t size = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffers[2];
  Buffer& buf = buffers[which];
  if (buf.size < n) {
    std::free(buf.data);
    buf.data = static_cast<T*>(std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64));
    buf.size = n;
  }
  return buf.data;
}

// C = alpha·A·B + beta·C for small products: a plain loop ordered so that the inner
// loop runs along contiguous rows of B and C when it can.
template <class T>
void gemm_small(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa,
                std::int64_t csa, const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c, std::int64_t rsc,
                std::int64_t csc) {
  T acc[64];
  for (std::int64_t j0 = 0; j0 < N; j0 += 64) {
    const std::int64_t nb = std::min<std::int64_t>(64, N - j0);
    for (std::int64_t i = 0; i < M; ++i) {
      for (std::int64_t j = 0; j < nb; ++j) acc[j] = T(0);
      for (std::int64_t k = 0; k < K; ++k) {
        const T aik = a[i * rsa + k * csa];
        const T* brow = b + k * rsb + j0 * csb;
        for (std::int64_t j = 0; j < nb; ++j) acc[j] += aik * brow[j * csb];
      }
      T* crow = c + i * rsc + j0 * csc;
      for (std::int64_t j = 0; j < nb; ++j)
        crow[j * csc] = beta != T(0) ? alpha * acc[j] + beta * crow[j * csc] : alpha * acc[j];
    }
  }
}

// The blocked algorithm on one thread.
template <class T>
void gemm_blocked(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa,
                  std::int64_t csa, const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c,
                  std::int64_t rsc, std::int64_t csc) {
  constexpr std::int64_t W = kW<T>, NR = kNR<T>;
  T* a_packed = scratch<T>(0, static_cast<std::size_t>(kMC * kKC));
  T* b_packed = scratch<T>(1, static_cast<std::size_t>(kKC * ((std::min(kNC, N) + NR - 1) / NR * NR)));
  for (std::int64_t jc = 0; jc < N; jc += kNC) {
    const std::int64_t nc = std::min(kNC, N - jc);
    for (std::int64_t pc = 0; pc < K; pc += kKC) {
      const std::int64_t kc = std::min(kKC, K - pc);
      // the first K block applies the caller's beta, later ones accumulate
      const T beta_block = pc == 0 ? beta : T(1);
      pack_b(kc, nc, b + pc * rsb + jc * csb, rsb, csb, b_packed);
      for (std::int64_t ic = 0; ic < M; ic += kMC) {
        const std::int64_t mc = std::min(kMC, M - ic);
        pack_a(mc, kc, a + ic * rsa + pc * csa, rsa, csa, a_packed);
        for (std::int64_t jr = 0; jr < nc; jr += NR) {
          const std::int64_t nr = std::min(NR, nc - jr);
          const std::int64_t nv = (nr + W - 1) / W;
          const T* b_sliver = b_packed + jr * kc;
          for (std::int64_t ir = 0; ir < mc; ir += kMR) {
            const std::int64_t mr = std::min<std::int64_t>(kMR, mc - ir);
            T* c_tile = c + (ic + ir) * rsc + (jc + jr) * csc;
            kKernels<T>[mr - 1][nv - 1](kc, a_packed + ir * kc, b_sliver, c_tile, rsc, csc, nr, alpha, beta_block);
          }
        }
      }
    }
  }
}

}  // namespace

template <class T>
void gemm(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa, std::int64_t csa,
          const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c, std::int64_t rsc, std::int64_t csc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (std::int64_t i = 0; i < M; ++i)
      for (std::int64_t j = 0; j < N; ++j) {
        T& dst = c[i * rsc + j * csc];
        dst = beta != T(0) ? beta * dst : T(0);
      }
    return;
  }
  // The vector dimension of the micro-kernel is N: when N is narrow and M is not,
  // compute Cᵀ = Bᵀ·Aᵀ instead (swapping roles and strides costs nothing).
  if (N < kW<T> && M > N) {
    gemm<T>(N, M, K, alpha, b, csb, rsb, a, csa, rsa, beta, c, csc, rsc);
    return;
  }
  if (M * N * K <= kSmallWork) {
    gemm_small(M, N, K, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
    return;
  }
  // Large products: one block of rows (or columns) of C per thread, each running
  // the serial blocked algorithm. Block edges fall on tile boundaries.
  const int threads = threads_for(M * N * K / 64);
  if (threads <= 1) {
    gemm_blocked(M, N, K, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc);
  } else if (M >= N) {
    parallel_for(0, M, N * K / 64 + 1, [&](std::int64_t lo, std::int64_t hi) {
      gemm_blocked(hi - lo, N, K, alpha, a + lo * rsa, rsa, csa, b, rsb, csb, beta, c + lo * rsc, rsc, csc);
    }, kMR);
  } else {
    parallel_for(0, N, M * K / 64 + 1, [&](std::int64_t lo, std::int64_t hi) {
      gemm_blocked(M, hi - lo, K, alpha, a, rsa, csa, b + lo * csb, rsb, csb, beta, c + lo * csc, rsc, csc);
    }, kNR<T>);
  }
}

template <class T>
void gemm_reference(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa,
                    std::int64_t csa, const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c,
                    std::int64_t rsc, std::int64_t csc) {
  for (std::int64_t i = 0; i < M; ++i)
    for (std::int64_t j = 0; j < N; ++j) {
      T s = 0;
      for (std::int64_t k = 0; k < K; ++k) s += a[i * rsa + k * csa] * b[k * rsb + j * csb];
      T& dst = c[i * rsc + j * csc];
      dst = beta != T(0) ? alpha * s + beta * dst : alpha * s;
    }
}

#define LAMBDAHAT_INSTANTIATE(T)                                                                             \
  template void gemm<T>(std::int64_t, std::int64_t, std::int64_t, T, const T*, std::int64_t, std::int64_t,   \
                        const T*, std::int64_t, std::int64_t, T, T*, std::int64_t, std::int64_t);            \
  template void gemm_reference<T>(std::int64_t, std::int64_t, std::int64_t, T, const T*, std::int64_t,       \
                                  std::int64_t, const T*, std::int64_t, std::int64_t, T, T*, std::int64_t,   \
                                  std::int64_t);
LAMBDAHAT_INSTANTIATE(float)
LAMBDAHAT_INSTANTIATE(double)
#undef LAMBDAHAT_INSTANTIATE

}  // namespace lambdahat::detail
