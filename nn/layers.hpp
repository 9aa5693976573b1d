// The basic layers. Initialisation matches PyTorch's defaults in distribution, so
// runs are comparable with PyTorch runs:
//   Linear:    weight, bias ~ U(−1/√in, 1/√in)   (kaiming_uniform with a = √5)
//   Embedding: weight ~ N(0, 1)
#pragma once

#include <memory>
#include <vector>

#include "nn/module.hpp"
#include "tensor/random.hpp"

namespace lambdahat {

struct LinearOptions {
  bool bias = true;
  DType dtype = kFloat32;
};

// y = x Wᵀ + b, weight (out, in), bias (out). Initialised as PyTorch does: every
// entry uniform in ±1/√in.
class Linear : public ModuleBase<Linear> {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, const LinearOptions& options = {});
  Variable weight, bias;  // bias undefined when the layer has none

  void visit(ModuleVisitor& v) override;
  Variable forward(const Variable& x) override { return linear(x, weight, bias); }
  std::string type_name() const override { return "Linear"; }
  std::int64_t in_features() const { return weight.size(1); }
  std::int64_t out_features() const { return weight.size(0); }
};

// Rows of a (num_embeddings, dim) table picked by int64 indices of any shape.
class Embedding : public ModuleBase<Embedding> {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t dim, Generator& gen, DType dtype = kFloat32);
  Variable weight;

  void visit(ModuleVisitor& v) override { v.parameter("weight", weight); }
  Variable forward(const Variable& indices) override { return embedding(weight, indices.value()); }
  std::string type_name() const override { return "Embedding"; }
};

// Activations as modules, for Sequential.
class ReLU : public ModuleBase<ReLU> {
 public:
  void visit(ModuleVisitor&) override {}
  Variable forward(const Variable& x) override { return relu(x); }
  std::string type_name() const override { return "ReLU"; }
};
class GELU : public ModuleBase<GELU> {
 public:
  explicit GELU(GeluApprox approx = GeluApprox::none) : approx_(approx) {}
  void visit(ModuleVisitor&) override {}
  Variable forward(const Variable& x) override { return gelu(x, approx_); }
  std::string type_name() const override { return "GELU"; }

 private:
  GeluApprox approx_;
};
class Tanh : public ModuleBase<Tanh> {
 public:
  void visit(ModuleVisitor&) override {}
  Variable forward(const Variable& x) override { return tanh(x); }
  std::string type_name() const override { return "Tanh"; }
};
class Sigmoid : public ModuleBase<Sigmoid> {
 public:
  void visit(ModuleVisitor&) override {}
  Variable forward(const Variable& x) override { return sigmoid(x); }
  std::string type_name() const override { return "Sigmoid"; }
};

// Modules applied one after the other; children are named "0", "1", ...
class Sequential : public ModuleBase<Sequential> {
 public:
  Sequential() = default;
  Sequential(const Sequential& other);
  Sequential& operator=(const Sequential&) = delete;

  template <class M>
  M& add(M module) {
    auto owned = std::make_shared<M>(std::move(module));
    M& ref = *owned;
    children_.push_back(std::move(owned));
    return ref;
  }
  // A module whose type is known only at run time (nn/network.hpp builds from text).
  Module& append(std::unique_ptr<Module> module) {
    children_.push_back(std::shared_ptr<Module>(std::move(module)));
    return *children_.back();
  }
  std::size_t size() const { return children_.size(); }
  Module& operator[](std::size_t i) { return *children_.at(i); }

  void visit(ModuleVisitor& v) override;
  Variable forward(const Variable& x) override;
  std::string type_name() const override { return "Sequential"; }

 private:
  std::vector<std::shared_ptr<Module>> children_;
};

}  // namespace lambdahat
