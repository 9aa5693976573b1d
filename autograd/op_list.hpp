// Every operation that records a node, in one list. Each op's backward rule lives
// next to its forward computation (autograd/ops_*.cpp), and the gradient-check test
// fails if any op in this list lacks an entry, so a rule cannot go unchecked.
// Composite operations (mean, var, softmax, mse, transpose, ...) are built from
// these and need no rule of their own.
#pragma once

#include <array>
#include <string_view>

namespace lambdahat {

#define LAMBDAHAT_OPS(X)                                                                                       \
  /* elementwise */                                                                                            \
  X(add) X(sub) X(mul) X(div) X(neg) X(pow) X(pow_scalar) X(exp) X(log) X(sqrt) X(square) X(abs) X(tanh)      \
  X(sigmoid) X(relu) X(gelu) X(gelu_tanh) X(softplus) X(clamp) X(where) X(maximum) X(minimum)                  \
  /* reductions */                                                                                             \
  X(sum) X(max) X(min) X(logsumexp) X(monomial)                                                                \
  /* products */                                                                                               \
  X(matmul) X(linear) X(linear_relu)                                                                          \
  /* shape */                                                                                                  \
  X(reshape) X(permute) X(slice) X(expand) X(concat)                                                           \
  /* indexing */                                                                                               \
  X(index_select) X(index_select_add) X(index_select_add_gelu) X(gather)                                       \
  /* losses */                                                                                                 \
  X(log_softmax) X(cross_entropy) X(mse_loss)

enum class Op {
#define LAMBDAHAT_ENUM(name) name,
  LAMBDAHAT_OPS(LAMBDAHAT_ENUM)
#undef LAMBDAHAT_ENUM
};

inline constexpr std::array kOpNames = {
#define LAMBDAHAT_NAME(name) std::string_view(#name),
    LAMBDAHAT_OPS(LAMBDAHAT_NAME)
#undef LAMBDAHAT_NAME
};

inline constexpr std::size_t kNumOps = kOpNames.size();

// The ops that compute a composition of other ops in one node. Their plain
// formulations are in autograd/ops.hpp (namespace reference); a reference build
// records those compositions instead of these ops.
constexpr bool is_fused(Op op) {
  return op == Op::monomial || op == Op::linear_relu || op == Op::index_select_add ||
         op == Op::index_select_add_gelu || op == Op::mse_loss;
}

constexpr std::string_view op_name(Op op) { return kOpNames[static_cast<std::size_t>(op)]; }

}  // namespace lambdahat
