// Networks described in JSON, for models trained elsewhere (PyTorch, JAX): a list of
// layers, built into a Sequential whose parameter names follow PyTorch's
// nn.Sequential ("0.weight", "2.bias", ...), so that a state dict saved with
// safetensors.torch.save_file loads unchanged.
//
//   {"layers": [{"type": "linear", "in": 4, "out": 16, "bias": true},
//               {"type": "relu"},
//               {"type": "linear", "in": 16, "out": 3}]}
//
// Layer types (docs/networks.md has the whole format):
//   linear {in, out, bias = true}          y = x Wᵀ + b on the last dimension
//   embedding {num, dim}                   rows of a (num, dim) table picked by int64 inputs
//   embedding_pair {num, dim}              two tokens per example, (n, 2) → (n, 2·dim):
//                                          one shared table, the two rows side by side
//   relu, tanh, sigmoid, softplus, identity
//   gelu {approximate = "none" | "tanh"}   the erf form, or PyTorch's tanh approximation
//   layernorm {dim, eps = 1e-5, affine = true}   over the last dimension, biased variance
//   flatten                                every dimension after the first into one
//   dropout {p}                            the identity: sampling evaluates the network
//   residual {layers: [...]}               x + f(x), f the inner layers (named k.0, k.1, ...)
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nn/data.hpp"
#include "nn/layers.hpp"

namespace lambdahat {

struct LayerSpec {
  std::string type;
  std::int64_t in = 0, out = 0;     // linear
  bool bias = true;                 // linear
  std::int64_t num = 0, dim = 0;    // embedding, embedding_pair (num, dim); layernorm (dim)
  std::string approximate = "none"; // gelu
  double eps = 1e-5;                // layernorm
  bool affine = true;               // layernorm
  double p = 0;                     // dropout
  std::vector<LayerSpec> layers;    // residual
};

struct NetworkSpec {
  std::vector<LayerSpec> layers;
  // What the network takes: "float" features (input_features wide) or "int64"
  // token indices (one per example, or two for embedding_pair). Derived by
  // check_network from the first layer.
  bool integer_input = false;
  std::int64_t input_features = 0;  // float input width; 0 for tokens or when the first layer does not fix it
  std::int64_t output_features = 0;
};

// Parses a description; `what` names it in errors. Unknown layer types and fields,
// missing sizes and sizes that do not chain (a linear layer's `in` against the
// features coming in) throw lambdahat::Error naming the layer ("layer 2 (linear)").
NetworkSpec parse_network(std::string_view json, const std::string& what);
NetworkSpec load_network(const std::string& path);

// A Sequential of the described layers, initialised as PyTorch initialises them.
std::unique_ptr<Module> build_network(const NetworkSpec& spec, Generator& gen, DType dtype = kFloat32);

// Data for a network, from a safetensors file with tensors x (float, or int64 token
// indices) and y (float targets, or int64 class labels), and optionally x_eval and
// y_eval, an evaluation set of the same kind. Float data is converted to `dtype`.
struct NetworkData {
  Dataset train, eval;  // eval empty when the file has none
};
NetworkData load_network_data(const std::string& path, DType dtype = kFloat32);

// What the targets are: class labels (cross-entropy) or values (squared losses).
enum class TargetKind { classes, values };
// Checks that the data fit the network before any work: x's dtype and shape against
// the first layer (token indices within the table), y against the output (class
// labels in [0, outputs), or values shaped (n, outputs)). Throws lambdahat::Error
// saying exactly what does not fit; `what` names the data.
void check_network_data(const NetworkSpec& spec, Module& network, const Dataset& data, TargetKind targets,
                        const std::string& what);

// The layers built from descriptions, beyond nn/layers.hpp.
class Softplus : public ModuleBase<Softplus> {
 public:
  void visit(ModuleVisitor&) override {}
  Variable forward(const Variable& x) override { return softplus(x); }
  std::string type_name() const override { return "Softplus"; }
};
class Identity : public ModuleBase<Identity> {
 public:
  void visit(ModuleVisitor&) override {}
  Variable forward(const Variable& x) override { return x; }
  std::string type_name() const override { return "Identity"; }
};
// Dropout is inactive: an estimate evaluates the trained network, as PyTorch's
// eval() does.
class Dropout : public ModuleBase<Dropout> {
 public:
  explicit Dropout(double p) : p(p) {}
  double p;
  void visit(ModuleVisitor&) override {}
  Variable forward(const Variable& x) override { return x; }
  std::string type_name() const override { return "Dropout"; }
};
// (n, d1, d2, ...) → (n, d1·d2·...)
class Flatten : public ModuleBase<Flatten> {
 public:
  void visit(ModuleVisitor&) override {}
  Variable forward(const Variable& x) override;
  std::string type_name() const override { return "Flatten"; }
};
// (x − mean) / √(var + eps) · weight + bias over the last dimension (biased variance).
class LayerNorm : public ModuleBase<LayerNorm> {
 public:
  LayerNorm(std::int64_t dim, double eps, bool affine, DType dtype = kFloat32);
  Variable weight, bias;  // undefined without affine
  double eps;
  void visit(ModuleVisitor& v) override;
  Variable forward(const Variable& x) override;
  std::string type_name() const override { return "LayerNorm"; }
};
// Two tokens per example through one shared table: (n, 2) indices → (n, 2·dim), the
// first token's row then the second's.
class EmbeddingPair : public ModuleBase<EmbeddingPair> {
 public:
  EmbeddingPair(std::int64_t num_embeddings, std::int64_t dim, Generator& gen, DType dtype = kFloat32);
  Variable weight;
  void visit(ModuleVisitor& v) override { v.parameter("weight", weight); }
  Variable forward(const Variable& indices) override;
  std::string type_name() const override { return "EmbeddingPair"; }
};
// x + f(x), f a Sequential whose layers are this module's children "0", "1", ...
class Residual : public ModuleBase<Residual> {
 public:
  explicit Residual(std::unique_ptr<Sequential> body) : body_(std::move(body)) {}
  Residual(const Residual& other);
  void visit(ModuleVisitor& v) override { body_->visit(v); }
  Variable forward(const Variable& x) override { return add(x, body_->forward(x)); }
  std::string type_name() const override { return "Residual"; }

 private:
  std::shared_ptr<Sequential> body_;
};

}  // namespace lambdahat
