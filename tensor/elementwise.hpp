// Elementwise operations with NumPy broadcasting.
//
// Binary operations take two tensors of the same dtype whose shapes broadcast
// (trailing dimensions equal or 1); the result has the broadcast shape and is
// contiguous. Comparisons return 1 or 0 in the dtype of their inputs (there is no
// bool dtype), and `where` treats any non-zero as true. Transcendental functions
// need a floating-point dtype; arithmetic, comparisons, abs, neg, clamp, maximum
// and minimum also accept int64.
//
// In-place forms (suffix _) write into their first argument, whose shape must be
// the broadcast shape; they are what optimizers and samplers use.
//
// Output forms (a last argument `out`) write the result into an existing tensor of
// the result's shape and dtype instead of allocating one: a loop that reuses its
// buffers then never asks the system for memory, whose first touch of a fresh page
// costs more than the op itself on tensors of hundreds of MiB. `out` may be one of
// the inputs (the same view), but must not otherwise share memory with them.
#pragma once

#include "tensor/tensor.hpp"

namespace lambdahat {

// ---- binary, broadcasting ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

void add(const Tensor& a, const Tensor& b, Tensor& out);
void sub(const Tensor& a, const Tensor& b, Tensor& out);
void mul(const Tensor& a, const Tensor& b, Tensor& out);
void div(const Tensor& a, const Tensor& b, Tensor& out);
void maximum(const Tensor& a, const Tensor& b, Tensor& out);
void minimum(const Tensor& a, const Tensor& b, Tensor& out);

// cond ? a : b, all three broadcast together.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// ---- with a scalar (converted to the tensor's dtype) ----
Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor pow(const Tensor& a, double exponent);  // small integer exponents are exact products
Tensor clamp(const Tensor& a, double lo, double hi);

// ---- unary ----
Tensor neg(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor sign(const Tensor& a);
Tensor square(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor log1p(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor softplus(const Tensor& a);  // log(1 + e^x), computed without overflow

void neg(const Tensor& a, Tensor& out);
void abs(const Tensor& a, Tensor& out);
void square(const Tensor& a, Tensor& out);
void exp(const Tensor& a, Tensor& out);
void log(const Tensor& a, Tensor& out);
void sqrt(const Tensor& a, Tensor& out);
void tanh(const Tensor& a, Tensor& out);
void sigmoid(const Tensor& a, Tensor& out);
void relu(const Tensor& a, Tensor& out);
void softplus(const Tensor& a, Tensor& out);

enum class GeluApprox { none, tanh };
// GELU: x Φ(x) = x/2 (1 + erf(x/√2)), or the tanh form
// x/2 (1 + tanh(√(2/π) (x + 0.044715 x³))).
Tensor gelu(const Tensor& a, GeluApprox approx = GeluApprox::none);
void gelu(const Tensor& a, Tensor& out, GeluApprox approx = GeluApprox::none);

// GELU and its derivative gelu'(x) in one pass (sharing the exponential), for the
// forward pass of training, where the backward pass then only multiplies.
void gelu_with_derivative(const Tensor& a, GeluApprox approx, Tensor& value, Tensor& derivative);

// ---- derivatives of the activations, fused with the incoming gradient g ----
Tensor gelu_backward(const Tensor& g, const Tensor& x, GeluApprox approx);  // g · gelu'(x)
Tensor relu_backward(const Tensor& g, const Tensor& x);                      // g · [x > 0]
Tensor softplus_backward(const Tensor& g, const Tensor& x);                  // g · σ(x)

// ---- in place ----
void add_(Tensor& a, const Tensor& b);
void add_(Tensor& a, const Tensor& b, double alpha);  // a += alpha · b
void sub_(Tensor& a, const Tensor& b);
void mul_(Tensor& a, const Tensor& b);
void div_(Tensor& a, const Tensor& b);
void add_(Tensor& a, double b);
void mul_(Tensor& a, double b);
void clamp_(Tensor& a, double lo, double hi);

// ---- operators ----
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double b) { return add(a, b); }
inline Tensor operator+(double a, const Tensor& b) { return add(b, a); }
inline Tensor operator-(const Tensor& a, double b) { return add(a, -b); }
inline Tensor operator-(double a, const Tensor& b) { return add(neg(b), a); }
inline Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
inline Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
inline Tensor operator/(const Tensor& a, double b) { return mul(a, 1.0 / b); }
inline Tensor operator/(double a, const Tensor& b) { return div(full(b.shape(), a, b.dtype()), b); }

// ---- comparison of whole tensors ----
// True when shapes match and |a - b| <= atol + rtol·|b| everywhere (NaNs equal only if equal_nan).
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);

// Whether every element is finite (no NaN or infinity).
bool all_finite(const Tensor& a);

}  // namespace lambdahat
