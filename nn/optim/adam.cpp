#include "nn/optim/adam.hpp"

#include <array>
#include <cmath>

#include "tensor/detail/simd.hpp"

namespace lambdahat {

Adam::Adam(std::vector<Variable> params, AdamOptions options, bool decoupled)
    : Optimizer(std::move(params)), options_(options), decoupled_(decoupled) {
  check(options.lr > 0, "Adam", "learning rate must be positive, got ", options.lr);
  check(options.beta1 >= 0 && options.beta1 < 1 && options.beta2 >= 0 && options.beta2 < 1, "Adam",
        "betas must be in [0, 1), got ", options.beta1, " and ", options.beta2);
  check(options.eps >= 0 && options.weight_decay >= 0, "Adam", "eps and weight decay must be >= 0");
  m_.resize(params_.size());
  v_.resize(params_.size());
}

namespace {
// One fused pass over a parameter and its two moments, a vector of elements at a
// time.
template <class T>
void adam_update(T* p, const T* g, T* m, T* v, std::int64_t n, const AdamOptions& o, bool decoupled,
                 std::int64_t t) {
  const T b1 = static_cast<T>(o.beta1), b2 = static_cast<T>(o.beta2), eps = static_cast<T>(o.eps);
  const T wd = static_cast<T>(o.weight_decay);
  const T step_size = static_cast<T>(o.lr / (1 - std::pow(o.beta1, static_cast<double>(t))));
  const T inv_sqrt_bc2 = static_cast<T>(1 / std::sqrt(1 - std::pow(o.beta2, static_cast<double>(t))));
  const T decay = static_cast<T>(1 - o.lr * o.weight_decay);
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

void Adam::step() {
  ++steps_;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Variable& p = params_[i];
    if (!p.grad().defined()) continue;
    if (!m_[i].defined()) {
      m_[i] = zeros_like(p.value());
      v_[i] = zeros_like(p.value());
    }
    const Tensor g = p.grad().contiguous();
    visit_floating(p.dtype(), "Adam", [&](auto tag) {
      using T = decltype(tag);
      adam_update<T>(p.value().data<T>(), g.data<T>(), m_[i].data<T>(), v_[i].data<T>(), p.numel(), options_,
                     decoupled_, steps_);
    });
  }
}

}  // namespace lambdahat
