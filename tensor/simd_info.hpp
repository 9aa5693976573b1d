// Which vector instruction set the tensor kernels were compiled for, and whether
// OpenMP threads are available: what `lambdahat --version` reports, and what a program
// using an installed library can check (see also lambdahat/version.hpp).
#pragma once

#include <string_view>

namespace lambdahat {

// The widest instruction set the kernels use, as xsimd names it: "avx512bw",
// "avx2", "sse4.2", "neon64", ... (fixed when the library is compiled).
std::string_view simd_instruction_set();
// Lanes of a float32 vector in that instruction set (16 for AVX-512, 8 for AVX2).
int simd_float_lanes();
bool openmp_enabled();

}  // namespace lambdahat
