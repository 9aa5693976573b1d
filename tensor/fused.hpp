// Fused kernels: several elementwise steps in one pass over memory, for the loss and
// optimizer updates that run at every training or sampling step. Each function
// states the plain computation it performs; the results equal that computation up
// to the rounding noted, and a reader can take the plain formula as the definition
// and skip the kernel.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.hpp"

namespace lambdahat {

// The sum of squared differences and the scaled differences, in one pass:
//
//   sum   = Σ_i (p_i − y_i)²            (pairwise summation, as sum() does)
//   slope = factor · (p − y)
//
// p and y contiguous, of one floating dtype and the same shape. The sum is
// accumulated in the dtype of p and returned widened to double.
struct SquaredDifference {
  double sum = 0;
  Tensor slope;
};
SquaredDifference squared_difference(const Tensor& p, const Tensor& y, double factor);

// One Adam step for a parameter, its gradient and its two moments, in place, for
// t = the step number (from 1):
//
//   g ← g + λ·p                        (L2 weight decay in the gradient; Adam)
//   p ← (1 − lr·λ)·p                   (decoupled weight decay instead; AdamW)
//   m ← β₁·m + (1 − β₁)·g
//   v ← β₂·v + (1 − β₂)·g²
//   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)
//
// All four tensors contiguous, of one floating dtype and size.
struct AdamStep {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool decoupled = false;  // AdamW
  std::int64_t t = 1;
};
void adam_step_(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const AdamStep& step);

// The gradient of the cross-entropy of softmax(z) with respect to the logits z,
// given the probabilities p = softmax(z) (B, C), the targets t and the gradient g of
// the loss:
//
//   grad[i, c] = (p[i, c] − [c = t_i]) · s_i,    s_i = g_i (per-row losses) or g·scale
//
// computed as p·s_i, then the target entries as (p − 1)·s_i, the roundings of
// subtracting first. The result has the layout of p (class-major when p is).
Tensor cross_entropy_logit_grad(const Tensor& probs, const std::vector<std::int64_t>& targets, const Tensor& g,
                                bool per_row, double scale);

}  // namespace lambdahat
