#include "tensor/simd_info.hpp"

#include "tensor/detail/simd.hpp"

namespace lambdahat {

std::string_view simd_instruction_set() { return xsimd::default_arch::name(); }

int simd_float_lanes() { return static_cast<int>(simd::kLanes<float>); }

bool openmp_enabled() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

}  // namespace lambdahat
