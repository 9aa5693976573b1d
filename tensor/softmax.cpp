#include "tensor/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/detail/simd.hpp"
#include "tensor/detail/transpose.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/parallel.hpp"
#include "tensor/reduction.hpp"

namespace lambdahat {
namespace {

// One row of n contiguous values (longer than 8 vectors; shorter rows take
// softmax_short_rows): probs = e^{x − max} / Σ, returns log Σ e^x.
template <class T>
T softmax_row(const T* x, T* probs, std::int64_t n) {
  using V = simd::Vec<T>;
  constexpr std::int64_t W = simd::kLanes<T>;
  const T m = simd::extreme(x, n, /*want_max=*/true);
  if (!std::isfinite(m)) {  // all -inf, or an inf or NaN present: no stable shift exists
    for (std::int64_t i = 0; i < n; ++i) probs[i] = std::numeric_limits<T>::quiet_NaN();
    return m;
  }
  simd::map(probs, std::array<const T*, 1>{x}, {false}, n, [m](auto v) { return simd::exp_nonpositive(v - decltype(v)(m)); });
  const T total = simd::pairwise_sum(probs, n);
  const V inv(T(1) / total);
  std::int64_t i = 0;
  for (; i + W <= n; i += W) (V::load_unaligned(probs + i) * inv).store_unaligned(probs + i);
  for (; i < n; ++i) probs[i] *= T(1) / total;
  return m + std::log(total);
}

// sums[b] = the sum of the lanes of vector b of `vectors`, b < count ≤ 32: 16 float
// vectors at a time transposed in registers and added lane pair by lane pair in the
// order of simd::hsum (lanes j and j + 8, then j + 4, j + 2, j + 1), so the sums are
// the same bits; a horizontal sum per row ended each row's chain of exponentials
// with four dependent shuffles and additions.
template <class T>
void sum_lanes(const T* vectors, std::int64_t count, T* sums) {
  using V = simd::Vec<T>;
  constexpr std::int64_t W = simd::kLanes<T>;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float> && W == 16) {
    for (std::int64_t b0 = 0; b0 < count; b0 += 16) {
      __m512 r[16];
      for (std::int64_t i = 0; i < 16; ++i)
        r[i] = b0 + i < count ? _mm512_load_ps(vectors + (b0 + i) * 16) : _mm512_setzero_ps();
      detail::transpose_16x16(r);  // r[j] holds lane j of the 16 vectors
      for (int half = 8; half >= 1; half /= 2)
        for (int j = 0; j < half; ++j) r[j] = _mm512_add_ps(r[j], r[j + half]);
      alignas(64) float out[16];
      _mm512_store_ps(out, r[0]);
      for (std::int64_t i = 0; i < std::min<std::int64_t>(16, count - b0); ++i) sums[b0 + i] = out[i];
    }
    return;
  }
#endif
  for (std::int64_t b = 0; b < count; ++b) sums[b] = simd::hsum(V::load_aligned(vectors + b * W));
}

// Short rows (n ≤ 8 vectors, class counts), a batch at a time, in three passes: the
// maxima of all rows, their exponentials and sums, then the scaling and the
// log-sums. Doing it all for one row before the next made one long chain of
// dependent steps per row; here no pass waits on one row to start the next, and the
// results are the same bit for bit, NaN and infinite rows included. Padding lanes of the last vector hold -inf, whose exponential is 0.
template <class T>
void softmax_short_rows(const T* x, T* probs, T* lse, std::int64_t rows, std::int64_t n) {
  using V = simd::Vec<T>;
  constexpr std::int64_t W = simd::kLanes<T>;
  constexpr std::int64_t kBatch = 32;
  const std::int64_t full = n / W, rest = n % W, count = full + (rest ? 1 : 0);
  const T neg_inf = -std::numeric_limits<T>::infinity();
  const auto tail_lanes = simd::lane_index<T>() < V(T(rest));
  auto load = [&](const T* row, std::int64_t k) {
    return k < full ? V::load_unaligned(row + k * W) : xsimd::select(tail_lanes, simd::load_partial(row + k * W, rest), V(neg_inf));
  };
  alignas(64) T row_max[kBatch], sum[kBatch];
  bool nan_row[kBatch], special[kBatch];  // special: NaN, +inf or all −inf, no exponentials
  alignas(64) T scratch[kBatch * 8 * W];  // the exponentials of a batch, 8 vectors per row
  for (std::int64_t r0 = 0; r0 < rows; r0 += kBatch) {
    const std::int64_t nb = std::min(kBatch, rows - r0);
    for (std::int64_t b = 0; b < nb; ++b) {
      const T* row = x + (r0 + b) * n;
      V m(neg_inf);
      auto nan = V(T(0)) != V(T(0));
      for (std::int64_t k = 0; k < count; ++k) {
        const V v = load(row, k);
        nan = nan | xsimd::isnan(v);
        m = xsimd::max(m, v);
      }
      row_max[b] = simd::hmax(m);
      nan_row[b] = xsimd::any(nan);
      special[b] = nan_row[b] || !std::isfinite(row_max[b]);
    }
    // exponentials into the scratch rows (whole vectors: a masked store followed by
    // a load of the same place would stall) and their sums
    alignas(64) T totals[kBatch * W];
    for (std::int64_t b = 0; b < nb; ++b) {
      V total(T(0));
      if (!special[b]) {
        const T* row = x + (r0 + b) * n;
        for (std::int64_t k = 0; k < count; ++k) {
          const V e = simd::exp_nonpositive(load(row, k) - V(row_max[b]));  // padding lanes: e^{-inf} = 0
          total += e;
          e.store_aligned(scratch + (b * 8 + k) * W);
        }
      }
      total.store_aligned(totals + b * W);
    }
    sum_lanes(totals, nb, sum);
    for (std::int64_t b = 0; b < nb; ++b) {
      T* out = probs + (r0 + b) * n;
      if (special[b]) {
        for (std::int64_t i = 0; i < n; ++i) out[i] = std::numeric_limits<T>::quiet_NaN();
        lse[r0 + b] = nan_row[b] ? std::numeric_limits<T>::quiet_NaN() : row_max[b];
        continue;
      }
      const V inv(T(1) / sum[b]);
      for (std::int64_t k = 0; k < full; ++k)
        (V::load_aligned(scratch + (b * 8 + k) * W) * inv).store_unaligned(out + k * W);
      if (rest) simd::store_partial(out + full * W, V::load_aligned(scratch + (b * 8 + full) * W) * inv, rest);
    }
    // the log-sums of the batch, a vector of rows at a time instead of a scalar log
    // per row; special rows have theirs already
    for (std::int64_t b = 0; b < (nb + W - 1) / W * W; ++b)
      if (b >= nb || special[b]) row_max[b] = 0, sum[b] = T(1);
    for (std::int64_t b = 0; b < nb; b += W) {
      alignas(64) T lse_batch[W];
      (V::load_aligned(row_max + b) + xsimd::log(V::load_aligned(sum + b))).store_aligned(lse_batch);
      for (std::int64_t i = 0; i < std::min(W, nb - b); ++i)
        if (!special[b + i]) lse[r0 + b + i] = lse_batch[i];
    }
  }
}

// Softmax down the columns of a rows × cols block stored by rows (x and probs both
// with row stride `stride`; rows are the classes): each column is one distribution, and a vector holds
// W neighbouring columns, so the maxima, exponentials and sums are whole-vector
// work with no horizontal reductions and no padding lanes (53 classes × 128 columns:
// 424 exponentials of full vectors, where rows of 53 take 512 with 11 idle lanes
// each). Columns holding a NaN, +inf, or only −inf get NaN probabilities and a
// log-sum of NaN (for a NaN) or their maximum, as in softmax_short_rows.
template <class T, int NV, bool kPartial>
void softmax_column_block(const T* x, T* probs, T* lse, std::int64_t rows, std::int64_t stride, std::int64_t lanes) {
  using V = simd::Vec<T>;
  constexpr std::int64_t W = simd::kLanes<T>;
  const T neg_inf = -std::numeric_limits<T>::infinity(), nan_value = std::numeric_limits<T>::quiet_NaN();
  auto load = [lanes](const T* p) { return kPartial ? simd::load_partial(p, lanes) : V::load_unaligned(p); };
  auto store = [lanes](T* p, V v) {
    if constexpr (kPartial) simd::store_partial(p, v, lanes);
    else v.store_unaligned(p);
  };
  V m[NV], total[NV], shift[NV];
  decltype(V(T(0)) != V(T(0))) nan[NV], special[NV];
  for (int k = 0; k < NV; ++k) m[k] = V(neg_inf), nan[k] = V(T(0)) != V(T(0)), total[k] = V(T(0));
  for (std::int64_t r = 0; r < rows; ++r)
    for (int k = 0; k < NV; ++k) {
      const V v = load(x + r * stride + k * W);
      nan[k] = nan[k] | xsimd::isnan(v);
      m[k] = xsimd::max(m[k], v);
    }
  // a special column gets shift 0; its values are replaced by NaN below
  for (int k = 0; k < NV; ++k) {
    special[k] = nan[k] | (m[k] == V(neg_inf)) | (m[k] == V(-neg_inf));
    shift[k] = xsimd::select(special[k], V(T(0)), m[k]);
  }
  for (std::int64_t r = 0; r < rows; ++r)
    for (int k = 0; k < NV; ++k) {
      const V e = simd::exp_nonpositive(xsimd::min(load(x + r * stride + k * W) - shift[k], V(T(0))));
      total[k] += e;
      store(probs + r * stride + k * W, e);
    }
  V inv[NV];
  for (int k = 0; k < NV; ++k) {
    inv[k] = xsimd::select(special[k], V(nan_value), V(T(1)) / total[k]);
    store(lse + k * W, xsimd::select(special[k], xsimd::select(nan[k], V(nan_value), m[k]), shift[k] + xsimd::log(total[k])));
  }
  for (std::int64_t r = 0; r < rows; ++r)
    for (int k = 0; k < NV; ++k) store(probs + r * stride + k * W, load(probs + r * stride + k * W) * inv[k]);
}

// cols columns from x, two vectors of them at a time (two independent chains of
// exponentials and sums), then the rest
template <class T>
void softmax_columns(const T* x, T* probs, T* lse, std::int64_t rows, std::int64_t cols, std::int64_t stride) {
  constexpr std::int64_t W = simd::kLanes<T>;
  std::int64_t j = 0;
  for (; j + 4 * W <= cols; j += 4 * W) softmax_column_block<T, 4, false>(x + j, probs + j, lse + j, rows, stride, W);
  for (; j + 2 * W <= cols; j += 2 * W) softmax_column_block<T, 2, false>(x + j, probs + j, lse + j, rows, stride, W);
  for (; j + W <= cols; j += W) softmax_column_block<T, 1, false>(x + j, probs + j, lse + j, rows, stride, W);
  if (j < cols) softmax_column_block<T, 1, true>(x + j, probs + j, lse + j, rows, stride, cols - j);
}

}  // namespace

SoftmaxResult softmax_and_logsumexp(const Tensor& x_in, std::int64_t dim) {
  check(x_in.defined(), "softmax", "undefined tensor argument");
  check(x_in.dim() >= 1, "softmax", "expected a tensor of rank >= 1, got shape ", x_in.shape());
  const int d = normalize_dim(dim, x_in.dim(), "softmax");
  if (x_in.dim() == 2 && x_in.numel() > 0) {
    // A matrix whose softmax dimension runs across its memory rows (softmax over dim 0
    // of a row-major matrix, or over dim 1 of a transposed one, such as class-major
    // logits) is taken down its columns, and its probabilities keep its layout.
    const int other = 1 - d;
    if (x_in.stride(other) == 1 && x_in.stride(d) == x_in.size(other) && x_in.size(other) > 1 && x_in.size(d) > 1) {
      const std::int64_t classes = x_in.size(d), cols = x_in.size(other);
      Tensor probs_rows = Tensor::empty({classes, cols}, x_in.dtype());
      Tensor lse_row = Tensor::empty({1, cols}, x_in.dtype());
      visit_floating(x_in.dtype(), "softmax", [&](auto tag) {
        using T = decltype(tag);
        constexpr std::int64_t W = simd::kLanes<T>;
        const T* xp = x_in.data<T>();
        T* pp = probs_rows.data<T>();
        T* lp = lse_row.data<T>();
        parallel_for(0, (cols + W - 1) / W, classes * W, [&](std::int64_t lo, std::int64_t hi) {
          const std::int64_t j0 = lo * W, j1 = std::min(cols, hi * W);
          softmax_columns(xp + j0, pp + j0, lp + j0, classes, j1 - j0, cols);
        });
      });
      if (d == 0) return {probs_rows, lse_row};
      return {probs_rows.t(), lse_row.t()};
    }
  }
  // rows along the last dimension: move `dim` there (a view), copy if needed
  const bool last = d == x_in.dim() - 1;
  const Tensor x = (last ? x_in : x_in.transpose(d, -1)).contiguous();
  const std::int64_t n = x.size(-1), rows = n == 0 ? 0 : x.numel() / n;
  Tensor probs = Tensor::empty(x.shape(), x.dtype());
  Dims lse_shape = x.shape();
  lse_shape[lse_shape.size() - 1] = 1;
  Tensor lse = Tensor::empty(lse_shape, x.dtype());
  visit_floating(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* pp = probs.data<T>();
    T* lp = lse.data<T>();
    parallel_for(0, rows, n, [&](std::int64_t lo, std::int64_t hi) {
      if (n > 0 && n <= 8 * simd::kLanes<T>) {
        softmax_short_rows(xp + lo * n, pp + lo * n, lp + lo, hi - lo, n);
        return;
      }
      for (std::int64_t r = lo; r < hi; ++r) lp[r] = softmax_row(xp + r * n, pp + r * n, n);
    });
  });
  if (!last) {
    probs = probs.transpose(d, -1).contiguous();
    lse = lse.transpose(d, -1);
  }
  return {probs, lse};
}

Tensor softmax(const Tensor& x, std::int64_t dim) { return softmax_and_logsumexp(x, dim).probs; }

Tensor log_softmax(const Tensor& x, std::int64_t dim) {
  const int d = normalize_dim(dim, x.dim(), "log_softmax");
  return sub(x, softmax_and_logsumexp(x, d).logsumexp);
}

}  // namespace lambdahat
