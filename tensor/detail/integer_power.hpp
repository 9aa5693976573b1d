// v^k for a small k >= 0 by repeated multiplication: exact at v = 0 (0^0 = 1) and
// cheaper than std::pow for the powers of monomials (k is at most a few dozen).
#pragma once

namespace lambdahat::detail {

constexpr double integer_power(double v, int k) {
  double r = 1;
  for (int i = 0; i < k; ++i) r *= v;
  return r;
}

}  // namespace lambdahat::detail
