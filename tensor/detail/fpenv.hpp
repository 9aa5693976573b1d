// Scoped flush-to-zero for subnormal floating-point numbers.
//
// While a FlushSubnormals lives, the calling thread's x86 MXCSR has FTZ (results
// that would be subnormal become zero) and DAZ (subnormal inputs read as zero) set;
// the destructor restores the caller's mode, so code outside lambdahat's kernels
// never sees the change. Exception flags raised inside (MXCSR bits 0-5, sticky)
// are kept, as they would be without the guard. Elsewhere it does nothing.
#pragma once

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace lambdahat::detail {

class FlushSubnormals {
 public:
#if defined(__SSE2__)
  FlushSubnormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
  ~FlushSubnormals() { _mm_setcsr(saved_ | (_mm_getcsr() & kExceptionFlags)); }
#else
  FlushSubnormals() = default;
#endif
  FlushSubnormals(const FlushSubnormals&) = delete;
  FlushSubnormals& operator=(const FlushSubnormals&) = delete;

 private:
#if defined(__SSE2__)
  static constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040, kExceptionFlags = 0x003F;
  unsigned saved_;
#endif
};

}  // namespace lambdahat::detail
