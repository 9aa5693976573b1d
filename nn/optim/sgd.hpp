// Stochastic gradient descent with PyTorch's semantics:
//   g ← g + weight_decay · p
//   buf ← momentum · buf + (1 − dampening) · g        (buf = g on the first step)
//   g ← g + momentum · buf  (Nesterov)   or   g ← buf
//   p ← p − lr · g
#pragma once

#include "nn/optim/optimizer.hpp"

namespace lambdahat {

struct SGDOptions {
  double lr = 0.01;
  double momentum = 0;
  double dampening = 0;
  bool nesterov = false;
  double weight_decay = 0;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Variable> params, SGDOptions options);
  void step() override;

 private:
  SGDOptions options_;
  std::vector<Tensor> momentum_;
};

}  // namespace lambdahat
