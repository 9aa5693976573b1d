#include "tensor/parallel.hpp"

#include "tensor/error.hpp"

namespace lambdahat {

int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

void set_num_threads(int n) {
  check(n >= 1, "set_num_threads", "thread count must be >= 1, got ", n);
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
}

}  // namespace lambdahat
