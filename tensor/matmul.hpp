// Matrix products.
//
//   matmul(a, b):  a (M,K) · b (K,N) -> (M,N)
//                  a (...,M,K) · b (...,K,N) -> (...,M,N), batch dimensions broadcast
//                  a 1-D vector is treated as a row (left) or column (right) and the
//                  added dimension is dropped from the result, as in NumPy.
//
// Operands may be any strided views (a transpose costs nothing). The kernel is a
// packed, blocked GEMM (gemm.cpp); matmul_reference is the naive triple loop that
// tests and benchmarks compare it with.
#pragma once

#include "tensor/tensor.hpp"

namespace lambdahat {

Tensor matmul(const Tensor& a, const Tensor& b);
Tensor matmul_reference(const Tensor& a, const Tensor& b);

// A fully connected layer: x (..., in) · weightᵀ + bias, with weight (out, in) and
// bias (out) or undefined, as in PyTorch's Linear. The bias is written into the
// output before the product accumulates onto it, so no separate pass adds it.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
// relu(linear(x, weight, bias)), rectified in place while the product is still in
// cache: no second output tensor.
Tensor linear_relu(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// c = alpha · a · b + beta · c for 2-D tensors, writing into an existing c (which
// may be a strided view). With beta == 0, c's old contents are ignored.
void matmul_into(Tensor& c, const Tensor& a, const Tensor& b, double alpha = 1, double beta = 0);

}  // namespace lambdahat
