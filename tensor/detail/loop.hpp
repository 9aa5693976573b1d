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
    if (n_runs == 1 && align != 0) {
      parallel_for(0, n, 1, [&](std::int64_t lo, std::int64_t hi) {
        std::array<std::int64_t, N> off;
        for (int k = 0; k < N; ++k) off[k] = lo * strides[k].back();
        f(off, hi - lo);
      }, align);
      return;
    }
    if (align == 0) {  // serial, in order
      runs_in(0, n_runs, f);
      return;
    }
    parallel_for(0, n_runs, n, [&](std::int64_t lo, std::int64_t hi) { runs_in(lo, hi, f); });
  }

 private:
  // Runs lo..hi-1: offsets of the first by division, then an odometer over the
  // outer dimensions (one addition per run instead of a division per dimension).
  template <class F>
  void runs_in(std::int64_t lo, std::int64_t hi, F& f) const {
    if (lo >= hi) return;
    const int outer = shape.size() - 1;
    std::array<std::int64_t, Dims::kMaxRank> index{};
    std::int64_t r = lo;
    for (int d = outer - 1; d >= 0; --d) {
      index[d] = r % shape[d];
      r /= shape[d];
    }
    std::array<std::int64_t, N> off = run_offsets(lo);
    const std::int64_t n = inner();
    for (std::int64_t run = lo; run < hi; ++run) {
      f(off, n);
      // advance the odometer
      for (int d = outer - 1; d >= 0; --d) {
        if (++index[d] < shape[d]) {
          for (int k = 0; k < N; ++k) off[k] += strides[k][d];
          break;
        }
        index[d] = 0;
        for (int k = 0; k < N; ++k) off[k] -= strides[k][d] * (shape[d] - 1);
      }
    }
  }
};

}  // namespace lambdahat::detail
