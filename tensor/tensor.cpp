#include "tensor/tensor.hpp"

#include <cmath>
#include <cstring>

#include "tensor/detail/loop.hpp"
#include "tensor/detail/map.hpp"
#include "tensor/detail/transpose.hpp"

namespace lambdahat {

// ---- construction and queries ----

Tensor::Tensor(std::shared_ptr<Storage> storage, Dims shape, Dims strides, std::int64_t offset, DType dtype)
    : storage_(std::move(storage)), shape_(shape), strides_(strides), offset_(offset), numel_(product(shape)),
      dtype_(dtype) {
  check(shape_.size() == strides_.size(), "Tensor", "shape ", shape_, " and strides ", strides_,
        " differ in rank");
}

Tensor Tensor::empty(const Dims& shape, DType dtype) {
  check_shape(shape, "empty");
  const std::int64_t n = product(shape);
  auto storage = make_cached_shared<Storage>(static_cast<std::size_t>(n) * itemsize(dtype));
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

std::int64_t Tensor::size_checked(std::int64_t d) const { return shape_[normalize_dim(d, dim(), "size")]; }
std::int64_t Tensor::stride_checked(std::int64_t d) const { return strides_[normalize_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (int d = dim() - 1; d >= 0; --d) {
    if (shape_[d] == 1) continue;
    if (strides_[d] != expected) return false;
    expected *= shape_[d];
  }
  return true;
}

double Tensor::item() const {
  check(defined() && numel_ == 1, "item", "expected a tensor with one element, got shape ", shape_);
  return visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(*data<T>());
  });
}

double Tensor::at(std::initializer_list<std::int64_t> index) const {
  check(static_cast<int>(index.size()) == dim(), "at", "index has ", index.size(), " entries for a tensor of shape ",
        shape_);
  std::int64_t off = 0;
  int d = 0;
  for (auto i : index) {
    check(i >= 0 && i < shape_[d], "at", "index ", i, " is out of range for dimension ", d, " of shape ", shape_);
    off += i * strides_[d++];
  }
  return visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    return static_cast<double>(data<T>()[off]);
  });
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out(static_cast<std::size_t>(numel_));
  if (numel_ == 0) return out;
  const Tensor c = to(dtype_of<T>).contiguous();
  std::memcpy(out.data(), c.raw_data(), out.size() * sizeof(T));
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;

// ---- views ----

namespace {

// Sizes with one -1 resolved so that the element count matches.
Dims infer_shape(const Dims& requested, std::int64_t numel, const char* op) {
  Dims shape = requested;
  int unknown = -1;
  std::int64_t known = 1;
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(unknown < 0, op, "only one size may be -1 in ", requested);
      unknown = i;
    } else {
      check(shape[i] >= 0, op, "negative size in ", requested);
      known *= shape[i];
    }
  }
  if (unknown >= 0) {
    check(known > 0 && numel % known == 0, op, "cannot infer the -1 in ", requested, " for ", numel, " elements");
    shape[unknown] = numel / known;
  }
  check(product(shape) == numel, op, "shape ", requested, " does not hold ", numel, " elements");
  return shape;
}

// Strides that let `shape` view the same elements as (old_shape, old_strides), if
// possible. Old dimensions are grouped into chunks that are contiguous among
// themselves; each chunk can be split or merged freely, but not across chunks.
bool view_strides(const Dims& old_shape, const Dims& old_strides, const Dims& shape, Dims& strides) {
  strides = shape;
  if (old_shape.empty()) {
    for (auto& s : strides) s = 1;
    return true;
  }
  int view_d = shape.size() - 1;
  std::int64_t chunk_base_stride = old_strides.back(), tensor_numel = 1, view_numel = 1;
  for (int d = old_shape.size() - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    const bool chunk_ends =
        d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
      strides[view_d] = view_numel * chunk_base_stride;
      view_numel *= shape[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return false;
    if (d > 0) {
      chunk_base_stride = old_strides[d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  return view_d == -1;
}

}  // namespace

Tensor Tensor::view(const Dims& requested) const {
  const Dims shape = infer_shape(requested, numel_, "view");
  Dims strides;
  if (is_contiguous()) {
    strides = contiguous_strides(shape);
  } else {
    check(numel_ == 0 || view_strides(shape_, strides_, shape, strides), "view", "a tensor of shape ", shape_,
          " and strides ", strides_, " cannot be viewed as ", shape, "; use reshape, which copies");
  }
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::reshape(const Dims& requested) const {
  const Dims shape = infer_shape(requested, numel_, "reshape");
  Dims strides;
  if (is_contiguous()) return Tensor(storage_, shape, contiguous_strides(shape), offset_, dtype_);
  if (numel_ > 0 && view_strides(shape_, strides_, shape, strides))
    return Tensor(storage_, shape, strides, offset_, dtype_);
  return clone().view(shape);
}

Tensor Tensor::permute(const Dims& order) const {
  check(order.size() == dim(), "permute", "order ", order, " does not match a tensor of rank ", dim());
  Dims shape, strides;
  bool seen[Dims::kMaxRank] = {};
  for (auto o : order) {
    const int d = normalize_dim(o, dim(), "permute");
    check(!seen[d], "permute", "dimension ", d, " repeated in ", order);
    seen[d] = true;
    shape.push_back(shape_[d]);
    strides.push_back(strides_[d]);
  }
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::transpose(std::int64_t a, std::int64_t b) const {
  const int da = normalize_dim(a, dim(), "transpose"), db = normalize_dim(b, dim(), "transpose");
  Dims shape = shape_, strides = strides_;
  std::swap(shape[da], shape[db]);
  std::swap(strides[da], strides[db]);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::t() const {
  check(dim() == 2, "t", "expected a 2-D tensor, got shape ", shape_);
  return transpose(0, 1);
}

Tensor Tensor::narrow(std::int64_t dim_, std::int64_t start, std::int64_t length) const {
  const int d = normalize_dim(dim_, dim(), "narrow");
  check(start >= 0 && length >= 0 && start + length <= shape_[d], "narrow", "range [", start, ", ",
        start + length, ") is out of bounds for dimension ", d, " of shape ", shape_);
  Dims shape = shape_;
  shape[d] = length;
  return Tensor(storage_, shape, strides_, offset_ + start * strides_[d], dtype_);
}

Tensor Tensor::slice(std::int64_t dim_, std::int64_t start, std::int64_t stop, std::int64_t step) const {
  const int d = normalize_dim(dim_, dim(), "slice");
  check(step > 0, "slice", "step must be positive, got ", step);
  const std::int64_t n = shape_[d];
  // Python semantics: negative indices count from the end, out-of-range bounds clip.
  auto clip = [n](std::int64_t i) { return std::clamp<std::int64_t>(i < 0 ? i + n : i, 0, n); };
  start = clip(start);
  stop = std::max(clip(stop), start);
  Dims shape = shape_, strides = strides_;
  shape[d] = (stop - start + step - 1) / step;
  strides[d] = strides_[d] * step;
  return Tensor(storage_, shape, strides, offset_ + start * strides_[d], dtype_);
}

Tensor Tensor::select(std::int64_t dim_, std::int64_t index) const {
  const int d = normalize_dim(dim_, dim(), "select");
  const std::int64_t i = index < 0 ? index + shape_[d] : index;
  check(i >= 0 && i < shape_[d], "select", "index ", index, " is out of range for dimension ", d, " of shape ",
        shape_);
  Dims shape = shape_, strides = strides_;
  shape.erase(d);
  strides.erase(d);
  return Tensor(storage_, shape, strides, offset_ + i * strides_[d], dtype_);
}

Tensor Tensor::expand(const Dims& requested) const {
  check(requested.size() >= dim(), "expand", "cannot expand shape ", shape_, " to ", requested);
  const int lead = requested.size() - dim();
  Dims shape, strides;
  for (int d = 0; d < requested.size(); ++d) {
    const int od = d - lead;
    std::int64_t size = requested[d];
    if (od < 0) {
      check(size >= 0, "expand", "cannot expand shape ", shape_, " to ", requested);
      shape.push_back(size);
      strides.push_back(0);
      continue;
    }
    if (size == -1) size = shape_[od];
    check(size == shape_[od] || shape_[od] == 1, "expand", "cannot expand shape ", shape_, " to ", requested,
          " (dimension ", d, ": ", shape_[od], " vs ", size, ")");
    shape.push_back(size);
    strides.push_back(shape_[od] == size ? strides_[od] : 0);
  }
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::squeeze() const {
  Dims shape, strides;
  for (int d = 0; d < dim(); ++d)
    if (shape_[d] != 1) {
      shape.push_back(shape_[d]);
      strides.push_back(strides_[d]);
    }
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::squeeze(std::int64_t dim_) const {
  const int d = normalize_dim(dim_, dim(), "squeeze");
  if (shape_[d] != 1) return *this;
  Dims shape = shape_, strides = strides_;
  shape.erase(d);
  strides.erase(d);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

Tensor Tensor::unsqueeze(std::int64_t dim_) const {
  const int d = normalize_dim(dim_, dim() + 1, "unsqueeze");
  Dims shape = shape_, strides = strides_;
  const std::int64_t stride = d < dim() ? strides_[d] * shape_[d] : 1;
  shape.insert(d, 1);
  strides.insert(d, stride);
  return Tensor(storage_, shape, strides, offset_, dtype_);
}

// ---- copies ----

namespace {

template <class To, class From>
void convert_runs(const Tensor& dst, const Tensor& src) {
  const detail::Loop<2> loop(dst.shape(), {dst.strides(), detail::broadcast_strides(src, dst.shape())});
  const auto s = loop.inner_strides();
  To* d = dst.data<To>();
  const From* p = src.data<From>();
  loop.for_each_run([&](const std::array<std::int64_t, 2>& off, std::int64_t n) {
    To* out = d + off[0];
    const From* in = p + off[1];
    if constexpr (std::is_same_v<To, From>) {
      if (s[0] == 1 && s[1] == 1) {
        // short runs (a bias broadcast over rows) copy faster inline than through memcpy
        if (n <= 16) {
          for (std::int64_t i = 0; i < n; ++i) out[i] = in[i];
        } else {
          std::memcpy(out, in, static_cast<std::size_t>(n) * sizeof(To));
        }
        return;
      }
    }
    for (std::int64_t i = 0; i < n; ++i) out[i * s[0]] = static_cast<To>(in[i * s[1]]);
  });
}

}  // namespace

void Tensor::copy_(const Tensor& src) {
  check(defined() && src.defined(), "copy_", "undefined tensor argument");
  const Dims shape = broadcast_shapes(shape_, src.shape(), "copy_");
  check(shape == shape_, "copy_", "cannot copy a tensor of shape ", src.shape(), " into one of shape ", shape_);
  if (numel_ == 0) return;
  // Copying from an overlapping view (for example a transpose of itself) would read
  // values already overwritten: go through a temporary.
  if (src.storage() == storage_ && !(src.strides() == strides_ && src.offset() == offset_ && src.shape() == shape_)) {
    copy_(src.clone());
    return;
  }
  // a transposed matrix into rows: in blocks (see detail/transpose.hpp)
  if (dim() == 2 && src.dtype() == dtype_ && is_floating(dtype_) && src.shape() == shape_ && strides_[1] == 1 &&
      src.strides()[0] == 1 && src.strides()[1] != 0 && shape_[0] > 1 && shape_[1] > 1) {
    visit_floating(dtype_, "copy_", [&](auto tag) {
      using T = decltype(tag);
      detail::transpose_copy<T>(shape_[0], shape_[1], src.data<T>(), src.strides()[1], data<T>(), strides_[0]);
    });
    return;
  }
  visit_dtype(dtype_, [&](auto to) {
    visit_dtype(src.dtype(), [&](auto from) { convert_runs<decltype(to), decltype(from)>(*this, src); });
  });
}

Tensor Tensor::clone() const {
  check(defined(), "clone", "undefined tensor");
  Tensor out = empty(shape_, dtype_);
  out.copy_(*this);
  return out;
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor Tensor::to(DType dtype) const {
  check(defined(), "to", "undefined tensor");
  if (dtype == dtype_) return *this;
  Tensor out = empty(shape_, dtype);
  out.copy_(*this);
  return out;
}

void Tensor::fill_(double value) {
  check(defined(), "fill_", "undefined tensor");
  copy_(scalar(value, dtype_));
}

Tensor broadcast_to(const Tensor& t, const Dims& shape) { return t.expand(shape); }

bool same_shape(const Tensor& a, const Tensor& b) { return a.shape() == b.shape(); }

// ---- creation ----

Tensor empty(const Dims& shape, DType dtype) { return Tensor::empty(shape, dtype); }

Tensor full(const Dims& shape, double value, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    std::fill(p, p + t.numel(), static_cast<T>(value));
  });
  return t;
}

Tensor zeros(const Dims& shape, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  std::memset(t.raw_data(), 0, static_cast<std::size_t>(t.numel()) * itemsize(dtype));
  return t;
}

Tensor ones(const Dims& shape, DType dtype) { return full(shape, 1.0, dtype); }
Tensor scalar(double value, DType dtype) { return full(Dims{}, value, dtype); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }

Tensor arange(double start, double stop, double step, DType dtype) {
  check(step != 0 && std::isfinite(start) && std::isfinite(stop) && std::isfinite(step), "arange",
        "invalid range start=", start, " stop=", stop, " step=", step);
  const auto n = static_cast<std::int64_t>(std::max(0.0, std::ceil((stop - start) / step)));
  Tensor t = Tensor::empty({n}, dtype);
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

Tensor arange(std::int64_t n, DType dtype) { return arange(0.0, static_cast<double>(n), 1.0, dtype); }

template <class T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Dims{static_cast<std::int64_t>(values.size())}, dtype_of<T>);
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Dims& shape, DType dtype) {
  check(product(shape) == static_cast<std::int64_t>(values.size()), "from_vector", values.size(),
        " values do not fill shape ", shape);
  Tensor t = Tensor::empty(shape, dtype_of<T>);
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t.to(dtype);
}
template Tensor from_vector<float>(const std::vector<float>&);
template Tensor from_vector<double>(const std::vector<double>&);
template Tensor from_vector<std::int64_t>(const std::vector<std::int64_t>&);
template Tensor from_vector<float>(const std::vector<float>&, const Dims&, DType);
template Tensor from_vector<double>(const std::vector<double>&, const Dims&, DType);
template Tensor from_vector<std::int64_t>(const std::vector<std::int64_t>&, const Dims&, DType);

Tensor tensor(std::initializer_list<double> values, DType dtype) {
  return from_vector(std::vector<double>(values), Dims{static_cast<std::int64_t>(values.size())}, dtype);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype) {
  std::vector<double> values;
  const std::size_t cols = rows.size() ? rows.begin()->size() : 0;
  for (const auto& row : rows) {
    check(row.size() == cols, "tensor", "rows have different lengths (", cols, " and ", row.size(), ")");
    values.insert(values.end(), row.begin(), row.end());
  }
  return from_vector(values, Dims{static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(cols)}, dtype);
}

}  // namespace lambdahat
