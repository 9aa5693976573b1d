// Softmax along one dimension, computed stably: subtract the row maximum, exponentiate,
// normalise. One pass of exponentials per row gives both the probabilities and
// log Σ e^x, which is what cross-entropy needs.
#pragma once

#include "tensor/tensor.hpp"

namespace lambdahat {

struct SoftmaxResult {
  Tensor probs;      // softmax(x) along dim, the shape of x
  Tensor logsumexp;  // log Σ e^x along dim, with dim kept as size 1
};

SoftmaxResult softmax_and_logsumexp(const Tensor& x, std::int64_t dim);
Tensor softmax(const Tensor& x, std::int64_t dim = -1);
Tensor log_softmax(const Tensor& x, std::int64_t dim = -1);

}  // namespace lambdahat
