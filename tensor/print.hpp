// Printing in NumPy's style:
//
//   tensor([[ 1.    , -2.5   ],
//           [ 0.3333,  4.    ]], dtype=float32)
//
// Floats print with up to `precision` decimals, in scientific notation when the
// magnitudes call for it; large tensors are summarised with "..." after `edge_items`
// entries per dimension.
#pragma once

#include <ostream>
#include <string>

#include "tensor/tensor.hpp"

namespace lambdahat {

struct PrintOptions {
  int precision = 4;
  std::int64_t threshold = 1000;  // summarise tensors with more elements than this
  std::int64_t edge_items = 3;
};

std::string to_string(const Tensor& t, const PrintOptions& options = {});
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace lambdahat
