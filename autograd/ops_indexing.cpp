// Indexing. Selecting rows copies them; the gradient scatters back and adds where an
// index repeats (index_add_ / scatter_add_ on a zero tensor).
#include "autograd/ops.hpp"
#include "lambdahat/version.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/indexing.hpp"

namespace lambdahat {

Variable index_select(const Variable& a, std::int64_t dim, const Tensor& index) {
  return make_result(Op::index_select, index_select(a.value(), dim, index), {a},
                     [shape = a.shape(), dim, index](const Tensor& g) -> Grads {
                       Tensor grad = zeros(shape, g.dtype());
                       index_add_(grad, dim, index, g);
                       return {grad};
                     });
}

Variable reference::index_select_add(const Variable& a, const Tensor& ia, const Variable& b, const Tensor& ib) {
  return index_select(a, 0, ia) + index_select(b, 0, ib);
}

Variable index_select_add(const Variable& a, const Tensor& ia, const Variable& b, const Tensor& ib) {
  if constexpr (build::reference) return reference::index_select_add(a, ia, b, ib);
  return make_result(Op::index_select_add, index_select_add(a.value(), ia, b.value(), ib), {a, b},
                     [a_shape = a.shape(), b_shape = b.shape(), ia, ib](const Tensor& g) -> Grads {
                       Tensor ga = zeros(a_shape, g.dtype()), gb = zeros(b_shape, g.dtype());
                       index_add_(ga, 0, ia, g);
                       index_add_(gb, 0, ib, g);
                       return {ga, gb};
                     });
}

Variable reference::index_select_add_gelu(const Variable& a, const Tensor& ia, const Variable& b, const Tensor& ib,
                                          GeluApprox approx) {
  return gelu(reference::index_select_add(a, ia, b, ib), approx);
}

Variable index_select_add_gelu(const Variable& a, const Tensor& ia, const Variable& b, const Tensor& ib,
                               GeluApprox approx) {
  if constexpr (build::reference) return reference::index_select_add_gelu(a, ia, b, ib, approx);
  const Tensor sum = index_select_add(a.value(), ia, b.value(), ib);
  if (!needs_grad({a, b})) return Variable(gelu(sum, approx));
  Tensor value, derivative;
  gelu_with_derivative(sum, approx, value, derivative);
  return make_result(Op::index_select_add_gelu, value, {a, b},
                     [a_shape = a.shape(), b_shape = b.shape(), ia, ib, derivative](const Tensor& g) -> Grads {
                       Tensor ga = zeros(a_shape, g.dtype()), gb = zeros(b_shape, g.dtype());
                       index_add_products_(ga, ia, gb, ib, g, derivative);
                       return {ga, gb};
                     });
}

Variable embedding(const Variable& weight, const Tensor& indices) {
  check(weight.dim() == 2, "embedding", "weight must be 2-D (vocabulary, dimension), got shape ", weight.shape());
  Dims shape = indices.shape();
  shape.push_back(weight.size(1));
  return reshape(index_select(weight, 0, indices.reshape({indices.numel()})), shape);
}

Variable gather(const Variable& a, std::int64_t dim, const Tensor& index) {
  return make_result(Op::gather, gather(a.value(), dim, index), {a},
                     [shape = a.shape(), dim, index](const Tensor& g) -> Grads {
                       Tensor grad = zeros(shape, g.dtype());
                       scatter_add_(grad, dim, index, g);
                       return {grad};
                     });
}

}  // namespace lambdahat
