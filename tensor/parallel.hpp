// The one place that decides whether a loop is worth splitting across threads.
//
// Kernels call parallel_for on their outer loop. Work below kParallelGrain elements,
// or any loop already running inside a parallel region (for example inside an SLT
// chain, which has its own thread), runs on the calling thread: waking threads
// costs microseconds, which is more than small tensors take to process.
//
// Results never depend on the thread count: kernels either compute each output
// element independently or split reductions into blocks fixed by the problem size.
#pragma once

#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace lambdahat {

inline constexpr std::int64_t kParallelGrain = 32768;

// Threads used by kernels and by parallel SLT chains (OpenMP's setting).
int num_threads();
void set_num_threads(int n);

// How many threads a loop of `work` elements should use (1 = run here).
inline int threads_for(std::int64_t work) {
#ifdef _OPENMP
  if (work < kParallelGrain || omp_in_parallel()) return 1;
  return static_cast<int>(std::min<std::int64_t>(omp_get_max_threads(), work / (kParallelGrain / 2)));
#else
  (void)work;
  return 1;
#endif
}

// Calls f(chunk_begin, chunk_end) on disjoint chunks covering [begin, end). Chunk
// boundaries are multiples of `align`. `work_per_item` scales the threshold for
// loops whose items are rows rather than elements.
template <class F>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t work_per_item, F&& f,
                  std::int64_t align = 1) {
  const std::int64_t n = end - begin;
  if (n <= 0) return;
  const int threads = threads_for(n * work_per_item);
  if (threads <= 1 || n < 2) {
    f(begin, end);
    return;
  }
  const std::int64_t chunks = std::min<std::int64_t>(threads, n);
  std::int64_t per_chunk = (n + chunks - 1) / chunks;
  per_chunk = (per_chunk + align - 1) / align * align;
#ifdef _OPENMP
#pragma omp parallel for num_threads(threads) schedule(static)
#endif
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t lo = begin + c * per_chunk;
    const std::int64_t hi = std::min(end, lo + per_chunk);
    if (lo < hi) f(lo, hi);
  }
}

}  // namespace lambdahat
