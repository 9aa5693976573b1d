#include <iostream>

#include "lambdahat.hpp"

int main() {
  using namespace lambdahat;
  const Tensor a = tensor({{1, 2}, {3, 4}});
  const Tensor b = matmul(a, a.t());
  std::cout << b << "\n";
  return b.at({1, 1}) == 25 ? 0 : 1;
}
