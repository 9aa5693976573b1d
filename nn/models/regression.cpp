#include "nn/models/regression.hpp"

#include "lambdahat/version.hpp"
#include "tensor/matmul.hpp"

namespace lambdahat {

namespace {
Tensor initial_weights(std::size_t n, const std::vector<double>& init, DType dtype, const char* op) {
  check(init.empty() || init.size() == n, op, "expected ", n, " initial values, got ", init.size());
  return init.empty() ? zeros({static_cast<std::int64_t>(n)}, dtype) : from_vector(init, {static_cast<std::int64_t>(n)}, dtype);
}
}  // namespace

PolynomialRegressor::PolynomialRegressor(std::vector<int> powers, DType dtype, std::vector<double> init)
    : powers_(std::move(powers)) {
  check(!powers_.empty(), "PolynomialRegressor", "needs at least one power");
  for (int k : powers_) check(k >= 0, "PolynomialRegressor", "powers must be >= 0, got ", k);
  w = parameter(initial_weights(powers_.size(), init, dtype, "PolynomialRegressor"));
}

Variable PolynomialRegressor::forward(const Variable& x) { return x * monomial(w, powers_); }

SumOfMonomials::SumOfMonomials(std::vector<std::vector<int>> powers, DType dtype, std::vector<double> init)
    : powers_(std::move(powers)) {
  check(!powers_.empty() && !powers_[0].empty(), "SumOfMonomials", "needs at least one monomial of one variable");
  for (const auto& row : powers_) {
    check(row.size() == powers_[0].size(), "SumOfMonomials", "every monomial needs ", powers_[0].size(),
          " powers, got ", row.size());
    for (int k : row) check(k >= 0, "SumOfMonomials", "powers must be >= 0, got ", k);
  }
  w = parameter(initial_weights(powers_[0].size(), init, dtype, "SumOfMonomials"));
}

Variable SumOfMonomials::forward(const Variable& x) {
  Variable total;
  for (const auto& row : powers_) {
    const Variable m = monomial(w, row);
    total = total.defined() ? total + m : m;
  }
  return x * total;
}

DeepLinearNetwork::DeepLinearNetwork(std::vector<std::int64_t> widths, Generator& gen, DType dtype) {
  check(widths.size() >= 2, "DeepLinearNetwork", "needs at least two widths (input and output), got ", widths.size());
  for (std::size_t l = 0; l + 1 < widths.size(); ++l)
    layers.emplace_back(widths[l], widths[l + 1], gen, LinearOptions{.bias = false, .dtype = dtype});
}

void DeepLinearNetwork::visit(ModuleVisitor& v) {
  for (std::size_t l = 0; l < layers.size(); ++l) v.module(std::to_string(l), layers[l]);
}

bool DeepLinearNetwork::runs_feature_major(const Tensor& x) const {
  if constexpr (build::reference) return false;
  constexpr std::int64_t kMinRows = 64, kMaxWidth = 32;
  if (x.dim() != 2 || x.size(0) < kMinRows || x.size(1) != layers.front().in_features()) return false;
  if (layers.front().in_features() > kMaxWidth) return false;
  for (const auto& layer : layers)
    if (layer.out_features() > kMaxWidth) return false;
  return true;
}

bool DeepLinearNetwork::collapses(std::int64_t rows) const {
  // Multiply–adds of one forward pass. Layer by layer: n·Σ_l H_l·H_{l+1}. Through the
  // end-to-end product, formed as P_l = W_l·P_{l−1}: Σ_{l≥2} H_{l+1}·H_l·H_1 once,
  // then n·H_1·H_{L+1}. The backward pass scales the same way.
  if (layers.size() < 2 || order == ProductOrder::by_layer) return false;
  if (order == ProductOrder::end_to_end) return true;
  const std::vector<std::int64_t> h = widths();
  double by_layer = 0, product = 0;
  for (std::size_t l = 0; l + 1 < h.size(); ++l) by_layer += static_cast<double>(h[l]) * static_cast<double>(h[l + 1]);
  for (std::size_t l = 1; l + 1 < h.size(); ++l)
    product += static_cast<double>(h[l + 1]) * static_cast<double>(h[l]) * static_cast<double>(h[0]);
  const double n = static_cast<double>(rows);
  return n * static_cast<double>(h.front()) * static_cast<double>(h.back()) + product < n * by_layer;
}

Variable DeepLinearNetwork::end_to_end_variable() const {
  Variable product = layers.front().weight;
  for (std::size_t l = 1; l < layers.size(); ++l) product = matmul(layers[l].weight, product);
  return product;
}

Variable DeepLinearNetwork::forward(const Variable& x) {
  // f(x) = W_L ⋯ W_1 x can be evaluated layer by layer or through the product
  // P = W_L ⋯ W_1 of the small weight matrices, whichever takes fewer multiply–adds
  // (collapses()). The two are the same function with the same gradients (matrix
  // products associate), and differ only by rounding. Widths 10-10-10-10-10: 400
  // multiply–adds per row layer by layer, 100 through P (plus 3000 once for P).
  // The plain formulation, which a reference build always takes, is the loop over
  // the layers below, row by row.
  const Tensor& v = x.value();
  const std::int64_t rows = v.dim() == 0 || v.size(-1) == 0 ? 0 : v.numel() / v.size(-1);
  const bool collapse = v.dim() > 0 && v.size(-1) == layers.front().in_features() && collapses(rows);
  // A large batch of rows (n × d) through narrow layers runs feature-major: hᵀ =
  // W·h_prevᵀ, so that every product fills whole vectors along the batch instead of
  // rows of d values (a row of 10 floats fills 10 of 16 lanes), and the result is a
  // transposed view of the last hᵀ. Other inputs go row by row.
  if (!runs_feature_major(v)) {
    if (collapse && !build::reference) return linear(x, end_to_end_variable());
    Variable y = x;
    for (auto& layer : layers) y = layer(y);
    return y;
  }
  // an input without gradient (the data) is read feature-major: the first product
  // reads it in place, and its weight gradient takes the dot-product kernel. Data given by arrange_data() already is
  // feature-major; other data is copied once per pass.
  Variable h = x.requires_grad() ? transpose(x, 0, 1) : Variable(v.t().contiguous());
  if (collapse) {
    h = matmul(end_to_end_variable(), h);
  } else {
    for (auto& layer : layers) h = matmul(layer.weight, h);
  }
  return transpose(h, 0, 1);
}

std::pair<Tensor, Tensor> DeepLinearNetwork::arrange_data(const Tensor& inputs, const Tensor& targets) const {
  if (!runs_feature_major(inputs)) return {inputs, targets};
  const auto feature_major = [](const Tensor& t) { return t.t().contiguous().t(); };
  // the output is a transposed view, and mse_loss compares it with a target in the
  // same memory order
  const bool matrix_targets = targets.dim() == 2 && targets.size(1) == layers.back().out_features();
  return {feature_major(inputs), matrix_targets ? feature_major(targets) : targets};
}

std::vector<std::int64_t> DeepLinearNetwork::widths() const {
  std::vector<std::int64_t> w{layers.front().in_features()};
  for (const auto& layer : layers) w.push_back(layer.out_features());
  return w;
}

Tensor DeepLinearNetwork::end_to_end() const {
  Tensor product = layers.front().weight.value();
  for (std::size_t l = 1; l < layers.size(); ++l) product = matmul(layers[l].weight.value(), product);
  return product;
}

Autoencoder::Autoencoder(std::int64_t dim, std::int64_t bottleneck, Generator& gen, const AutoencoderOptions& o)
    : encoder(dim, bottleneck, gen, LinearOptions{.bias = o.bias, .dtype = o.dtype}), activation_(o.activation) {
  if (!o.tied) decoder.emplace_back(bottleneck, dim, gen, LinearOptions{.bias = o.bias, .dtype = o.dtype});
  else if (o.bias) decoder_bias = parameter(zeros({dim}, o.dtype));
}

void Autoencoder::visit(ModuleVisitor& v) {
  v.module("encoder", encoder);
  if (!decoder.empty()) v.module("decoder", decoder.front());
  if (decoder_bias.defined()) v.parameter("decoder_bias", decoder_bias);
}

Variable Autoencoder::forward(const Variable& x) {
  Variable h = encoder(x);
  if (activation_ == Activation::relu) h = relu(h);
  if (!decoder.empty()) return decoder.front()(h);
  return linear(h, transpose(encoder.weight, 0, 1), decoder_bias);
}

}  // namespace lambdahat
