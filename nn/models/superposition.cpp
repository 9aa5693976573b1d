#include "nn/models/superposition.hpp"

#include <cmath>
#include <numbers>

#include "lambdahat/version.hpp"
#include "tensor/elementwise.hpp"

namespace lambdahat {

ToyModel::ToyModel(std::int64_t features, std::int64_t hidden, Generator& gen, DType dtype) {
  check(features > 0 && hidden > 0, "ToyModel", "sizes must be positive, got features=", features,
        " hidden=", hidden);
  W = parameter(normal({hidden, features}, gen, 0, 0.5, dtype));
  b = parameter(zeros({features}, dtype));
}

void ToyModel::visit(ModuleVisitor& v) {
  v.parameter("W", W);
  v.parameter("b", b);
}

Variable ToyModel::forward(const Variable& x) {
  check(x.dim() == 2 && x.size(1) == features(), "ToyModel", "expected input of shape (B,", features(), "), got ",
        x.shape());
  // The plain formulation: hidden h = x Wᵀ, reconstruction relu(h W + b).
  if constexpr (build::reference) return relu(linear(linear(x, W), transpose(W, 0, 1), b));
  // The same as x M + b with M = WᵀW (features × features): one product over the
  // batch instead of two, and M is symmetric, so linear(x, M, b) = x Mᵀ + b = x M + b
  const Variable M = matmul(transpose(W, 0, 1), W);
  return linear_relu(x, M, b);
}

void init_noisy_kgon(ToyModel& model, const KGonInit& init, Generator& gen) {
  const std::int64_t c = model.features(), r = model.hidden();
  check(r >= 2, "init_noisy_kgon", "needs at least 2 hidden dimensions, got ", r);
  check(init.k >= 1 && init.k <= c, "init_noisy_kgon", "k = ", init.k, " must be in [1, ", c, "]");
  const double rotation = 2 * std::numbers::pi * gen.uniform();
  std::vector<double> w(static_cast<std::size_t>(r * c), 0.0);
  for (std::int64_t j = 0; j < init.k; ++j) {
    const double angle = 2 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(init.k) + rotation;
    w[static_cast<std::size_t>(0 * c + j)] = init.radius * std::cos(angle);
    w[static_cast<std::size_t>(1 * c + j)] = init.radius * std::sin(angle);
  }
  Tensor W = from_vector(w, {r, c}, model.W.dtype());
  add_(W, normal({r, c}, gen, 0, init.noise, W.dtype()));
  model.W.value().copy_(W);
  model.b.value().copy_(normal({c}, gen, 0, init.bias_std, model.b.dtype()));
}

void init_regular_kgon(ToyModel& model, const RegularKGon& kgon) {
  const std::int64_t c = model.features(), r = model.hidden();
  check(r >= 2, "init_regular_kgon", "needs at least 2 hidden dimensions, got ", r);
  check(kgon.k >= 1 && kgon.k <= c, "init_regular_kgon", "k = ", kgon.k, " must be in [1, ", c, "]");
  std::vector<double> w(static_cast<std::size_t>(r * c), 0.0), b(static_cast<std::size_t>(c), kgon.inactive_bias);
  for (std::int64_t j = 0; j < kgon.k; ++j) {
    const double angle = 2 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(kgon.k);
    w[static_cast<std::size_t>(0 * c + j)] = kgon.radius * std::cos(angle);
    w[static_cast<std::size_t>(1 * c + j)] = kgon.radius * std::sin(angle);
    b[static_cast<std::size_t>(j)] = kgon.bias;
  }
  model.W.value().copy_(from_vector(w, {r, c}, model.W.dtype()));
  model.b.value().copy_(from_vector(b, {c}, model.b.dtype()));
}

}  // namespace lambdahat
