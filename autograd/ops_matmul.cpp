// Matrix products. For C = A·B (batched or not):  dA = dC·Bᵀ,  dB = Aᵀ·dC.
// Transposes are views, so no operand is copied; gradients of broadcast batch
// dimensions are summed back by the engine.
#include "autograd/ops.hpp"
#include "tensor/matmul.hpp"

namespace lambdahat {

Variable matmul(const Variable& a, const Variable& b) {
  check(a.defined() && b.defined(), "matmul", "undefined variable");
  // vectors become matrices for the product and lose the added dimension after it
  if (a.dim() == 1 && b.dim() == 1) return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), -2);
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), -1);
  const bool need_a = a.requires_grad(), need_b = b.requires_grad();
  return make_result(Op::matmul, matmul(a.value(), b.value()), {a, b},
                     [x = a.value(), y = b.value(), need_a, need_b](const Tensor& g) -> std::vector<Tensor> {
                       return {need_a ? matmul(g, y.transpose(-1, -2)) : Tensor(),
                               need_b ? matmul(x.transpose(-1, -2), g) : Tensor()};
                     });
}

}  // namespace lambdahat
