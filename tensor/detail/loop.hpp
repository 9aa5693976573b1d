// Walks N operands that share one (broadcast) shape but have their own strides, as
// runs along the innermost dimension. Dimensions that are laid out back to back in
// every operand are merged first, so a contiguous tensor is a single run.
//
//   shape (2,3,4), all operands contiguous  ->  one run of 24
//   (B,N) + bias (N): strides (N,1),(0,1)   ->  B runs of N, inner strides 1 and 1
#pragma once

#include <array>
#include <cstdint>

#include "tensor/parallel.hpp"
#include "tensor/shape.hpp"

namespace lambdahat::detail {

template <int N>
struct Loop {
  Dims shape;
  std::array<Dims, N> strides;

  Loop(const Dims& full_shape, const std::array<Dims, N>& full_strides) {
    // Drop size-1 dimensions, then merge neighbours that are contiguous in every operand.
    for (int d = 0; d < full_shape.size(); ++d) {
      if (full_shape[d] == 1) continue;
      const int last = shape.size() - 1;
      bool mergeable = last >= 0;
      for (int k = 0; k < N && mergeable; ++k)
        mergeable = strides[k][last] == full_strides[k][d] * full_shape[d];
      if (mergeable) {
        shape[last] *= full_shape[d];
        for (int k = 0; k < N; ++k) strides[k][last] = full_strides[k][d];
      } else {
        shape.push_back(full_shape[d]);
        for (int k = 0; k < N; ++k) strides[k].push_back(full_strides[k][d]);
      }
    }
    if (shape.empty()) {  // a single element
      shape.push_back(1);
      for (int k = 0; k < N; ++k) strides[k].push_back(1);
    }
  }

  std::int64_t inner() const { return shape.back(); }
  std::int64_t runs() const { return product(shape) / inner(); }
  std::array<std::int64_t, N> inner_strides() const {
    std::array<std::int64_t, N> s;
    for (int k = 0; k < N; ++k) s[k] = strides[k].back();
    return s;
  }

  // Element offsets of the first element of run r, for each operand.
  std::array<std::int64_t, N> run_offsets(std::int64_t r) const {
    std::array<std::int64_t, N> off{};
    for (int d = shape.size() - 2; d >= 0; --d) {
      const std::int64_t i = r % shape[d];
      r /= shape[d];
      for (int k = 0; k < N; ++k) off[k] += i * strides[k][d];
    }
    return off;
  }

  // Calls f(offsets, count) for every run (or piece of a run), possibly in parallel.
  // Pieces of one long run are aligned to `align` elements; align == 0 runs
  // everything on this thread in row-major order (for scatters that may collide).
  template <class F>
  void for_each_run(F&& f, std::int64_t align = 64) const {
    const std::int64_t n_runs = runs(), n = inner();
    if (align == 0) {  // serial, in order
      for (std::int64_t r = 0; r < n_runs; ++r) f(run_offsets(r), n);
      return;
    }
    if (n_runs == 1) {
      parallel_for(0, n, 1, [&](std::int64_t lo, std::int64_t hi) {
        std::array<std::int64_t, N> off;
        for (int k = 0; k < N; ++k) off[k] = lo * strides[k].back();
        f(off, hi - lo);
      }, align);
      return;
    }
    parallel_for(0, n_runs, n, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t r = lo; r < hi; ++r) f(run_offsets(r), n);
    });
  }
};

}  // namespace lambdahat::detail
