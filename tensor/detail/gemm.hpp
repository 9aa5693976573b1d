// General matrix multiply on raw strided arrays, the engine behind matmul():
//
//   C = alpha · A · B + bias + beta · C
//   A is (M,K): element (i,k) at a[i*rsa + k*csa]
//   B is (K,N): element (k,j) at b[k*rsb + j*csb]
//   C is (M,N): element (i,j) at c[i*rsc + j*csc]
//   bias: N contiguous values added to every row of C, or null
//
// Any strides work, so transposed operands need no copy. gemm() splits C across
// threads when the product is large; gemm_reference() is the plain triple loop that
// tests and benchmarks compare against. With beta == 0, C is not read (it may hold
// garbage or NaN).
#pragma once

#include <cstdint>

namespace lambdahat::detail {

template <class T>
void gemm(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa, std::int64_t csa,
          const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c, std::int64_t rsc, std::int64_t csc,
          const T* bias = nullptr);

template <class T>
void gemm_reference(std::int64_t M, std::int64_t N, std::int64_t K, T alpha, const T* a, std::int64_t rsa,
                    std::int64_t csa, const T* b, std::int64_t rsb, std::int64_t csb, T beta, T* c,
                    std::int64_t rsc, std::int64_t csc, const T* bias = nullptr);

}  // namespace lambdahat::detail
