// Matrix products. For C = A·B (batched or not):  dA = dC·Bᵀ,  dB = Aᵀ·dC.
// Transposes are views, so no operand is copied; gradients of broadcast batch
// dimensions are summed back by the engine. The gradient of a transposed matrix
// operand comes in that operand's layout (see matmul's backward).
#include "autograd/ops.hpp"
#include "lambdahat/version.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/matmul.hpp"
#include "tensor/reduction.hpp"

namespace lambdahat {

Variable matmul(const Variable& a, const Variable& b) {
  check(a.defined() && b.defined(), "matmul", "undefined variable");
  // vectors become matrices for the product and lose the added dimension after it
  if (a.dim() == 1 && b.dim() == 1) return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return make_result(Op::matmul, matmul(a.value(), b.value()), {a, b},
                     [x = a.value(), y = b.value(), need_a, need_b](const Tensor& g_in) -> Grads {
                       // a transposed gradient (from a transposed result) is copied into rows
                       // once: both products then read it along contiguous rows
                       const Tensor g = g_in.dim() == 2 && need_a && need_b ? g_in.contiguous() : g_in;
                       // An operand that is a transposed view of a row-major matrix (hᵀ in
                       // W·hᵀ) gets its gradient as the transposed product, computed into
                       // rows and seen transposed: dBᵀ = gᵀA, dAᵀ = B gᵀ. The gradient then
                       // reaches the matrix behind the view in its own layout, so the ops
                       // before it read contiguous rows.
                       const auto transposed_view = [](const Tensor& t) {
                         return t.dim() == 2 && !t.is_contiguous() && t.t().is_contiguous();
                       };
                       Tensor ga, gb;
                       if (need_a) ga = transposed_view(x) ? matmul(y, g.t()).t() : matmul(g, y.transpose(-1, -2));
                       if (need_b) gb = transposed_view(y) ? matmul(g.t(), x).t() : matmul(x.transpose(-1, -2), g);
                       return {ga, gb};
                     });
}

namespace {

// Gradients of y = x Wᵀ + b from g = dL/dy:  dx = g W,  dW = gᵀ x,  db = Σ_rows g.
struct LinearGrads {
  Tensor x, w;
  bool need_x, need_w, need_b;
  Grads operator()(const Tensor& g) const {
    // batched inputs are flattened to rows; the usual 2-D ones are used as they are
    Tensor g_rows;
    const Tensor& g2 = g.dim() == 2 ? g : (g_rows = g.reshape({-1, g.size(-1)}));
    return from_rows(g2, need_b ? sum(g2, {0}) : Tensor());
  }
  // g2: the gradient as rows; db: its sums over rows, when the bias needs them
  Grads from_rows(const Tensor& g2, Tensor db) const {
    Tensor x_rows;
    const Tensor& x2 = x.dim() == 2 ? x : (x_rows = x.reshape({-1, x.size(-1)}));
    return {need_x ? (x.dim() == 2 ? matmul(g2, w) : matmul(g2, w).reshape(x.shape())) : Tensor(),
            need_w ? matmul(g2.t(), x2) : Tensor(), std::move(db)};
  }
};

LinearGrads linear_grads(const Variable& x, const Variable& weight, const Variable& bias) {
  return {x.value(), weight.value(), x.requires_grad(), weight.requires_grad(),
          bias.defined() && bias.requires_grad()};
}

}  // namespace

Variable linear(const Variable& x, const Variable& weight, const Variable& bias) {
  Tensor out = linear(x.value(), weight.value(), bias.defined() ? bias.value() : Tensor());
  auto backward = [grads = linear_grads(x, weight, bias)](const Tensor& g) { return grads(g); };
  if (!bias.defined()) return make_result(Op::linear, std::move(out), {x, weight}, std::move(backward));
  return make_result(Op::linear, std::move(out), {x, weight, bias}, std::move(backward));
}

Variable reference::linear_relu(const Variable& x, const Variable& weight, const Variable& bias) {
  return relu(lambdahat::linear(x, weight, bias));
}

// r = relu(y), y = x Wᵀ + b:  dL/dy = g · [r > 0] (r > 0 exactly where y > 0), then
// as for linear.
Variable linear_relu(const Variable& x, const Variable& weight, const Variable& bias) {
  if constexpr (build::reference) return reference::linear_relu(x, weight, bias);
  Tensor out = linear_relu(x.value(), weight.value(), bias.defined() ? bias.value() : Tensor());
  auto backward = [grads = linear_grads(x, weight, bias), out](const Tensor& g) {
    if (!grads.need_b) return grads(relu_backward(g, out));
    // the masked gradient and the bias gradient in one pass
    Tensor g_rows, out_rows;
    const Tensor& g2 = g.dim() == 2 ? g : (g_rows = g.reshape({-1, g.size(-1)}));
    const Tensor& out2 = out.dim() == 2 ? out : (out_rows = out.reshape({-1, out.size(-1)}));
    auto [masked, db] = relu_backward_and_column_sums(g2, out2);
    return grads.from_rows(masked, std::move(db));
  };
  if (!bias.defined()) return make_result(Op::linear_relu, std::move(out), {x, weight}, std::move(backward));
  return make_result(Op::linear_relu, std::move(out), {x, weight, bias}, std::move(backward));
}

}  // namespace lambdahat
