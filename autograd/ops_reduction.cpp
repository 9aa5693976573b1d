// Reductions and their gradients. The gradient of a reduction spreads the output
// gradient back over the reduced dimensions: keep those dimensions as size 1, then
// broadcast (expand, which copies nothing).
#include "autograd/ops.hpp"
#include "lambdahat/version.hpp"
#include "tensor/integer_power.hpp"
#include "tensor/reduction.hpp"

namespace lambdahat {
namespace {

// g with the reduced dimensions of `dims` (over a tensor of rank `rank`) restored as 1.
Tensor keep_dims(const Tensor& g, const Dims& dims, int rank, bool keepdim) {
  if (keepdim) return g;
  Dims shape;
  bool reduced[Dims::kMaxRank] = {};
  if (dims.empty())
    for (int d = 0; d < rank; ++d) reduced[d] = true;
  for (auto d : dims) reduced[normalize_dim(d, rank, "sum")] = true;
  int k = 0;
  for (int d = 0; d < rank; ++d) shape.push_back(reduced[d] ? 1 : g.size(k++));
  return g.reshape(shape);
}

std::int64_t reduced_count(const Tensor& x, const Tensor& out) { return x.numel() / std::max<std::int64_t>(out.numel(), 1); }
}  // namespace

// d Σ a = broadcast of g
Variable sum(const Variable& a, const Dims& dims, bool keepdim) {
  return make_result(Op::sum, sum(a.value(), dims, keepdim), {a},
                     [shape = a.shape(), dims, keepdim](const Tensor& g) -> Grads {
                       return {keep_dims(g, dims, shape.size(), keepdim).expand(shape)};
                     });
}

Variable mean(const Variable& a, const Dims& dims, bool keepdim) {
  Variable s = sum(a, dims, keepdim);
  return mul(s, 1.0 / static_cast<double>(reduced_count(a.value(), s.value())));
}

namespace {
// The gradient goes to the elements equal to the extreme, shared equally on ties.
Variable extreme(Op op, const Variable& a, const Dims& dims, bool keepdim, bool want_max) {
  Tensor out = want_max ? max(a.value(), dims, keepdim) : min(a.value(), dims, keepdim);
  return make_result(op, out, {a}, [x = a.value(), out, dims, keepdim](const Tensor& g) -> Grads {
    const Tensor winners = eq(x, keep_dims(out, dims, x.dim(), keepdim));
    const Tensor count = sum(winners, dims, /*keepdim=*/true);
    return {mul(keep_dims(g, dims, x.dim(), keepdim), div(winners, count))};
  });
}
}  // namespace

Variable max(const Variable& a, const Dims& dims, bool keepdim) { return extreme(Op::max, a, dims, keepdim, true); }
Variable min(const Variable& a, const Dims& dims, bool keepdim) { return extreme(Op::min, a, dims, keepdim, false); }

// d log Σ e^a = softmax(a) · g
Variable logsumexp(const Variable& a, const Dims& dims, bool keepdim) {
  Tensor out = logsumexp(a.value(), dims, keepdim);
  return make_result(Op::logsumexp, out, {a}, [x = a.value(), out, dims, keepdim](const Tensor& g) -> Grads {
    const Tensor softmax = exp(sub(x, keep_dims(out, dims, x.dim(), keepdim)));
    return {mul(keep_dims(g, dims, x.dim(), keepdim), softmax)};
  });
}

// Σ(a − mean)² / (n − correction), composed from differentiable parts.
Variable var(const Variable& a, const Dims& dims, std::int64_t correction, bool keepdim) {
  const Variable centered = sub(a, mean(a, dims, /*keepdim=*/true));
  const Variable ss = sum(square(centered), dims, keepdim);
  const double n = static_cast<double>(reduced_count(a.value(), ss.value()));
  check(n - static_cast<double>(correction) > 0, "var", "needs more than ", correction, " elements per output, got ", n);
  return mul(ss, 1.0 / (n - static_cast<double>(correction)));
}

// Π_i w_i^{k_i}, and its gradient k_i w_i^{k_i − 1} Π_{j≠i} w_j^{k_j} · g computed
// as a product (no division), so it is right where some w_j = 0, the singular
// points the polynomial regressors are about. In double for either float dtype.
namespace {
void check_monomial(const Variable& w, const std::vector<int>& powers) {
  check(w.defined(), "monomial", "undefined variable");
  check(w.dim() == 1 && w.size(0) == static_cast<std::int64_t>(powers.size()), "monomial", "needs a 1-D tensor of ",
        powers.size(), " elements (one per power), got shape ", w.shape());
  check(is_floating(w.dtype()), "monomial", "needs a floating-point tensor, got ", w.dtype());
  for (int k : powers) check(k >= 0, "monomial", "powers must be >= 0, got ", k);
}
}  // namespace

Variable reference::monomial(const Variable& w, const std::vector<int>& powers) {
  check_monomial(w, powers);
  Variable product = Variable(ones({}, w.dtype()));
  for (std::size_t i = 0; i < powers.size(); ++i)
    if (powers[i] != 0) product = product * pow(select(w, 0, static_cast<std::int64_t>(i)), powers[i]);
  return product;
}

// The product in float64 whatever w's dtype, and its gradient
// ∂/∂w_i = k_i w_i^{k_i − 1} Π_{j≠i} w_j^{k_j}, each in one pass over the powers.
Variable monomial(const Variable& w, const std::vector<int>& powers) {
  if constexpr (build::reference) return reference::monomial(w, powers);
  check_monomial(w, powers);
  const std::vector<double> x = w.value().to(kFloat64).to_vector<double>();
  double product = 1;
  for (std::size_t i = 0; i < x.size(); ++i) product *= integer_power(x[i], powers[i]);
  Tensor out = full({}, product, w.dtype());
  return make_result(Op::monomial, out, {w}, [x, powers, dtype = w.dtype()](const Tensor& g) -> Grads {
    const double scale = g.item();
    std::vector<double> grad(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (powers[i] == 0) continue;
      double d = powers[i] * integer_power(x[i], powers[i] - 1);
      for (std::size_t j = 0; j < x.size(); ++j)
        if (j != i) d *= integer_power(x[j], powers[j]);
      grad[i] = scale * d;
    }
    return {from_vector(grad, {static_cast<std::int64_t>(grad.size())}, dtype)};
  });
}

}  // namespace lambdahat
