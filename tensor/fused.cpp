#include "tensor/fused.hpp"

#include <array>
#include <cmath>

#include "tensor/detail/simd.hpp"

namespace lambdahat {

SquaredDifference squared_difference(const Tensor& p, const Tensor& y, double factor) {
  check(p.shape() == y.shape() && p.dtype() == y.dtype(), "squared_difference", "tensors of shape ", p.shape(), " and ",
        y.shape(), " (", p.dtype(), ", ", y.dtype(), ") do not match");
  check(p.is_contiguous() && y.is_contiguous(), "squared_difference", "needs contiguous tensors");
  SquaredDifference r;
  r.slope = Tensor::empty(p.shape(), p.dtype());
  visit_floating(p.dtype(), "squared_difference", [&](auto tag) {
    using T = decltype(tag);
    r.sum = static_cast<double>(simd::difference_and_square_sum(p.data<T>(), y.data<T>(), r.slope.data<T>(), p.numel(),
                                                                static_cast<T>(factor)));
  });
  return r;
}

namespace {
// One pass over a parameter and its two moments, a vector of elements at a time.
template <class T>
void adam_kernel(T* p, const T* g, T* m, T* v, std::int64_t n, const AdamStep& s) {
  const T b1 = static_cast<T>(s.beta1), b2 = static_cast<T>(s.beta2), eps = static_cast<T>(s.eps);
  const T wd = static_cast<T>(s.weight_decay);
  const T step_size = static_cast<T>(s.lr / (1 - std::pow(s.beta1, static_cast<double>(s.t))));
  const T inv_sqrt_bc2 = static_cast<T>(1 / std::sqrt(1 - std::pow(s.beta2, static_cast<double>(s.t))));
  const T decay = static_cast<T>(1 - s.lr * s.weight_decay);
  const bool decoupled = s.decoupled;
  auto update = [&](auto grad, auto param, auto mean, auto second) {
    using V = decltype(grad);
    if (decoupled) param = param * V(decay);
    else grad = grad + V(wd) * param;
    mean = V(b1) * mean + V(1 - b1) * grad;
    second = V(b2) * second + V(1 - b2) * grad * grad;
    param = param - V(step_size) * mean / (xsimd::sqrt(second) * V(inv_sqrt_bc2) + V(eps));
    return std::array<V, 3>{param, mean, second};
  };
  using V = simd::Vec<T>;
  constexpr std::int64_t W = simd::kLanes<T>;
  std::int64_t i = 0;
  for (; i + W <= n; i += W) {
    const auto [param, mean, second] = update(V::load_unaligned(g + i), V::load_unaligned(p + i),
                                              V::load_unaligned(m + i), V::load_unaligned(v + i));
    param.store_unaligned(p + i);
    mean.store_unaligned(m + i);
    second.store_unaligned(v + i);
  }
  if (i < n) {  // the last partial vector
    const std::int64_t r = n - i;
    const auto [param, mean, second] = update(simd::load_partial(g + i, r), simd::load_partial(p + i, r),
                                              simd::load_partial(m + i, r), simd::load_partial(v + i, r));
    simd::store_partial(p + i, param, r);
    simd::store_partial(m + i, mean, r);
    simd::store_partial(v + i, second, r);
  }
}
}  // namespace

void adam_step_(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const AdamStep& step) {
  for (const Tensor* t : {&grad, static_cast<const Tensor*>(&m), static_cast<const Tensor*>(&v)})
    check(t->numel() == param.numel() && t->dtype() == param.dtype() && t->is_contiguous(), "adam_step_",
          "the gradient and moments must be contiguous and match the parameter");
  check(param.is_contiguous(), "adam_step_", "the parameter must be contiguous");
  visit_floating(param.dtype(), "adam_step_", [&](auto tag) {
    using T = decltype(tag);
    adam_kernel<T>(param.data<T>(), grad.data<T>(), m.data<T>(), v.data<T>(), param.numel(), step);
  });
}

Tensor cross_entropy_logit_grad(const Tensor& probs, const std::vector<std::int64_t>& t, const Tensor& g,
                                bool per_row, double scale) {
  const std::int64_t B = probs.size(0), C = probs.size(1);
  // the gradient in the layout of the probabilities: rows (B, C), or class-major
  // (C, B) seen transposed
  const bool class_major = !probs.is_contiguous();
  Tensor grad = class_major ? Tensor::empty({C, B}, probs.dtype()).t() : Tensor::empty(probs.shape(), probs.dtype());
  const std::int64_t row = grad.stride(0), col = grad.stride(1);
  visit_floating(grad.dtype(), "cross_entropy_logit_grad", [&](auto tag) {
    using T = decltype(tag);
    const T* p = probs.data<T>();
    T* out = grad.data<T>();
    const Tensor gc = g.contiguous();
    const T* gv = gc.data<T>();
    // as mul(g, scale) rounds it: the scale in T, then one product
    const T uniform = per_row ? T(0) : gv[0] * static_cast<T>(scale);
    const auto row_scale = [&](std::int64_t i) { return per_row ? gv[i] : uniform; };
    const auto times = [](T factor) { return [factor](auto x) { return x * decltype(x)(factor); }; };
    if (!per_row) {
      simd::map<T, 1>(out, {p}, {false}, B * C, times(uniform));
    } else if (class_major) {  // each class's row times the rows' gradients
      for (std::int64_t c = 0; c < C; ++c)
        simd::map<T, 2>(out + c * B, {p + c * B, gv}, {false, false}, B, [](auto x, auto y) { return x * y; });
    } else {
      for (std::int64_t i = 0; i < B; ++i) simd::map<T, 1>(out + i * C, {p + i * C}, {false}, C, times(gv[i]));
    }
    for (std::int64_t i = 0; i < B; ++i) {
      const std::int64_t at = i * row + t[i] * col;
      out[at] = (p[at] - T(1)) * row_scale(i);
    }
  });
  return grad;
}

}  // namespace lambdahat
