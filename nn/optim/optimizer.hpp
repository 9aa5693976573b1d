// Optimizers update parameters in place from their .grad(), with recording off.
// Each keeps its per-parameter state (momentum, moments) in tensors of the
// parameter's shape, created on the first step.
#pragma once

#include <vector>

#include "autograd/variable.hpp"

namespace lambdahat {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Variable> params);
  virtual ~Optimizer() = default;
  // One update of every parameter that has a gradient.
  virtual void step() = 0;
  void zero_grad();
  const std::vector<Variable>& params() const { return params_; }
  std::int64_t steps() const { return steps_; }

 protected:
  std::vector<Variable> params_;
  std::int64_t steps_ = 0;
};

}  // namespace lambdahat
