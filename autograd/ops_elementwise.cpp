// Elementwise operations and their gradients. Each op computes its value with the
// tensor op of the same name and records how to turn the output gradient g into
// input gradients. Gradients may keep the broadcast shape: the engine sums them
// back to each input's shape (sum_to in engine.cpp).
#include "autograd/ops.hpp"

namespace lambdahat {
namespace {

// A constant of the tensor's dtype, as a broadcastable scalar tensor.
Tensor constant(double v, const Tensor& like) { return scalar(v, like.dtype()); }
}  // namespace

Variable add(const Variable& a, const Variable& b) {
  return make_result(Op::add, add(a.value(), b.value()), {a, b}, [](const Tensor& g) -> Grads { return {g, g}; });
}

Variable sub(const Variable& a, const Variable& b) {
  return make_result(Op::sub, sub(a.value(), b.value()), {a, b},
                     [](const Tensor& g) -> Grads { return {g, neg(g)}; });
}

// d(ab) = b da + a db
Variable mul(const Variable& a, const Variable& b) {
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return make_result(Op::mul, mul(a.value(), b.value()), {a, b},
                     [x = a.value(), y = b.value(), need_a, need_b](const Tensor& g) -> Grads {
                       return {need_a ? mul(g, y) : Tensor(), need_b ? mul(g, x) : Tensor()};
                     });
}

// d(a/b) = da / b − (a/b) db / b
Variable div(const Variable& a, const Variable& b) {
  Tensor out = div(a.value(), b.value());
  const bool need_b = b.requires_grad();
  return make_result(Op::div, out, {a, b}, [y = b.value(), out, need_b](const Tensor& g) -> Grads {
    Tensor ga = div(g, y);
    return {ga, need_b ? neg(mul(ga, out)) : Tensor()};
  });
}

// d(a^b) = b a^(b−1) da + a^b log(a) db
Variable pow(const Variable& a, const Variable& b) {
  Tensor out = pow(a.value(), b.value());
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return make_result(Op::pow, out, {a, b}, [x = a.value(), y = b.value(), out, need_a, need_b](const Tensor& g) -> Grads {
    return {need_a ? mul(g, mul(y, pow(x, sub(y, constant(1, y))))) : Tensor(),
            need_b ? mul(g, mul(out, log(x))) : Tensor()};
  });
}

// d(a^p) = p a^(p−1) da
Variable pow(const Variable& a, double exponent) {
  return make_result(Op::pow_scalar, pow(a.value(), exponent), {a}, [x = a.value(), exponent](const Tensor& g) -> Grads {
    if (exponent == 0) return {zeros_like(g)};
    return {mul(g, mul(pow(x, exponent - 1), exponent))};
  });
}

namespace {
// Gradient mask of maximum(a, b) for a: 1 where a wins, ½ on ties, 0 elsewhere.
Tensor winner_mask(const Tensor& a, const Tensor& b, bool want_max) {
  const Tensor wins = want_max ? gt(a, b) : lt(a, b);
  return add(wins, mul(eq(a, b), 0.5));
}

Variable extreme(Op op, const Variable& a, const Variable& b, bool want_max) {
  Tensor out = want_max ? maximum(a.value(), b.value()) : minimum(a.value(), b.value());
  return make_result(op, out, {a, b}, [x = a.value(), y = b.value(), want_max](const Tensor& g) -> Grads {
    const Tensor mask = winner_mask(x, y, want_max);
    return {mul(g, mask), mul(g, add(neg(mask), 1.0))};
  });
}
}  // namespace

Variable maximum(const Variable& a, const Variable& b) { return extreme(Op::maximum, a, b, true); }
Variable minimum(const Variable& a, const Variable& b) { return extreme(Op::minimum, a, b, false); }

Variable where(const Tensor& cond, const Variable& a, const Variable& b) {
  return make_result(Op::where, where(cond, a.value(), b.value()), {a, b}, [cond](const Tensor& g) -> Grads {
    const Tensor zero = constant(0, g);
    return {where(cond, g, zero), where(cond, zero, g)};
  });
}

Variable add(const Variable& a, double b) { return add(a, Variable(constant(b, a.value()))); }
Variable mul(const Variable& a, double b) { return mul(a, Variable(constant(b, a.value()))); }

Variable clamp(const Variable& a, double lo, double hi) {
  return make_result(Op::clamp, clamp(a.value(), lo, hi), {a}, [x = a.value(), lo, hi](const Tensor& g) -> Grads {
    const Tensor inside = mul(ge(x, constant(lo, x)), le(x, constant(hi, x)));
    return {mul(g, inside)};
  });
}

Variable neg(const Variable& a) {
  return make_result(Op::neg, neg(a.value()), {a}, [](const Tensor& g) -> Grads { return {neg(g)}; });
}

Variable exp(const Variable& a) {  // d e^a = e^a da
  Tensor out = exp(a.value());
  return make_result(Op::exp, out, {a}, [out](const Tensor& g) -> Grads { return {mul(g, out)}; });
}

Variable log(const Variable& a) {  // d log a = da / a
  return make_result(Op::log, log(a.value()), {a}, [x = a.value()](const Tensor& g) -> Grads { return {div(g, x)}; });
}

Variable sqrt(const Variable& a) {  // d √a = da / (2√a)
  Tensor out = sqrt(a.value());
  return make_result(Op::sqrt, out, {a}, [out](const Tensor& g) -> Grads { return {div(mul(g, 0.5), out)}; });
}

Variable square(const Variable& a) {  // d a² = 2a da
  return make_result(Op::square, square(a.value()), {a},
                     [x = a.value()](const Tensor& g) -> Grads { return {mul(mul(g, x), 2.0)}; });
}

Variable abs(const Variable& a) {  // d|a| = sign(a) da
  return make_result(Op::abs, abs(a.value()), {a}, [x = a.value()](const Tensor& g) -> Grads { return {mul(g, sign(x))}; });
}

Variable tanh(const Variable& a) {  // d tanh a = (1 − tanh² a) da
  Tensor out = tanh(a.value());
  return make_result(Op::tanh, out, {a}, [out](const Tensor& g) -> Grads {
    return {mul(g, add(neg(square(out)), 1.0))};
  });
}

Variable sigmoid(const Variable& a) {  // dσ = σ(1 − σ) da
  Tensor out = sigmoid(a.value());
  return make_result(Op::sigmoid, out, {a}, [out](const Tensor& g) -> Grads {
    return {mul(g, mul(out, add(neg(out), 1.0)))};
  });
}

Variable relu(const Variable& a) {
  return make_result(Op::relu, relu(a.value()), {a},
                     [x = a.value()](const Tensor& g) -> Grads { return {relu_backward(g, x)}; });
}

Variable softplus(const Variable& a) {  // d softplus = σ(a) da
  return make_result(Op::softplus, softplus(a.value()), {a},
                     [x = a.value()](const Tensor& g) -> Grads { return {softplus_backward(g, x)}; });
}

// When a gradient will be needed, the forward pass also computes gelu'(x) (they
// share the exponential) and the backward pass is a product.
Variable gelu(const Variable& a, GeluApprox approx) {
  const Op op = approx == GeluApprox::tanh ? Op::gelu_tanh : Op::gelu;
  if (!needs_grad({a})) return Variable(gelu(a.value(), approx));
  Tensor value, derivative;
  gelu_with_derivative(a.value(), approx, value, derivative);
  return make_result(op, value, {a}, [derivative](const Tensor& g) -> Grads { return {mul(g, derivative)}; });
}

}  // namespace lambdahat
