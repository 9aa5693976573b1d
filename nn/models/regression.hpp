// Regression models whose learning coefficients are known exactly (docs/theory.md, "Known learning coefficients").
//
//   PolynomialRegressor   f(x; w) = x · Π_i w_i^{k_i}
//   SumOfMonomials        f(x; w) = x · Σ_j Π_i w_i^{k_ji}
//   DeepLinearNetwork     f(x) = W_L ⋯ W_2 W_1 x, no biases (widths H_1 … H_{L+1})
//   Autoencoder           d → h → d, linear or with ReLU, tied or untied weights
#pragma once

#include <vector>

#include "nn/layers.hpp"

namespace lambdahat {

class PolynomialRegressor : public ModuleBase<PolynomialRegressor> {
 public:
  // w starts at `init` (default: all zeros, the singular point w* = 0).
  explicit PolynomialRegressor(std::vector<int> powers, DType dtype = kFloat32, std::vector<double> init = {});

  Variable w;

  void visit(ModuleVisitor& v) override { v.parameter("w", w); }
  // x of any shape → x · Π w_i^{k_i}, same shape
  Variable forward(const Variable& x) override;
  std::string type_name() const override { return "PolynomialRegressor"; }
  const std::vector<int>& powers() const { return powers_; }

 private:
  std::vector<int> powers_;
};

class SumOfMonomials : public ModuleBase<SumOfMonomials> {
 public:
  // powers[j][i] is the power of w_i in monomial j; every row has the same length.
  explicit SumOfMonomials(std::vector<std::vector<int>> powers, DType dtype = kFloat32, std::vector<double> init = {});

  Variable w;

  void visit(ModuleVisitor& v) override { v.parameter("w", w); }
  Variable forward(const Variable& x) override;
  std::string type_name() const override { return "SumOfMonomials"; }

 private:
  std::vector<std::vector<int>> powers_;
};

// How DeepLinearNetwork evaluates W_L ⋯ W_1 x: through whichever order takes fewer
// multiply–adds, always layer by layer (the order of a PyTorch nn.Sequential, and
// its rounding), or always through the end-to-end product.
enum class ProductOrder { cheapest, by_layer, end_to_end };

// Linear layers without bias, named "0.weight", "1.weight", ... like a PyTorch
// nn.Sequential of bias-free Linear layers.
class DeepLinearNetwork : public ModuleBase<DeepLinearNetwork> {
 public:
  DeepLinearNetwork(std::vector<std::int64_t> widths, Generator& gen, DType dtype = kFloat32);

  // Copies (clone(), the samplers' chains) keep the order.
  ProductOrder order = ProductOrder::cheapest;

  std::vector<Linear> layers;

  void visit(ModuleVisitor& v) override;
  Variable forward(const Variable& x) override;
  // Rows of inputs and of matrix targets stored feature-major (transposed views of
  // contiguous copies) when forward() runs feature-major on them.
  std::pair<Tensor, Tensor> arrange_data(const Tensor& inputs, const Tensor& targets) const override;
  std::string type_name() const override { return "DeepLinearNetwork"; }
  std::vector<std::int64_t> widths() const;
  // The product W_L ⋯ W_1 as one (out, in) matrix.
  Tensor end_to_end() const;
  // Whether forward() evaluates a batch of `rows` rows through end_to_end() rather
  // than layer by layer: with ProductOrder::cheapest, when that takes fewer
  // multiply–adds.
  bool collapses(std::int64_t rows) const;

 private:
  bool runs_feature_major(const Tensor& x) const;
  Variable end_to_end_variable() const;  // the product, recorded for the backward pass
};

enum class Activation { none, relu };

struct AutoencoderOptions {
  bool tied = false;                       // the decoder is the encoder's transpose
  Activation activation = Activation::none;  // between encoder and decoder
  bool bias = false;
  DType dtype = kFloat32;
};

// x ↦ decoder(act(encoder(x))). Tied: the decoder is the encoder's transpose.
class Autoencoder : public ModuleBase<Autoencoder> {
 public:
  Autoencoder(std::int64_t dim, std::int64_t bottleneck, Generator& gen, const AutoencoderOptions& options = {});

  Linear encoder;                 // dim → bottleneck
  std::vector<Linear> decoder;    // bottleneck → dim; empty when tied
  Variable decoder_bias;          // used when tied and bias

  void visit(ModuleVisitor& v) override;
  Variable forward(const Variable& x) override;
  std::string type_name() const override { return "Autoencoder"; }
  bool tied() const { return decoder.empty(); }

 private:
  Activation activation_;
};

}  // namespace lambdahat
