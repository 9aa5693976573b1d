#include "nn/layers.hpp"

#include <cmath>

namespace lambdahat {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen, const LinearOptions& options) {
  const DType dtype = options.dtype;
  check(in_features > 0 && out_features > 0, "Linear", "sizes must be positive, got in=", in_features,
        " out=", out_features);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = parameter(uniform({out_features, in_features}, gen, -bound, bound, dtype));
  if (options.bias) bias = parameter(uniform({out_features}, gen, -bound, bound, dtype));
}

void Linear::visit(ModuleVisitor& v) {
  v.parameter("weight", weight);
  if (bias.defined()) v.parameter("bias", bias);
}

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t dim, Generator& gen, DType dtype) {
  check(num_embeddings > 0 && dim > 0, "Embedding", "sizes must be positive, got ", num_embeddings, " x ", dim);
  weight = parameter(normal({num_embeddings, dim}, gen, 0, 1, dtype));
}

Sequential::Sequential(const Sequential& other) : ModuleBase<Sequential>(other) {
  children_.clear();
  for (const auto& child : other.children_) children_.push_back(std::shared_ptr<Module>(child->shallow_copy()));
}

void Sequential::visit(ModuleVisitor& v) {
  for (std::size_t i = 0; i < children_.size(); ++i) v.module(std::to_string(i), *children_[i]);
}

Variable Sequential::forward(const Variable& x) {
  Variable y = x;
  for (auto& child : children_) y = child->forward(y);
  return y;
}

}  // namespace lambdahat
