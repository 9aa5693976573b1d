// AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay,
//   p ← p · (1 − lr · weight_decay), then the Adam step without the L2 term.
// The update itself lives with Adam (adam.cpp), which takes the decoupled form as a flag.
#pragma once

#include "nn/optim/adam.hpp"

namespace lambdahat {

class AdamW : public Adam {
 public:
  AdamW(std::vector<Variable> params, AdamOptions options) : Adam(std::move(params), options, true) {}
};

}  // namespace lambdahat
