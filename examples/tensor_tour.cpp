// A short tour of the tensor library: views that share storage, broadcasting,
// reductions, a matrix product and reproducible random numbers.
#include <iostream>

#include "lambdahat.hpp"

int main() {
  using namespace lambdahat;

  const Tensor a = arange(0, 12, 1, kFloat32).reshape({3, 4});
  std::cout << "a =\n" << a << "\n\n";
  std::cout << "a.t() shares a's storage (strides " << a.t().strides() << "):\n" << a.t() << "\n\n";
  std::cout << "a.narrow(1, 1, 2) =\n" << a.narrow(1, 1, 2) << "\n\n";

  const Tensor bias = tensor({0.5, -0.5, 0.25, 0});
  std::cout << "a + bias (broadcast over rows) =\n" << a + bias << "\n\n";
  std::cout << "sum over rows: " << sum(a, {0}) << "\nlogsumexp over columns: " << logsumexp(a, {1}) << "\n\n";

  Generator gen(/*seed=*/2026, /*stream=*/0);
  const Tensor w = normal({4, 2}, gen, 0, 0.1);
  std::cout << "a · w =\n" << matmul(a, w) << "\n\n";

  Generator again(2026, 0);
  std::cout << "same seed and stream, same numbers: " << std::boolalpha
            << allclose(normal({4, 2}, again, 0, 0.1), w, 0, 0) << "\n";
  return 0;
}
