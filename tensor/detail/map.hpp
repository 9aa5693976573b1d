// The elementwise engine behind every op in elementwise.cpp (and the few fused
// kernels elsewhere): out[idx] = f(in_0[idx], ..., in_{N-1}[idx]) for every index of
// out, with the inputs broadcast to out's shape.
//
// Runs whose inputs are contiguous (or a single repeated element) go straight to the
// vector helper; other runs are gathered into small blocks first, so the arithmetic
// is always the same vector code.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

#include "tensor/detail/loop.hpp"
#include "tensor/detail/simd.hpp"
#include "tensor/tensor.hpp"

namespace lambdahat::detail {

// Separate outputs of at least this many bytes, far beyond the per-core caches, are
// written with non-temporal stores (simd::map_streaming).
inline constexpr std::int64_t kStreamingBytes = std::int64_t{16} << 20;

// Strides that read `t` as if it had been broadcast to `shape` (0 where it repeats).
inline Dims broadcast_strides(const Tensor& t, const Dims& shape) {
  Dims s;
  const int lead = shape.size() - t.dim();
  for (int d = 0; d < shape.size(); ++d) {
    const int td = d - lead;
    s.push_back(td < 0 || t.size(td) == 1 ? 0 : t.stride(td));
  }
  return s;
}

template <class T, std::size_t N, class F>
void map_run(T* out, std::int64_t out_stride, std::array<const T*, N> in, std::array<std::int64_t, N> stride,
             std::int64_t n, F& f) {
  if constexpr (!std::is_floating_point_v<T>) {
    // int64 has no vector path: plain loop.
    for (std::int64_t i = 0; i < n; ++i) {
      std::array<T, N> v;
      for (std::size_t k = 0; k < N; ++k) v[k] = in[k][i * stride[k]];
      out[i * out_stride] = std::apply(f, v);
    }
  } else {
    std::array<bool, N> repeat;
    bool direct = out_stride == 1;
    for (std::size_t k = 0; k < N; ++k) {
      repeat[k] = stride[k] == 0;
      direct = direct && (stride[k] == 0 || stride[k] == 1);
    }
    if (direct) {
      simd::map(out, in, repeat, n, f);
      return;
    }
    constexpr std::int64_t kBlock = 256;
    alignas(64) T buffer[N][kBlock];
    alignas(64) T out_buffer[kBlock];
    for (std::int64_t i0 = 0; i0 < n; i0 += kBlock) {
      const std::int64_t m = std::min(kBlock, n - i0);
      std::array<const T*, N> block;
      for (std::size_t k = 0; k < N; ++k) {
        if (stride[k] == 0 || stride[k] == 1) {
          block[k] = in[k] + i0 * stride[k];
        } else {
          for (std::int64_t i = 0; i < m; ++i) buffer[k][i] = in[k][(i0 + i) * stride[k]];
          block[k] = buffer[k];
        }
      }
      if (out_stride == 1) {
        simd::map(out + i0, block, repeat, m, f);
      } else {
        simd::map(out_buffer, block, repeat, m, f);
        for (std::int64_t i = 0; i < m; ++i) out[(i0 + i) * out_stride] = out_buffer[i];
      }
    }
  }
}

// Writes f(inputs...) into `out` (which may be one of the inputs, viewed identically).
template <class T, std::size_t N, class F>
void map_into(const Tensor& out, const std::array<const Tensor*, N>& inputs, F f) {
  if constexpr (std::is_floating_point_v<T>) {
    // The common case first: everything contiguous, inputs of the output's shape or
    // single elements. No stride bookkeeping.
    bool simple = out.is_contiguous();
    std::array<const T*, N> p;
    std::array<bool, N> repeat;
    for (std::size_t k = 0; k < N && simple; ++k) {
      const Tensor& in = *inputs[k];
      repeat[k] = in.numel() == 1 && out.numel() != 1;
      simple = repeat[k] || (in.is_contiguous() && in.shape() == out.shape()) ||
               (in.is_contiguous() && in.numel() == out.numel() && in.dim() <= out.dim() &&
                std::equal(in.shape().begin(), in.shape().end(), out.shape().end() - in.dim()));
      p[k] = in.template data<T>();
    }
    if (simple) {
      T* o = out.data<T>();
      // Streaming stores only for a separate output: an op in place has read each
      // line already, and streaming would push it out of the cache.
      bool stream = out.numel() * static_cast<std::int64_t>(sizeof(T)) >= kStreamingBytes;
      for (std::size_t k = 0; k < N; ++k) stream = stream && inputs[k]->storage() != out.storage();
      parallel_for(0, out.numel(), 1, [&](std::int64_t lo, std::int64_t hi) {
        std::array<const T*, N> q;
        for (std::size_t k = 0; k < N; ++k) q[k] = repeat[k] ? p[k] : p[k] + lo;
        if (stream) simd::map_streaming(o + lo, q, repeat, hi - lo, f);
        else simd::map(o + lo, q, repeat, hi - lo, f);
      }, 64);
      return;
    }
  }
  std::array<Dims, N + 1> strides;
  strides[0] = out.strides();
  for (std::size_t k = 0; k < N; ++k) strides[k + 1] = broadcast_strides(*inputs[k], out.shape());
  const Loop<N + 1> loop(out.shape(), strides);
  const auto inner = loop.inner_strides();
  T* o = out.data<T>();
  std::array<const T*, N> base;
  std::array<std::int64_t, N> in_stride;
  for (std::size_t k = 0; k < N; ++k) {
    base[k] = inputs[k]->template data<T>();
    in_stride[k] = inner[k + 1];
  }
  if (out.numel() == 0) return;
  loop.for_each_run([&](const std::array<std::int64_t, N + 1>& off, std::int64_t n) {
    std::array<const T*, N> p;
    for (std::size_t k = 0; k < N; ++k) p[k] = base[k] + off[k + 1];
    map_run<T, N>(o + off[0], inner[0], p, in_stride, n, f);
  });
}

}  // namespace lambdahat::detail
