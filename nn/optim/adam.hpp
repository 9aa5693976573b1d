// Adam (Kingma & Ba 2015) with PyTorch's semantics, and AdamW (Loshchilov & Hutter
// 2019). With t the step count, β1, β2, ε from the options:
//
//   Adam:   g ← g + weight_decay · p          (L2 penalty in the gradient; the seed study uses this)
//   AdamW:  p ← p · (1 − lr · weight_decay)   (decoupled decay), g unchanged
//   m ← β1 m + (1 − β1) g
//   v ← β2 v + (1 − β2) g²
//   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
#pragma once

#include "nn/optim/optimizer.hpp"

namespace lambdahat {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Variable> params, AdamOptions options, bool decoupled_weight_decay = false);
  void step() override;

 private:
  AdamOptions options_;
  bool decoupled_;
  std::vector<Tensor> m_, v_;
};

}  // namespace lambdahat
