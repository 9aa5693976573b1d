// Finite-difference checking of gradients.
//
// gradcheck(f, inputs) compares the gradient that backward() computes for f with
// central differences  (F(x + ε e_j) − F(x − ε e_j)) / 2ε  for every element j of
// every input, in float64. F is f's output projected onto fixed random weights, so a
// non-scalar output is checked in every entry at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/variable.hpp"

namespace lambdahat {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double rtol = 1e-5;  // |analytic − numeric| <= atol + rtol · |numeric|
  double atol = 1e-7;
  // Escape hatch for kinks (ReLU at 0, |x| at 0, clamp at its bounds): elements for
  // which this returns true (given the input index and the element's value) are
  // not compared, because a finite difference across a kink means nothing.
  std::function<bool(std::size_t input, double value)> near_kink;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;      // the first mismatch, when !ok
  double max_abs_error = 0;
  std::int64_t checked = 0;  // number of elements compared
};

GradcheckResult gradcheck(const std::function<Variable(const std::vector<Variable>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace lambdahat
