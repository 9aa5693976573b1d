// x^n for an integer n by repeated squaring, for a number or a vector of numbers:
// exact at x = 0 (x^0 = 1), any sign of x, 1 / x^{-n} for negative n. The powers of
// monomials, pow() with a small integer exponent and the polynomial regressors'
// finite-n oracle use it instead of std::pow.
#pragma once

namespace lambdahat {

template <class V>
V integer_power(V x, long n) {
  if (n < 0) return V(1) / integer_power(x, -n);
  V result(1);
  for (V base = x; n > 0; n >>= 1, base *= base)
    if (n & 1) result *= base;
  return result;
}

}  // namespace lambdahat
