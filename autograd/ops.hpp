// Differentiable operations on Variables. Each mirrors the tensor operation of the
// same name; its backward rule sits next to its forward computation in ops_*.cpp.
#pragma once

#include <vector>

#include "autograd/variable.hpp"
#include "tensor/elementwise.hpp"

namespace lambdahat {

// ---- elementwise (broadcasting like the tensor ops) ----
Variable add(const Variable& a, const Variable& b);
Variable sub(const Variable& a, const Variable& b);
Variable mul(const Variable& a, const Variable& b);
Variable div(const Variable& a, const Variable& b);
Variable pow(const Variable& a, const Variable& b);  // a > 0 where b's gradient is needed
Variable maximum(const Variable& a, const Variable& b);  // ties split the gradient equally
Variable minimum(const Variable& a, const Variable& b);
Variable where(const Tensor& cond, const Variable& a, const Variable& b);

Variable add(const Variable& a, double b);
Variable mul(const Variable& a, double b);
Variable pow(const Variable& a, double exponent);
Variable clamp(const Variable& a, double lo, double hi);  // gradient 1 inside [lo, hi], 0 outside

Variable neg(const Variable& a);
Variable exp(const Variable& a);
Variable log(const Variable& a);
Variable sqrt(const Variable& a);
Variable square(const Variable& a);
Variable abs(const Variable& a);  // subgradient 0 at 0
Variable tanh(const Variable& a);
Variable sigmoid(const Variable& a);
Variable relu(const Variable& a);  // subgradient 0 at 0
Variable softplus(const Variable& a);
Variable gelu(const Variable& a, GeluApprox approx = GeluApprox::none);

// ---- reductions ----
Variable sum(const Variable& a, const Dims& dims = {}, bool keepdim = false);
Variable mean(const Variable& a, const Dims& dims = {}, bool keepdim = false);
Variable max(const Variable& a, const Dims& dims = {}, bool keepdim = false);  // ties share the gradient
Variable min(const Variable& a, const Dims& dims = {}, bool keepdim = false);
Variable logsumexp(const Variable& a, const Dims& dims = {}, bool keepdim = false);
Variable var(const Variable& a, const Dims& dims = {}, std::int64_t correction = 1, bool keepdim = false);
// Π_i w_i^{k_i} over the elements of a 1-D w: a 0-d result in one node (the
// polynomial regressors' parameter product, which as separate select/pow/mul nodes
// cost several times more per step).
Variable monomial(const Variable& w, const std::vector<int>& powers);

// ---- products ----
Variable matmul(const Variable& a, const Variable& b);
// x (..., in) · weightᵀ + bias with weight (out, in), bias (out) or undefined.
Variable linear(const Variable& x, const Variable& weight, const Variable& bias = Variable());
// relu(linear(x, weight, bias)) as one node: the rectification happens in place on
// the product, and the backward pass masks the gradient with the saved output.
Variable linear_relu(const Variable& x, const Variable& weight, const Variable& bias = Variable());

// ---- shape ----
Variable reshape(const Variable& a, const Dims& shape);
Variable flatten(const Variable& a);
Variable permute(const Variable& a, const Dims& order);
Variable transpose(const Variable& a, std::int64_t d0, std::int64_t d1);
Variable slice(const Variable& a, std::int64_t dim, std::int64_t start, std::int64_t stop, std::int64_t step = 1);
Variable narrow(const Variable& a, std::int64_t dim, std::int64_t start, std::int64_t length);
Variable select(const Variable& a, std::int64_t dim, std::int64_t index);
Variable expand(const Variable& a, const Dims& shape);
Variable squeeze(const Variable& a, std::int64_t dim);
Variable unsqueeze(const Variable& a, std::int64_t dim);
Variable concat(const std::vector<Variable>& parts, std::int64_t dim = 0);
Variable stack(const std::vector<Variable>& parts, std::int64_t dim = 0);

// ---- indexing ----
Variable index_select(const Variable& a, std::int64_t dim, const Tensor& index);
// index_select(a, 0, ia) + index_select(b, 0, ib) as one node (rows of two tables
// picked and added, as the grokking MLP's first layer does).
Variable index_select_add(const Variable& a, const Tensor& ia, const Variable& b, const Tensor& ib);
// gelu(index_select_add(a, ia, b, ib)) as one node (the grokking MLP's hidden layer):
// the same values bit for bit; the backward pass multiplies by gelu' and scatters
// into both tables in one pass (index_add_products_), which rounds each product's
// addition once.
Variable index_select_add_gelu(const Variable& a, const Tensor& ia, const Variable& b, const Tensor& ib,
                               GeluApprox approx = GeluApprox::none);
// Rows of `weight` (V, E) picked by integer `indices` of any shape: indices.shape + (E).
Variable embedding(const Variable& weight, const Tensor& indices);
Variable gather(const Variable& a, std::int64_t dim, const Tensor& index);

// ---- losses ----
enum class Reduction { mean, sum, none };

Variable log_softmax(const Variable& logits, std::int64_t dim = -1);
Variable softmax(const Variable& logits, std::int64_t dim = -1);
// −log softmax(logits)[target] per row; logits (B, C), targets int64 (B) in [0, C).
Variable cross_entropy(const Variable& logits, const Tensor& targets, Reduction reduction = Reduction::mean);
// (pred − target)²: mean or sum over all elements, or (none) the mean over all but
// the first dimension, one value per sample.
Variable mse_loss(const Variable& pred, const Variable& target, Reduction reduction = Reduction::mean);

// ---- the plain formulations of the fused ops ----
// monomial, linear_relu, index_select_add(_gelu) and mse_loss each compute one of
// these compositions of basic ops in a single node (fewer nodes, passes and
// temporaries per step). Read these first: the fused versions are optimisations a
// reader can skip. A LAMBDAHAT_REFERENCE build (lambdahat/version.hpp) routes the
// fused ops through them, and tests/autograd/test_reference.cpp checks that both
// paths agree, values and gradients.
namespace reference {
Variable monomial(const Variable& w, const std::vector<int>& powers);  // Π_i pow(w[i], k_i)
Variable linear_relu(const Variable& x, const Variable& weight, const Variable& bias = Variable());
Variable index_select_add(const Variable& a, const Tensor& ia, const Variable& b, const Tensor& ib);
Variable index_select_add_gelu(const Variable& a, const Tensor& ia, const Variable& b, const Tensor& ib,
                               GeluApprox approx = GeluApprox::none);
Variable mse_loss(const Variable& pred, const Variable& target, Reduction reduction = Reduction::mean);
}  // namespace reference

// ---- operators ----
inline Variable operator+(const Variable& a, const Variable& b) { return add(a, b); }
inline Variable operator-(const Variable& a, const Variable& b) { return sub(a, b); }
inline Variable operator*(const Variable& a, const Variable& b) { return mul(a, b); }
inline Variable operator/(const Variable& a, const Variable& b) { return div(a, b); }
inline Variable operator-(const Variable& a) { return neg(a); }
inline Variable operator+(const Variable& a, double b) { return add(a, b); }
inline Variable operator+(double a, const Variable& b) { return add(b, a); }
inline Variable operator-(const Variable& a, double b) { return add(a, -b); }
inline Variable operator-(double a, const Variable& b) { return add(neg(b), a); }
inline Variable operator*(const Variable& a, double b) { return mul(a, b); }
inline Variable operator*(double a, const Variable& b) { return mul(b, a); }
inline Variable operator/(const Variable& a, double b) { return mul(a, 1.0 / b); }

}  // namespace lambdahat
