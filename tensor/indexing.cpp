#include "tensor/indexing.hpp"

#include <algorithm>
#include <cstring>

#include "tensor/detail/loop.hpp"
#include "tensor/detail/simd.hpp"

namespace lambdahat {
namespace {

void check_index(const char* op, const Tensor& index) {
  check(index.defined(), op, "undefined index tensor");
  check(index.dtype() == kInt64, op, "index tensor must be int64, got ", index.dtype());
}

// The indices of a 1-D int64 tensor, each checked against `size`: a pointer into
// the tensor itself when it is contiguous (a minibatch's indices usually are), else
// into `copy`. The check is one branch-free pass; only a failing index costs more.
const std::int64_t* checked_indices(const char* op, const Tensor& index, std::int64_t size, int dim,
                                    std::vector<std::int64_t>& copy) {
  const std::int64_t* idx;
  if (index.is_contiguous()) {
    idx = index.data<std::int64_t>();
  } else {
    copy = index.to_vector<std::int64_t>();
    idx = copy.data();
  }
  const std::int64_t n = index.numel();
  // as unsigned numbers, negative indices are huge: one comparison finds both kinds.
  // 16 running maxima, so that the vectorised loop is not one chain of dependent steps.
  std::uint64_t most[16] = {};
  std::int64_t at = 0;
  for (; at + 16 <= n; at += 16)
    for (int j = 0; j < 16; ++j) most[j] = std::max(most[j], static_cast<std::uint64_t>(idx[at + j]));
  for (; at < n; ++at) most[0] = std::max(most[0], static_cast<std::uint64_t>(idx[at]));
  const std::uint64_t largest = *std::max_element(most, most + 16);
  if (n > 0 && largest >= static_cast<std::uint64_t>(size))
    for (std::int64_t k = 0; k < n; ++k)
      check(idx[k] >= 0 && idx[k] < size, op, "index ", idx[k], " is out of range for dimension ", dim, " of size ",
            size);
  return idx;
}

// to row i = from row idx[i], rows of `inner` elements. `Inner`, when not 0, is
// `inner` known at compile time: a short row (a feature vector, an embedding) is then
// a few vector moves instead of a loop whose length the compiler cannot see.
template <std::int64_t Inner, class T>
void copy_rows(T* to, const T* from, const std::int64_t* idx, std::int64_t n, std::int64_t inner) {
  if constexpr (Inner > 0) {
    for (std::int64_t i = 0; i < n; ++i) std::memcpy(to + i * Inner, from + idx[i] * Inner, Inner * sizeof(T));
  } else if (inner <= 16) {  // short rows: an inline loop beats calling memcpy
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < inner; ++j) to[i * inner + j] = from[idx[i] * inner + j];
  } else {
    for (std::int64_t i = 0; i < n; ++i) std::memcpy(to + i * inner, from + idx[i] * inner, inner * sizeof(T));
  }
}

// Sizes before and after `dim` of a contiguous layout.
std::int64_t outer_size(const Dims& shape, int dim) {
  std::int64_t n = 1;
  for (int d = 0; d < dim; ++d) n *= shape[d];
  return n;
}
std::int64_t inner_size(const Dims& shape, int dim) {
  std::int64_t n = 1;
  for (int d = dim + 1; d < shape.size(); ++d) n *= shape[d];
  return n;
}

}  // namespace

Tensor index_select(const Tensor& a_in, std::int64_t dim_, const Tensor& index) {
  check(a_in.defined(), "index_select", "undefined tensor argument");
  check_index("index_select", index);
  check(index.dim() == 1, "index_select", "index must be 1-D, got shape ", index.shape());
  const int dim = normalize_dim(dim_, a_in.dim(), "index_select");
  check(a_in.dim() > 0, "index_select", "cannot index a 0-dimensional tensor");
  std::vector<std::int64_t> copy;
  const std::int64_t* idx = checked_indices("index_select", index, a_in.size(dim), dim, copy);
  Tensor copy_of_a;
  const Tensor& a = a_in.is_contiguous() ? a_in : (copy_of_a = a_in.contiguous());
  Dims shape = a.shape();
  shape[dim] = index.numel();
  Tensor out = Tensor::empty(shape, a.dtype());
  const std::int64_t outer = outer_size(a.shape(), dim), inner = inner_size(a.shape(), dim);
  const std::int64_t n = index.numel(), size = a.size(dim);
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = a.data<T>();
    T* dst = out.data<T>();
    for (std::int64_t o = 0; o < outer; ++o) {
      const T* from_block = src + o * size * inner;
      T* to_block = dst + o * n * inner;
      switch (inner) {
        case 8: copy_rows<8>(to_block, from_block, idx, n, inner); break;
        case 12: copy_rows<12>(to_block, from_block, idx, n, inner); break;
        case 16: copy_rows<16>(to_block, from_block, idx, n, inner); break;
        default: copy_rows<0>(to_block, from_block, idx, n, inner);
      }
    }
  });
  return out;
}

Tensor index_select_add(const Tensor& a_in, const Tensor& ia, const Tensor& b_in, const Tensor& ib) {
  const char* op = "index_select_add";
  check(a_in.defined() && b_in.defined(), op, "undefined tensor argument");
  check_index(op, ia);
  check_index(op, ib);
  check(ia.dim() == 1 && ib.dim() == 1 && ia.numel() == ib.numel(), op, "indices must be 1-D of one length, got shapes ",
        ia.shape(), " and ", ib.shape());
  check(a_in.dim() > 0 && b_in.dim() == a_in.dim(), op, "tables of shapes ", a_in.shape(), " and ", b_in.shape(),
        " must have the same rank, at least 1");
  for (int d = 1; d < a_in.dim(); ++d)
    check(a_in.size(d) == b_in.size(d), op, "tables of shapes ", a_in.shape(), " and ", b_in.shape(),
          " differ after dimension 0");
  check(a_in.dtype() == b_in.dtype(), op, "dtypes ", a_in.dtype(), " and ", b_in.dtype(), " differ");
  std::vector<std::int64_t> copy_a, copy_b;
  const std::int64_t* pa = checked_indices(op, ia, a_in.size(0), 0, copy_a);
  const std::int64_t* pb = checked_indices(op, ib, b_in.size(0), 0, copy_b);
  const Tensor a = a_in.contiguous(), b = b_in.contiguous();
  Dims shape = a.shape();
  shape[0] = ia.numel();
  Tensor out = Tensor::empty(shape, a.dtype());
  const std::int64_t n = ia.numel(), inner = inner_size(a.shape(), 0);
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    T* o = out.data<T>();
    for (std::int64_t i = 0; i < n; ++i) {
      const T* x = ap + pa[i] * inner;
      const T* y = bp + pb[i] * inner;
      T* to = o + i * inner;
      if constexpr (std::is_floating_point_v<T>) {
        using V = simd::Vec<T>;
        constexpr std::int64_t W = simd::kLanes<T>;
        std::int64_t j = 0;
        for (; j + W <= inner; j += W) (V::load_unaligned(x + j) + V::load_unaligned(y + j)).store_unaligned(to + j);
        if (j < inner)
          simd::store_partial(to + j, simd::load_partial(x + j, inner - j) + simd::load_partial(y + j, inner - j), inner - j);
      } else {
        for (std::int64_t j = 0; j < inner; ++j) to[j] = x[j] + y[j];
      }
    }
  });
  return out;
}

void index_add_(Tensor& out, std::int64_t dim_, const Tensor& index, const Tensor& src_in) {
  check(out.defined() && src_in.defined(), "index_add_", "undefined tensor argument");
  check_index("index_add_", index);
  check(index.dim() == 1, "index_add_", "index must be 1-D, got shape ", index.shape());
  check(out.dtype() == src_in.dtype(), "index_add_", "dtypes ", out.dtype(), " and ", src_in.dtype(), " differ");
  check(out.is_contiguous(), "index_add_", "output must be contiguous");
  const int dim = normalize_dim(dim_, out.dim(), "index_add_");
  Dims expected = out.shape();
  expected[dim] = index.size(0);
  check(src_in.shape() == expected, "index_add_", "source of shape ", src_in.shape(), " does not match ",
        expected, " (output ", out.shape(), ", ", index.size(0), " indices along dimension ", dim, ")");
  std::vector<std::int64_t> copy;
  const std::int64_t* idx = checked_indices("index_add_", index, out.size(dim), dim, copy);
  const Tensor src = src_in.contiguous();
  const std::int64_t outer = outer_size(out.shape(), dim), inner = inner_size(out.shape(), dim);
  const std::int64_t n = index.size(0), size = out.size(dim);
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    const T* s = src.data<T>();
    for (std::int64_t b = 0; b < outer; ++b)
      for (std::int64_t i = 0; i < n; ++i) {
        T* row = o + (b * size + idx[i]) * inner;
        const T* from = s + (b * n + i) * inner;
        if constexpr (std::is_floating_point_v<T>) simd::add_into(row, from, inner);
        else for (std::int64_t j = 0; j < inner; ++j) row[j] += from[j];
      }
  });
}

void index_add_products_(Tensor& out_a, const Tensor& ia, Tensor& out_b, const Tensor& ib, const Tensor& g_in,
                         const Tensor& d_in) {
  const char* op = "index_add_products_";
  check(out_a.defined() && out_b.defined() && g_in.defined() && d_in.defined(), op, "undefined tensor argument");
  check_index(op, ia);
  check_index(op, ib);
  check(ia.dim() == 1 && ib.dim() == 1 && ia.numel() == ib.numel(), op, "indices must be 1-D of one length, got shapes ",
        ia.shape(), " and ", ib.shape());
  check(out_a.is_contiguous() && out_b.is_contiguous(), op, "outputs must be contiguous");
  check(out_a.dim() > 0 && out_b.dim() == out_a.dim(), op, "outputs of shapes ", out_a.shape(), " and ", out_b.shape(),
        " must have the same rank, at least 1");
  Dims expected = out_a.shape();
  expected[0] = ia.numel();
  for (int d = 1; d < out_a.dim(); ++d)
    check(out_b.size(d) == out_a.size(d), op, "outputs of shapes ", out_a.shape(), " and ", out_b.shape(),
          " differ after dimension 0");
  check(g_in.shape() == expected && d_in.shape() == expected, op, "sources of shapes ", g_in.shape(), " and ",
        d_in.shape(), " do not match ", expected, " (outputs ", out_a.shape(), ", ", ia.numel(), " indices)");
  check(out_a.dtype() == out_b.dtype() && g_in.dtype() == out_a.dtype() && d_in.dtype() == out_a.dtype(), op,
        "dtypes ", out_a.dtype(), ", ", out_b.dtype(), ", ", g_in.dtype(), " and ", d_in.dtype(), " differ");
  check(is_floating(out_a.dtype()), op, "expected floating-point tensors, got ", out_a.dtype());
  std::vector<std::int64_t> copy_a, copy_b;
  const std::int64_t* pa = checked_indices(op, ia, out_a.size(0), 0, copy_a);
  const std::int64_t* pb = checked_indices(op, ib, out_b.size(0), 0, copy_b);
  const Tensor g = g_in.contiguous(), d = d_in.contiguous();
  const std::int64_t n = ia.numel(), inner = inner_size(out_a.shape(), 0);
  visit_floating(out_a.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    using V = simd::Vec<T>;
    constexpr std::int64_t W = simd::kLanes<T>;
    T* oa = out_a.data<T>();
    T* ob = out_b.data<T>();
    const T* gp = g.data<T>();
    const T* dp = d.data<T>();
    for (std::int64_t i = 0; i < n; ++i) {
      T* ra = oa + pa[i] * inner;
      T* rb = ob + pb[i] * inner;
      const T* gi = gp + i * inner;
      const T* di = dp + i * inner;
      std::int64_t j = 0;
      for (; j + W <= inner; j += W) {
        const V gv = V::load_unaligned(gi + j), dv = V::load_unaligned(di + j);
        simd::fma(gv, dv, V::load_unaligned(ra + j)).store_unaligned(ra + j);
        simd::fma(gv, dv, V::load_unaligned(rb + j)).store_unaligned(rb + j);
      }
      if (j < inner) {
        const std::int64_t m = inner - j;
        const V gv = simd::load_partial(gi + j, m), dv = simd::load_partial(di + j, m);
        simd::store_partial(ra + j, simd::fma(gv, dv, simd::load_partial(ra + j, m)), m);
        simd::store_partial(rb + j, simd::fma(gv, dv, simd::load_partial(rb + j, m)), m);
      }
    }
  });
}

namespace {

// Shared by gather and scatter_add_: walks every element of `index` and calls
// f(offset into the indexed tensor, offset into the other tensor).
template <class F>
void walk_gather(const char* op, const Tensor& indexed, int dim, const Tensor& index, const Tensor& other,
                 bool serial, F&& f) {
  check(index.dim() == indexed.dim(), op, "index of shape ", index.shape(), " must have the rank of ",
        indexed.shape());
  for (int d = 0; d < index.dim(); ++d)
    check(d == dim || index.size(d) <= indexed.size(d), op, "index of shape ", index.shape(),
          " is larger than ", indexed.shape(), " in dimension ", d);
  check(other.shape() == index.shape(), op, "tensor of shape ", other.shape(), " does not match index shape ",
        index.shape());
  Dims indexed_strides = indexed.strides();
  indexed_strides[dim] = 0;
  const detail::Loop<3> loop(index.shape(), {index.strides(), indexed_strides, other.strides()});
  const auto s = loop.inner_strides();
  const auto* ip = index.data<std::int64_t>();
  const std::int64_t size = indexed.size(dim), step = indexed.stride(dim);
  loop.for_each_run([&](const std::array<std::int64_t, 3>& off, std::int64_t n) {
    for (std::int64_t j = 0; j < n; ++j) {
      const std::int64_t i = ip[off[0] + j * s[0]];
      check(i >= 0 && i < size, op, "index ", i, " is out of range for dimension ", dim, " of size ", size);
      f(off[1] + j * s[1] + i * step, off[2] + j * s[2]);
    }
  }, serial ? 0 : 1);
}

}  // namespace

Tensor gather(const Tensor& a, std::int64_t dim_, const Tensor& index) {
  check(a.defined(), "gather", "undefined tensor argument");
  check_index("gather", index);
  const int dim = normalize_dim(dim_, a.dim(), "gather");
  Tensor out = Tensor::empty(index.shape(), a.dtype());
  visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = a.data<T>();
    T* dst = out.data<T>();
    walk_gather("gather", a, dim, index, out, true, [&](std::int64_t from, std::int64_t to) { dst[to] = src[from]; });
  });
  return out;
}

void scatter_add_(Tensor& out, std::int64_t dim_, const Tensor& index, const Tensor& src) {
  check(out.defined() && src.defined(), "scatter_add_", "undefined tensor argument");
  check_index("scatter_add_", index);
  check(out.dtype() == src.dtype(), "scatter_add_", "dtypes ", out.dtype(), " and ", src.dtype(), " differ");
  const int dim = normalize_dim(dim_, out.dim(), "scatter_add_");
  visit_dtype(out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* dst = out.data<T>();
    const T* from = src.data<T>();
    walk_gather("scatter_add_", out, dim, index, src, true,
                [&](std::int64_t to, std::int64_t at) { dst[to] += from[at]; });
  });
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype) {
  check_index("one_hot", index);
  check(num_classes > 0, "one_hot", "number of classes must be positive, got ", num_classes);
  const auto idx = index.to_vector<std::int64_t>();
  for (auto i : idx)
    check(i >= 0 && i < num_classes, "one_hot", "index ", i, " is out of range for ", num_classes, " classes");
  Dims shape = index.shape();
  shape.push_back(num_classes);
  Tensor out = zeros(shape, dtype);
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = out.data<T>();
    for (std::size_t i = 0; i < idx.size(); ++i) o[static_cast<std::int64_t>(i) * num_classes + idx[i]] = T(1);
  });
  return out;
}

Tensor concat(const std::vector<Tensor>& tensors, std::int64_t dim_) {
  check(!tensors.empty(), "concat", "no tensors given");
  const Tensor& first = tensors.front();
  check(first.defined(), "concat", "undefined tensor argument");
  check(first.dim() > 0, "concat", "cannot concatenate 0-dimensional tensors");
  const int dim = normalize_dim(dim_, first.dim(), "concat");
  Dims shape = first.shape();
  shape[dim] = 0;
  for (const auto& t : tensors) {
    check(t.defined(), "concat", "undefined tensor argument");
    check(t.dtype() == first.dtype(), "concat", "dtypes ", first.dtype(), " and ", t.dtype(), " differ");
    bool ok = t.dim() == first.dim();
    for (int d = 0; ok && d < t.dim(); ++d) ok = d == dim || t.size(d) == first.size(d);
    check(ok, "concat", "shapes ", first.shape(), " and ", t.shape(), " differ outside dimension ", dim);
    shape[dim] += t.size(dim);
  }
  Tensor out = Tensor::empty(shape, first.dtype());
  std::int64_t at = 0;
  for (const auto& t : tensors) {
    out.narrow(dim, at, t.size(dim)).copy_(t);
    at += t.size(dim);
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  check(!tensors.empty(), "stack", "no tensors given");
  const int d = normalize_dim(dim, tensors.front().dim() + 1, "stack");
  std::vector<Tensor> expanded;
  for (const auto& t : tensors) {
    check(t.defined() && t.shape() == tensors.front().shape(), "stack", "shapes ", tensors.front().shape(), " and ",
          t.defined() ? to_string(t.shape()) : "undefined", " differ");
    expanded.push_back(t.unsqueeze(d));
  }
  return concat(expanded, d);
}

}  // namespace lambdahat
