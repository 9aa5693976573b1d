#include "nn/optim/optimizer.hpp"

namespace lambdahat {

Optimizer::Optimizer(std::vector<Variable> params) : params_(std::move(params)) {
  for (const auto& p : params_) {
    check(p.defined() && p.is_leaf(), "Optimizer", "parameters must be leaf variables");
    check(p.value().is_contiguous(), "Optimizer", "parameters must be contiguous, got strides ", p.value().strides());
  }
}

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

}  // namespace lambdahat
