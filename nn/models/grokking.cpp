#include "nn/models/grokking.hpp"

#include "lambdahat/version.hpp"

namespace lambdahat {

ModularAdditionMLP::ModularAdditionMLP(std::int64_t p, std::int64_t embed_dim, std::int64_t hidden, Generator& gen,
                                       DType dtype)
    : embedding(p, embed_dim, gen, dtype),
      left(embed_dim, hidden, gen, LinearOptions{.bias = true, .dtype = dtype}),
      right(embed_dim, hidden, gen, LinearOptions{.bias = true, .dtype = dtype}),
      out(hidden, p, gen, LinearOptions{.bias = false, .dtype = dtype}) {}

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
  const Tensor a = t.select(1, 0).contiguous(), b = t.select(1, 1).contiguous();
  // The plain formulation: out(gelu(left(E[a]) + right(E[b]))). Batches with more
  // rows than the table take the fast path below, except in a reference build.
  if (build::reference || t.size(0) <= modulus()) return out(gelu(left(embedding(Variable(a))) + right(embedding(Variable(b)))));
  // left(E[a]) = (left applied to every row of E)[a]: a batch with more rows than the
  // table (p) takes the p rows through the layer and picks from the result, which
  // computes the same values with fewer multiply–adds (batch 128, p = 53: 2.4×
  // fewer for the embedding side, forward and backward).
  //
  // The logits of such a batch are computed class-major, (W_out·hᵀ)ᵀ: a (B, p) view of
  // a p × B matrix, whose rows of B = 128 fill whole vectors where rows of p = 53 fill
  // 53 of 64 lanes; softmax and cross-entropy then work down its columns, and the
  // gradients come back in the layouts of the values they are for (matmul). The
  // hidden layer gelu(left[a] + right[b]) is one node (index_select_add_gelu).
  const Variable hidden = index_select_add_gelu(left(embedding.weight), a, right(embedding.weight), b);
  return transpose(matmul(out.weight, transpose(hidden, 0, 1)), 0, 1);
}

}  // namespace lambdahat
