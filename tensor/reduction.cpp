#include "tensor/reduction.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "tensor/detail/loop.hpp"
#include "tensor/detail/simd.hpp"
#include "tensor/elementwise.hpp"

namespace lambdahat {
namespace {

using simd::Vec;

// Splits the input's dimensions into kept and reduced ones.
struct ReducePlan {
  Dims out_shape;                 // result shape (keepdim applied)
  Dims kept_shape, kept_strides;  // the kept dimensions of the input, in order
  Dims red_shape, red_strides;    // the reduced dimensions of the input, in order
  Dims kept_then_reduced;         // permutation putting the reduced dimensions last
  std::int64_t reduced = 1;       // elements per output

  ReducePlan(const Tensor& a, const Dims& dims, bool keepdim, const char* op) {
    bool is_reduced[Dims::kMaxRank] = {};
    if (dims.empty()) {
      for (int d = 0; d < a.dim(); ++d) is_reduced[d] = true;
    }
    for (auto d : dims) {
      const int nd = normalize_dim(d, a.dim(), op);
      check(!is_reduced[nd] || a.dim() == 0, op, "dimension ", d, " listed twice in ", dims);
      is_reduced[nd] = true;
    }
    for (int d = 0; d < a.dim(); ++d)
      if (!is_reduced[d]) kept_then_reduced.push_back(d);
    for (int d = 0; d < a.dim(); ++d)
      if (is_reduced[d]) kept_then_reduced.push_back(d);
    for (int d = 0; d < a.dim(); ++d) {
      if (is_reduced[d]) {
        red_shape.push_back(a.size(d));
        red_strides.push_back(a.stride(d));
        reduced *= a.size(d);
        if (keepdim) out_shape.push_back(1);
      } else {
        kept_shape.push_back(a.size(d));
        kept_strides.push_back(a.stride(d));
        out_shape.push_back(a.size(d));
      }
    }
  }
};

// The reduced elements of each output are one contiguous run: true if the reduced
// dimensions collapse to a single stride-1 dimension.
bool reduced_block_is_contiguous(const ReducePlan& p) {
  if (p.reduced <= 1) return true;
  const detail::Loop<1> loop(p.red_shape, {p.red_strides});
  return loop.runs() == 1 && loop.inner_strides()[0] == 1;
}

// Calls f(out_index, input_offset) for every output element, possibly in parallel.
template <class F>
void for_each_output(const ReducePlan& p, F&& f) {
  const Dims out_strides = contiguous_strides(p.kept_shape);
  const detail::Loop<2> loop(p.kept_shape, {out_strides, p.kept_strides});
  const auto s = loop.inner_strides();
  loop.for_each_run([&](const std::array<std::int64_t, 2>& off, std::int64_t n) {
    for (std::int64_t j = 0; j < n; ++j) f(off[0] + j * s[0], off[1] + j * s[1]);
  }, 1);
}

// Runs `row(out_index, pointer to `reduced` contiguous elements)` for every output,
// copying the input into that layout first when it is not already.
template <class T, class RowF>
void reduce_rows(const Tensor& a, const ReducePlan& plan, RowF&& row) {
  if (product(plan.kept_shape) == 0) return;  // no outputs (the loop plans would divide by 0)
  if (reduced_block_is_contiguous(plan)) {
    const T* base = a.data<T>();
    for_each_output(plan, [&](std::int64_t o, std::int64_t off) { row(o, base + off); });
    return;
  }
  // move the reduced dimensions last and copy into row-major order
  const Tensor permuted = a.permute(plan.kept_then_reduced).contiguous();
  const T* base = permuted.data<T>();
  const std::int64_t outputs = product(plan.kept_shape);
  parallel_for(0, outputs, plan.reduced, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t o = lo; o < hi; ++o) row(o, base + o * plan.reduced);
  });
}

// Sum of n contiguous elements; very long sums are split into pieces fixed by n so
// they can run in parallel without changing the result.
template <class T>
T sum_contiguous(const T* x, std::int64_t n) {
  constexpr std::int64_t kPiece = 1 << 16;
  if (n <= 2 * kPiece) return simd::pairwise_sum(x, n);
  const std::int64_t pieces = (n + kPiece - 1) / kPiece;
  std::vector<T> partial(static_cast<std::size_t>(pieces));
  parallel_for(0, pieces, kPiece, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t p = lo; p < hi; ++p)
      partial[p] = simd::pairwise_sum(x + p * kPiece, std::min(kPiece, n - p * kPiece));
  });
  return simd::pairwise_sum(partial.data(), pieces);
}

// Σ_i row(i) over i in [first, first + rows), pairwise over rows with the partial
// sums kept in registers (narrow columns: a bias of 8 or 10 outputs). A block of up
// to 32 rows is summed as four interleaved chains of at most 8 rows, so that four
// additions are in flight instead of one. `row`
// returns one vector, the row's columns followed by zeros.
constexpr std::int64_t kNarrowSumBase = 32;
// Column sums split the rows into pieces of this many, summed separately.
constexpr std::int64_t kColumnSumRowPiece = 2048;

template <class T, class Row>
simd::Vec<T> narrow_rows_sum(std::int64_t first, std::int64_t rows, const Row& row) {
  if (rows <= kNarrowSumBase) {
    using V = simd::Vec<T>;
    V acc[4] = {V(T(0)), V(T(0)), V(T(0)), V(T(0))};
    std::int64_t i = 0;
    for (; i + 4 <= rows; i += 4)
      for (int c = 0; c < 4; ++c) acc[c] += row(first + i + c);
    for (; i < rows; ++i) acc[i % 4] += row(first + i);
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
  const std::int64_t half = (rows / kNarrowSumBase + 1) / 2 * kNarrowSumBase;
  return narrow_rows_sum<T>(first, half, row) + narrow_rows_sum<T>(first + half, rows - half, row);
}

// Whether the rows of a contiguous block with `cols` columns tile a vector exactly
// (1, 2, 4 or 8 columns with 16 float lanes): then it is summed as whole vectors.
template <class T>
bool tiles_vectors(std::int64_t cols) {
  return cols > 0 && simd::kLanes<T> % cols == 0;
}

// Column sums of a contiguous rows × cols block whose rows tile a vector: the
// n = rows·cols elements summed as flat vectors (vector v from chunk(v, width), its
// first `width` elements, the rest zero), with the same tree as narrow_rows_sum,
// then the W/cols row slots of the total added in order: whole vectors instead of
// one masked, partly empty vector per row.
template <class T, class Chunk>
simd::Vec<T> flat_column_sum(std::int64_t rows, std::int64_t cols, const Chunk& chunk) {
  constexpr std::int64_t W = simd::kLanes<T>;
  const std::int64_t n = rows * cols;
  // whole vectors only (the usual case): the width is known where the chunk is inlined
  const simd::Vec<T> total =
      n % W == 0 ? narrow_rows_sum<T>(0, n / W, [&](std::int64_t v) { return chunk(v, W); })
                 : narrow_rows_sum<T>(0, (n + W - 1) / W, [&](std::int64_t v) { return chunk(v, std::min(W, n - v * W)); });
  alignas(64) T lanes[W];
  total.store_aligned(lanes);
  for (std::int64_t slot = 1; slot < W / cols; ++slot)
    for (std::int64_t j = 0; j < cols; ++j) lanes[j] += lanes[slot * cols + j];
  return simd::Vec<T>::load_aligned(lanes);
}

template <class T>
simd::Vec<T> load_chunk(const T* p, std::int64_t width) {
  return width == simd::kLanes<T> ? simd::Vec<T>::load_unaligned(p) : simd::load_partial(p, width);
}

// Σ_i x[i·ld + j] for i < rows and j < cols < one vector.
template <class T>
simd::Vec<T> narrow_column_sum(const T* x, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
  if (ld == cols && tiles_vectors<T>(cols))
    return flat_column_sum<T>(rows, cols, [=](std::int64_t v, std::int64_t width) {
      return load_chunk(x + v * simd::kLanes<T>, width);
    });
  return narrow_rows_sum<T>(0, rows, [=](std::int64_t i) { return simd::load_partial(x + i * ld, cols); });
}

constexpr std::int64_t kColumnSumBase = 8;  // rows summed in order before the pairwise tree

// Column sums of rows of NV vectors (the last one `last` wide), kept in registers:
// the same tree and the same additions as column_sum below, without its passes
// over memory.
template <class T, int NV>
struct ColumnVectors {
  simd::Vec<T> v[NV];
};
template <class T, int NV>
ColumnVectors<T, NV> column_sum_vectors(const T* x, std::int64_t rows, std::int64_t ld, std::int64_t last) {
  constexpr std::int64_t W = simd::kLanes<T>;
  auto load_row = [&](const T* row, ColumnVectors<T, NV>& out, bool add) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const simd::Vec<T> x_v = v < NV - 1 ? simd::Vec<T>::load_unaligned(row + v * W) : load_chunk(row + v * W, last);
      out.v[v] = add ? out.v[v] + x_v : x_v;
    }
  };
  ColumnVectors<T, NV> acc;
  if (rows <= kColumnSumBase) {
    load_row(x, acc, false);
    for (std::int64_t i = 1; i < rows; ++i) load_row(x + i * ld, acc, true);
    return acc;
  }
  const std::int64_t half = (rows / kColumnSumBase + 1) / 2 * kColumnSumBase;
  acc = column_sum_vectors<T, NV>(x, half, ld, last);
  const ColumnVectors<T, NV> rest = column_sum_vectors<T, NV>(x + half * ld, rows - half, ld, last);
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) acc.v[v] = acc.v[v] + rest.v[v];
  return acc;
}

template <class T, int NV>
void store_column_vectors(T* out, const ColumnVectors<T, NV>& sums, std::int64_t last) {
  constexpr std::int64_t W = simd::kLanes<T>;
  for (int v = 0; v < NV - 1; ++v) sums.v[v].store_unaligned(out + v * W);
  if (last == W) sums.v[NV - 1].store_unaligned(out + (NV - 1) * W);
  else simd::store_partial(out + (NV - 1) * W, sums.v[NV - 1], last);
}

// out[j] = Σ_i x[i·ld + j] for i < rows, j < cols, pairwise over rows.
template <class T>
void column_sum(const T* x, std::int64_t rows, std::int64_t cols, std::int64_t ld, T* out, T* scratch) {
  constexpr std::int64_t W = simd::kLanes<T>;
  if (cols < W) {
    simd::store_partial(out, narrow_column_sum(x, rows, cols, ld), cols);
    return;
  }
  if (cols <= 4 * W) {
    const std::int64_t nv = (cols + W - 1) / W, last = cols - (nv - 1) * W;
    switch (nv) {
      case 1: store_column_vectors<T, 1>(out, column_sum_vectors<T, 1>(x, rows, ld, last), last); return;
      case 2: store_column_vectors<T, 2>(out, column_sum_vectors<T, 2>(x, rows, ld, last), last); return;
      case 3: store_column_vectors<T, 3>(out, column_sum_vectors<T, 3>(x, rows, ld, last), last); return;
      default: store_column_vectors<T, 4>(out, column_sum_vectors<T, 4>(x, rows, ld, last), last); return;
    }
  }
  constexpr std::int64_t kBase = kColumnSumBase;
  if (rows <= kBase) {
    std::copy(x, x + cols, out);
    for (std::int64_t i = 1; i < rows; ++i) simd::add_into(out, x + i * ld, cols);
    return;
  }
  const std::int64_t half = (rows / kBase + 1) / 2 * kBase;
  column_sum(x, half, cols, ld, out, scratch + cols);
  column_sum(x + half * ld, rows - half, cols, ld, scratch, scratch + cols);
  simd::add_into(out, scratch, cols);
}

// Sum where the reduced dimensions form a single outer dimension and the kept ones
// one contiguous inner run (the bias-gradient pattern: (B, N) summed over B).
template <class T>
bool try_column_sum(const Tensor& a, const ReducePlan& plan, Tensor& out) {
  // (an empty kept shape, such as summing a (4, 0) tensor over rows, takes the
  // general path: the loop plan below would divide by its zero length)
  if (plan.kept_shape.empty() || plan.reduced <= 1 || product(plan.kept_shape) == 0) return false;
  const detail::Loop<1> kept(plan.kept_shape, {plan.kept_strides});
  const detail::Loop<1> red(plan.red_shape, {plan.red_strides});
  if (kept.runs() != 1 || kept.inner_strides()[0] != 1 || red.runs() != 1) return false;
  const std::int64_t cols = kept.inner(), rows = red.inner(), ld = red.inner_strides()[0];
  const T* x = a.data<T>();
  T* o = out.data<T>();
  // Pieces of rows fixed by the shape (summed in parallel when there are several),
  // then combined pairwise: the same tree for any thread count.
  constexpr std::int64_t kRowPiece = kColumnSumRowPiece, kColChunk = 1024;
  const std::int64_t pieces = (rows + kRowPiece - 1) / kRowPiece;
  std::vector<T> partial(static_cast<std::size_t>(pieces > 1 ? pieces * cols : 0));
  T* dst = pieces > 1 ? partial.data() : o;
  const std::int64_t col_chunks = (cols + kColChunk - 1) / kColChunk;
  parallel_for(0, pieces * col_chunks, std::min(rows, kRowPiece) * std::min(cols, kColChunk),
               [&](std::int64_t lo, std::int64_t hi) {
    const auto levels = static_cast<std::size_t>(std::bit_width(static_cast<std::uint64_t>(kRowPiece)) + 1);
    thread_local std::vector<T> scratch;
    if (scratch.size() < levels * kColChunk) scratch.resize(levels * kColChunk);
    for (std::int64_t w = lo; w < hi; ++w) {
      const std::int64_t p = w / col_chunks, j = (w % col_chunks) * kColChunk;
      const std::int64_t r0 = p * kRowPiece, nr = std::min(kRowPiece, rows - r0), n = std::min(kColChunk, cols - j);
      column_sum(x + r0 * ld + j, nr, n, ld, dst + p * cols + j, scratch.data());
    }
  });
  if (pieces > 1) {
    // pairwise over the piece sums
    for (std::int64_t step = 1; step < pieces; step *= 2)
      for (std::int64_t p = 0; p + step < pieces; p += 2 * step)
        simd::add_into(partial.data() + p * cols, partial.data() + (p + step) * cols, cols);
    std::copy(partial.begin(), partial.begin() + cols, o);
  }
  return true;
}

// Σ f(x_i) over n contiguous elements: f applied a chunk at a time into a buffer,
// each chunk summed pairwise in T, chunks accumulated in double.
template <class T, class F>
T chunked_sum(const T* x, std::int64_t n, F f) {
  constexpr std::int64_t kChunk = 256;
  alignas(64) T buf[kChunk];
  double total = 0;
  for (std::int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const std::int64_t m = std::min(kChunk, n - i0);
    simd::map(buf, std::array<const T*, 1>{x + i0}, {false}, m, f);
    total += simd::pairwise_sum(buf, m);
  }
  return static_cast<T>(total);
}

// Σ e^{x − shift}
template <class T>
T sum_exp_shifted(const T* x, std::int64_t n, T shift) {
  return chunked_sum(x, n, [shift](auto v) { return xsimd::exp(v - decltype(v)(shift)); });
}

// Σ (x − center)²
template <class T>
T squared_deviation(const T* x, std::int64_t n, T center) {
  return chunked_sum(x, n, [center](auto v) {
    const auto d = v - decltype(v)(center);
    return d * d;
  });
}

void check_input(const Tensor& a, const char* op) { check(a.defined(), op, "undefined tensor argument"); }

}  // namespace

Tensor sum(const Tensor& a, const Dims& dims, bool keepdim) {
  check_input(a, "sum");
  const ReducePlan plan(a, dims, keepdim, "sum");
  Tensor out = Tensor::empty(plan.out_shape, a.dtype());
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    if constexpr (std::is_same_v<T, std::int64_t>) {
      reduce_rows<T>(a, plan, [&](std::int64_t i, const T* x) {
        T s = 0;
        for (std::int64_t k = 0; k < plan.reduced; ++k) s += x[k];
        o[i] = s;
      });
    } else {
      if (plan.reduced == 0) {
        std::fill(o, o + out.numel(), T(0));
        return;
      }
      if (try_column_sum<T>(a, plan, out)) return;
      reduce_rows<T>(a, plan, [&](std::int64_t i, const T* x) { o[i] = sum_contiguous(x, plan.reduced); });
    }
  });
  return out;
}

Tensor mean(const Tensor& a, const Dims& dims, bool keepdim) {
  check_input(a, "mean");
  check(is_floating(a.dtype()), "mean", "expected a floating-point tensor, got ", a.dtype());
  const ReducePlan plan(a, dims, keepdim, "mean");
  Tensor out = sum(a, dims, keepdim);
  mul_(out, 1.0 / static_cast<double>(plan.reduced));
  return out;
}

namespace {
Tensor extreme(const Tensor& a, const Dims& dims, bool keepdim, bool want_max, const char* op) {
  check_input(a, op);
  const ReducePlan plan(a, dims, keepdim, op);
  check(plan.reduced > 0, op, "cannot reduce an empty dimension of shape ", a.shape());
  Tensor out = Tensor::empty(plan.out_shape, a.dtype());
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    reduce_rows<T>(a, plan, [&](std::int64_t i, const T* x) {
      if constexpr (std::is_same_v<T, std::int64_t>) {
        o[i] = want_max ? *std::max_element(x, x + plan.reduced) : *std::min_element(x, x + plan.reduced);
      } else {
        o[i] = simd::extreme(x, plan.reduced, want_max);
      }
    });
  });
  return out;
}

Tensor arg_extreme(const Tensor& a, std::int64_t dim, bool keepdim, bool want_max, const char* op) {
  check_input(a, op);
  const ReducePlan plan(a, {dim}, keepdim, op);
  check(plan.reduced > 0, op, "cannot reduce an empty dimension of shape ", a.shape());
  Tensor out = Tensor::empty(plan.out_shape, kInt64);
  auto* o = out.data<std::int64_t>();
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    reduce_rows<T>(a, plan, [&](std::int64_t i, const T* x) {
      std::int64_t best = 0;
      for (std::int64_t k = 1; k < plan.reduced; ++k) {
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(x[best])) break;  // the first NaN wins, as in NumPy
          if (std::isnan(x[k])) {
            best = k;
            break;
          }
        }
        if (want_max ? x[k] > x[best] : x[k] < x[best]) best = k;
      }
      o[i] = best;
    });
  });
  return out;
}
}  // namespace

Tensor max(const Tensor& a, const Dims& dims, bool keepdim) { return extreme(a, dims, keepdim, true, "max"); }
Tensor min(const Tensor& a, const Dims& dims, bool keepdim) { return extreme(a, dims, keepdim, false, "min"); }
Tensor argmax(const Tensor& a, std::int64_t dim, bool keepdim) { return arg_extreme(a, dim, keepdim, true, "argmax"); }
Tensor argmin(const Tensor& a, std::int64_t dim, bool keepdim) { return arg_extreme(a, dim, keepdim, false, "argmin"); }

Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim) {
  check_input(a, "logsumexp");
  const ReducePlan plan(a, dims, keepdim, "logsumexp");
  Tensor out = Tensor::empty(plan.out_shape, a.dtype());
  visit_floating(a.dtype(), "logsumexp", [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    reduce_rows<T>(a, plan, [&](std::int64_t i, const T* x) {
      if (plan.reduced == 0) {
        o[i] = -std::numeric_limits<T>::infinity();
        return;
      }
      const T m = simd::extreme(x, plan.reduced, true);
      // all -inf (or NaN, or +inf somewhere): the shift cannot help, the answer is m
      if (!std::isfinite(m)) {
        o[i] = m;
        return;
      }
      o[i] = m + std::log(sum_exp_shifted(x, plan.reduced, m));
    });
  });
  return out;
}

Tensor var(const Tensor& a, const Dims& dims, std::int64_t correction, bool keepdim) {
  check_input(a, "var");
  const ReducePlan plan(a, dims, keepdim, "var");
  check(correction >= 0, "var", "correction must be >= 0, got ", correction);
  Tensor out = Tensor::empty(plan.out_shape, a.dtype());
  const double denom = static_cast<double>(plan.reduced - correction);
  visit_floating(a.dtype(), "var", [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    reduce_rows<T>(a, plan, [&](std::int64_t i, const T* x) {
      if (denom <= 0) {
        o[i] = std::numeric_limits<T>::quiet_NaN();
        return;
      }
      const T center = sum_contiguous(x, plan.reduced) / static_cast<T>(plan.reduced);
      o[i] = static_cast<T>(squared_deviation(x, plan.reduced, center) / denom);
    });
  });
  return out;
}

double sum_all(const Tensor& a) {
  check_input(a, "sum_all");
  double s = 0;
  for (double v : a.to_vector<double>()) s += v;
  return s;
}

std::pair<Tensor, Tensor> relu_backward_and_column_sums(const Tensor& g, const Tensor& x) {
  check(g.defined() && x.defined(), "relu_backward_and_column_sums", "undefined tensor argument");
  check(g.dim() == 2 && g.shape() == x.shape(), "relu_backward_and_column_sums",
        "expected a 2-D gradient and input of one shape, got ", g.shape(), " and ", x.shape());
  const std::int64_t rows = g.size(0), cols = g.size(1);
  const bool one_pass = g.dtype() == x.dtype() && is_floating(g.dtype()) && g.is_contiguous() && x.is_contiguous() &&
                        rows >= 2 && rows <= kColumnSumRowPiece &&
                        cols < (g.dtype() == kFloat32 ? simd::kLanes<float> : simd::kLanes<double>);
  if (!one_pass) {
    Tensor masked = relu_backward(g, x);
    Tensor sums = sum(masked, {0});
    return {std::move(masked), std::move(sums)};
  }
  Tensor masked = Tensor::empty(g.shape(), g.dtype()), sums = Tensor::empty({cols}, g.dtype());
  visit_floating(g.dtype(), "relu_backward_and_column_sums", [&](auto tag) {
    using T = decltype(tag);
    using V = simd::Vec<T>;
    const T* gp = g.data<T>();
    const T* xp = x.data<T>();
    T* out = masked.data<T>();
    // the same vectors and tree as sum(relu_backward(g, x), {0}) (narrow_column_sum)
    V total;
    if (tiles_vectors<T>(cols)) {
      total = flat_column_sum<T>(rows, cols, [=](std::int64_t v, std::int64_t width) {
        const std::int64_t at = v * simd::kLanes<T>;
        const V m = xsimd::select(load_chunk(xp + at, width) > V(0), load_chunk(gp + at, width), V(0));
        if (width == simd::kLanes<T>) m.store_unaligned(out + at);
        else simd::store_partial(out + at, m, width);
        return m;
      });
    } else {
      total = narrow_rows_sum<T>(0, rows, [=](std::int64_t i) {
        const V m = xsimd::select(simd::load_partial(xp + i * cols, cols) > V(0),
                                  simd::load_partial(gp + i * cols, cols), V(0));
        simd::store_partial(out + i * cols, m, cols);
        return m;
      });
    }
    simd::store_partial(sums.data<T>(), total, cols);
  });
  return {std::move(masked), std::move(sums)};
}

}  // namespace lambdahat
