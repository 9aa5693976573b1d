// Reductions over one or several dimensions.
//
// `dims` lists the dimensions to reduce (negative values count from the end); an
// empty list reduces over every dimension. With keepdim the reduced dimensions stay
// as size 1, which keeps the result broadcastable against the input.
//
// float32 sums use pairwise summation (error ~ log n, not n) in an order fixed by
// the shape alone, so results are identical for any thread count.
#pragma once

#include <utility>

#include "tensor/tensor.hpp"

namespace lambdahat {

Tensor sum(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor max(const Tensor& a, const Dims& dims = {}, bool keepdim = false);  // NaN if any element is NaN
Tensor min(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor logsumexp(const Tensor& a, const Dims& dims = {}, bool keepdim = false);  // log Σ e^x, stable
// Variance with Bessel-style correction: Σ(x − mean)² / (n − correction).
Tensor var(const Tensor& a, const Dims& dims = {}, std::int64_t correction = 1, bool keepdim = false);

// Index (int64) of the first largest / smallest element along one dimension.
Tensor argmax(const Tensor& a, std::int64_t dim, bool keepdim = false);
Tensor argmin(const Tensor& a, std::int64_t dim, bool keepdim = false);

// Plain double-precision sum of all elements (for tests, diagnostics and losses).
double sum_all(const Tensor& a);

// relu_backward(g, x) = g · [x > 0] and its sums over rows (dimension 0), for 2-D g
// and x of one shape: the two things the backward pass of linear_relu needs (the
// masked gradient, and the bias gradient). For contiguous inputs with fewer columns
// than a vector holds, one pass instead of two; the sums are bit for bit those of
// sum(relu_backward(g, x), {0}).
std::pair<Tensor, Tensor> relu_backward_and_column_sums(const Tensor& g, const Tensor& x);

}  // namespace lambdahat
