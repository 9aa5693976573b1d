#include "nn/optim/adam.hpp"

#include "tensor/fused.hpp"

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
    Tensor value = p.value();
    // the update rule is written out in tensor/fused.hpp
    adam_step_(value, g, m_[i], v_[i],
               AdamStep{.lr = options_.lr, .beta1 = options_.beta1, .beta2 = options_.beta2, .eps = options_.eps,
                        .weight_decay = options_.weight_decay, .decoupled = decoupled_, .t = steps_});
  }
}

}  // namespace lambdahat
