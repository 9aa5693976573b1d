// A program that uses the installed library through find_package: it computes, and
// it reads what the installed package records about its build.
#include <iostream>

#include "lambdahat.hpp"
#include "lambdahat/version.hpp"

int main() {
  using namespace lambdahat;
  const Tensor a = tensor({{1, 2}, {3, 4}});
  const Tensor b = matmul(a, a.t());
  std::cout << b << "\n";
  std::cout << "lambdahat " << build::version << ", built for " << build::target << " ("
            << simd_instruction_set() << ")" << (build::reference ? ", reference path" : "") << "\n";
  return b.at({1, 1}) == 25 && !simd_instruction_set().empty() ? 0 : 1;
}
