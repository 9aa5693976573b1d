#include "nn/optim/sgd.hpp"

namespace lambdahat {

SGD::SGD(std::vector<Variable> params, SGDOptions options) : Optimizer(std::move(params)), options_(options) {
  check(options.lr > 0, "SGD", "learning rate must be positive, got ", options.lr);
  check(options.momentum >= 0 && options.weight_decay >= 0, "SGD", "momentum and weight decay must be >= 0");
  check(!options.nesterov || (options.momentum > 0 && options.dampening == 0), "SGD",
        "Nesterov momentum needs momentum > 0 and no dampening");
  momentum_.resize(params_.size());
}

namespace {
// One fused pass over a parameter: reads p, g and the momentum buffer once.
template <class T>
void sgd_update(T* p, const T* g, T* buf, std::int64_t n, const SGDOptions& o, bool first) {
  const T lr = static_cast<T>(o.lr), mu = static_cast<T>(o.momentum), wd = static_cast<T>(o.weight_decay);
  const T damp = static_cast<T>(1 - o.dampening);
  for (std::int64_t i = 0; i < n; ++i) {
    T d = g[i] + wd * p[i];
    if (buf) {
      buf[i] = first ? d : mu * buf[i] + damp * d;
      d = o.nesterov ? d + mu * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}
}  // namespace

void SGD::step() {
  const bool first = steps_ == 0;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    Variable& p = params_[i];
    if (!p.grad().defined()) continue;
    if (options_.momentum != 0 && !momentum_[i].defined()) momentum_[i] = zeros_like(p.value());
    const Tensor g = p.grad().contiguous();
    visit_floating(p.dtype(), "SGD", [&](auto tag) {
      using T = decltype(tag);
      sgd_update<T>(p.value().data<T>(), g.data<T>(), options_.momentum != 0 ? momentum_[i].data<T>() : nullptr,
                    p.numel(), options_, first || !momentum_[i].defined());
    });
  }
  ++steps_;
}

}  // namespace lambdahat
