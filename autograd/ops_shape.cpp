// Shape operations. Forward results are views of the input; gradients undo the
// view: reshape back, permute back, pad a slice with zeros, split a concatenation.
// expand needs nothing: the engine sums the broadcast gradient back (sum_to).
#include "autograd/ops.hpp"
#include "tensor/indexing.hpp"

namespace lambdahat {

Variable reshape(const Variable& a, const Dims& shape) {
  return make_result(Op::reshape, a.value().reshape(shape), {a},
                     [in = a.shape()](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

Variable flatten(const Variable& a) { return reshape(a, {a.numel()}); }

Variable permute(const Variable& a, const Dims& order) {
  Tensor out = a.value().permute(order);
  Dims inverse = order;
  for (int i = 0; i < order.size(); ++i) inverse[normalize_dim(order[i], order.size(), "permute")] = i;
  return make_result(Op::permute, out, {a}, [inverse](const Tensor& g) -> Grads { return {g.permute(inverse)}; });
}

Variable transpose(const Variable& a, std::int64_t d0, std::int64_t d1) {
  Dims order;
  for (int d = 0; d < a.dim(); ++d) order.push_back(d);
  const int i = normalize_dim(d0, a.dim(), "transpose"), j = normalize_dim(d1, a.dim(), "transpose");
  std::swap(order[i], order[j]);
  return permute(a, order);
}

Variable slice(const Variable& a, std::int64_t dim, std::int64_t start, std::int64_t stop, std::int64_t step) {
  Tensor out = a.value().slice(dim, start, stop, step);
  return make_result(Op::slice, out, {a}, [shape = a.shape(), dim, start, stop, step](const Tensor& g) -> Grads {
    Tensor full_grad = zeros(shape, g.dtype());
    full_grad.slice(dim, start, stop, step).copy_(g);
    return {full_grad};
  });
}

Variable narrow(const Variable& a, std::int64_t dim, std::int64_t start, std::int64_t length) {
  (void)a.value().narrow(dim, start, length);  // checks the range
  return slice(a, dim, start, start + length);
}

Variable select(const Variable& a, std::int64_t dim, std::int64_t index) {
  const int d = normalize_dim(dim, a.dim(), "select");
  const std::int64_t i = index < 0 ? index + a.size(d) : index;
  (void)a.value().select(d, i);  // checks the index
  return squeeze(slice(a, d, i, i + 1), d);
}

Variable expand(const Variable& a, const Dims& shape) {
  return make_result(Op::expand, a.value().expand(shape), {a}, [](const Tensor& g) -> Grads { return {g}; });
}

Variable squeeze(const Variable& a, std::int64_t dim) {
  return reshape(a, a.value().squeeze(dim).shape());
}

Variable unsqueeze(const Variable& a, std::int64_t dim) {
  return reshape(a, a.value().unsqueeze(dim).shape());
}

Variable concat(const std::vector<Variable>& parts, std::int64_t dim) {
  std::vector<Tensor> values;
  for (const auto& p : parts) {
    check(p.defined(), "concat", "undefined variable");
    values.push_back(p.value());
  }
  Tensor out = concat(values, dim);
  const int d = normalize_dim(dim, out.dim(), "concat");
  std::vector<std::int64_t> sizes;
  for (const auto& v : values) sizes.push_back(v.size(d));
  bool needs = false;
  for (const auto& p : parts) needs = needs || p.requires_grad();
  if (!needs || !grad_enabled()) return Variable(out);
  return attach_node(Op::concat, out, Inputs(parts.begin(), parts.end()), [d, sizes](const Tensor& g) -> Grads {
    Grads grads;
    std::int64_t at = 0;
    for (auto s : sizes) {
      grads.push_back(g.narrow(d, at, s));
      at += s;
    }
    return grads;
  });
}

Variable stack(const std::vector<Variable>& parts, std::int64_t dim) {
  check(!parts.empty(), "stack", "no variables given");
  std::vector<Variable> expanded;
  for (const auto& p : parts) expanded.push_back(unsqueeze(p, dim < 0 ? dim + p.dim() + 1 : dim));
  return concat(expanded, dim < 0 ? dim + parts.front().dim() + 1 : dim);
}

}  // namespace lambdahat
