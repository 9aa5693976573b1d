#include "nn/models/grokking.hpp"

namespace lambdahat {

ModularAdditionMLP::ModularAdditionMLP(std::int64_t p, std::int64_t embed_dim, std::int64_t hidden, Generator& gen,
                                       DType dtype)
    : embedding(p, embed_dim, gen, dtype),
      left(embed_dim, hidden, gen, true, dtype),
      right(embed_dim, hidden, gen, true, dtype),
      out(hidden, p, gen, false, dtype) {}

void ModularAdditionMLP::visit(ModuleVisitor& v) {
  v.module("embedding", embedding);
  v.module("left", left);
  v.module("right", right);
  v.module("out", out);
}

Variable ModularAdditionMLP::forward(const Variable& tokens) {
  const Tensor& t = tokens.value();
  check(t.dim() == 2 && t.size(1) == 2 && t.dtype() == kInt64, "ModularAdditionMLP",
        "expected int64 tokens of shape (B,2), got shape ", t.shape(), " and dtype ", t.dtype());
  const Variable a = embedding(Variable(t.select(1, 0).contiguous()));
  const Variable b = embedding(Variable(t.select(1, 1).contiguous()));
  return out(gelu(left(a) + right(b)));
}

}  // namespace lambdahat
