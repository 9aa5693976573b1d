// The toy model of superposition (Elhage et al. 2022; Chen et al. 2023):
//
//   f(x) = ReLU(Wᵀ W x + b),   W (hidden, features), b (features)
//
// W is used twice (tied weights). Parameter names match the PyTorch reference: W, b.
#pragma once

#include "nn/module.hpp"
#include "tensor/random.hpp"

namespace lambdahat {

class ToyModel : public ModuleBase<ToyModel> {
 public:
  // W ~ N(0, 0.5²) and b = 0, as in the PyTorch reference workload; use
  // init_noisy_kgon for the seed study's start.
  ToyModel(std::int64_t features, std::int64_t hidden, Generator& gen, DType dtype = kFloat32);

  Variable W, b;

  void visit(ModuleVisitor& v) override;
  // x (B, features) → (B, features)
  Variable forward(const Variable& x) override;
  std::string type_name() const override { return "ToyModel"; }
  std::int64_t features() const { return W.size(1); }
  std::int64_t hidden() const { return W.size(0); }
};

struct KGonInit {
  std::int64_t k = 2;        // the first k columns of W form a regular k-gon
  double radius = 0.9;       // length of those columns
  double noise = 0.01;       // sd of the Gaussian noise added to every entry of W
  double bias_std = 10.0;    // sd of b (docs/theory.md, "The seed study")
};

// The noisy k-gon start of the seed study (docs/theory.md): column j < k of W is
// radius · (cos θ_j, sin θ_j, 0, …) with θ_j = 2πj/k + a random rotation, the other
// columns are zero; then noise is added to W and b ~ N(0, bias_std²). Needs hidden >= 2 and k <= features.
void init_noisy_kgon(ToyModel& model, const KGonInit& init, Generator& gen);

// An exact regular k-gon with no noise and no rotation, for studying the k-gon
// critical points of Chen et al. (2023): column j < k of W is radius · (cos θ_j,
// sin θ_j, 0, …) with θ_j = 2πj/k and b_j = bias; the other columns are zero with
// b_j = inactive_bias. A negative inactive bias keeps those features' outputs at 0,
// which makes their weights and biases flat directions of the loss.
struct RegularKGon {
  std::int64_t k = 5;
  double radius = 1.0;
  double bias = 0.0;
  double inactive_bias = -10.0;
};
void init_regular_kgon(ToyModel& model, const RegularKGon& kgon);

}  // namespace lambdahat
