// The modular-addition MLP of the grokking study (docs/theory.md, "The seed study"):
//
//   tokens (B, 2) int64 ─ a, b ─→ embedding (p × e, shared)
//   hidden = GELU(left(emb[a]) + right(emb[b]))       left, right: e → h with bias
//   logits = out(hidden)                                out: h → p, no bias
//
// Parameter names match the PyTorch reference: embedding.weight, left.weight,
// left.bias, right.weight, right.bias, out.weight.
#pragma once

#include "nn/layers.hpp"

namespace lambdahat {

class ModularAdditionMLP : public ModuleBase<ModularAdditionMLP> {
 public:
  ModularAdditionMLP(std::int64_t p, std::int64_t embed_dim, std::int64_t hidden, Generator& gen,
                     DType dtype = kFloat32);

  Embedding embedding;
  Linear left, right, out;

  void visit(ModuleVisitor& v) override;
  // tokens: (B, 2) int64 in [0, p); returns logits (B, p).
  Variable forward(const Variable& tokens) override;
  std::string type_name() const override { return "ModularAdditionMLP"; }
  std::int64_t modulus() const { return embedding.weight.size(0); }
};

}  // namespace lambdahat
