// A Tensor is a view: storage + shape + strides + offset + dtype.
//
//   storage:  [ a b c d e f g h i j k l ]      one shared, 64-byte aligned block
//   t         shape (3,4), strides (4,1), offset 0
//   t.t()     shape (4,3), strides (1,4), offset 0      same storage, no copy
//   t.narrow(1, 1, 2)
//             shape (3,2), strides (4,1), offset 1  ->  b c / f g / j k
//
// Element (i, j, ...) lives at storage[offset + i*strides[0] + j*strides[1] + ...],
// strides counted in elements. Views (reshape when possible, permute, transpose,
// narrow/slice, expand, squeeze/unsqueeze) share storage; `contiguous()` copies only
// when the layout is not already row-major. A stride of 0 repeats an element, which
// is how `expand` broadcasts without copying.
//
// Tensor has value semantics for the *handle* (copying a Tensor shares the data,
// like a shared_ptr); use `clone()` for a deep copy. Operations are free functions
// in the other headers of this folder (elementwise.hpp, reduction.hpp, ...).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "tensor/dtype.hpp"
#include "tensor/shape.hpp"
#include "tensor/storage.hpp"

namespace lambdahat {

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor: defined() is false
  Tensor(std::shared_ptr<Storage> storage, Dims shape, Dims strides, std::int64_t offset, DType dtype);

  // Uninitialised contiguous tensor.
  static Tensor empty(const Dims& shape, DType dtype = kFloat32);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Dims& shape() const { return shape_; }
  const Dims& strides() const { return strides_; }
  std::int64_t offset() const { return offset_; }
  int dim() const { return shape_.size(); }
  // (inline for dimensions in range, which every op asks for many times; negative
  // and out-of-range ones go through normalize_dim and its error)
  std::int64_t size(std::int64_t d) const {
    return d >= 0 && d < dim() ? shape_[static_cast<int>(d)] : size_checked(d);
  }
  std::int64_t stride(std::int64_t d) const {
    return d >= 0 && d < dim() ? strides_[static_cast<int>(d)] : stride_checked(d);
  }
  std::int64_t numel() const { return numel_; }
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Typed pointer to the first element (storage + offset); checks the dtype.
  template <class T>
  T* data() const {
    check(dtype_of<T> == dtype_, "data", "tensor has dtype ", dtype_, ", requested ", dtype_of<T>);
    return static_cast<T*>(storage_->data()) + offset_;
  }
  void* raw_data() const { return static_cast<char*>(storage_->data()) + offset_ * itemsize(dtype_); }

  // The single element of a one-element tensor, converted to double or to T.
  double item() const;
  template <class T>
  T item() const { return static_cast<T>(item()); }

  // Element at a full index, bounds-checked, converted to double.
  double at(std::initializer_list<std::int64_t> index) const;

  // All elements in row-major order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // ---- views (no copy) ----
  Tensor view(const Dims& shape) const;  // throws if the layout does not allow a view
  Tensor reshape(const Dims& shape) const;  // a view when possible, otherwise a copy; one -1 allowed
  Tensor flatten() const { return reshape({numel_}); }
  Tensor permute(const Dims& order) const;
  Tensor transpose(std::int64_t a, std::int64_t b) const;
  Tensor t() const;  // transpose of a 2-D tensor
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t stop, std::int64_t step = 1) const;
  Tensor select(std::int64_t dim, std::int64_t index) const;  // drops `dim`
  Tensor expand(const Dims& shape) const;  // NumPy broadcast_to; -1 keeps a size
  Tensor squeeze() const;
  Tensor squeeze(std::int64_t dim) const;
  Tensor unsqueeze(std::int64_t dim) const;

  // ---- copies ----
  Tensor contiguous() const;  // this tensor if already contiguous, else a copy
  Tensor clone() const;  // always a fresh contiguous copy
  Tensor to(DType dtype) const;  // this tensor if already of that dtype, else a converted copy
  void copy_(const Tensor& src);  // writes src (broadcast, converted) into this view
  void fill_(double value);

 private:
  std::int64_t size_checked(std::int64_t d) const;
  std::int64_t stride_checked(std::int64_t d) const;
  std::shared_ptr<Storage> storage_;
  Dims shape_;
  Dims strides_;
  std::int64_t offset_ = 0;
  std::int64_t numel_ = 0;
  DType dtype_ = kFloat32;
};

Tensor broadcast_to(const Tensor& t, const Dims& shape);
bool same_shape(const Tensor& a, const Tensor& b);

// ---- creation ----
Tensor empty(const Dims& shape, DType dtype = kFloat32);
Tensor zeros(const Dims& shape, DType dtype = kFloat32);
Tensor ones(const Dims& shape, DType dtype = kFloat32);
Tensor full(const Dims& shape, double value, DType dtype = kFloat32);
Tensor scalar(double value, DType dtype = kFloat32);  // a 0-dimensional tensor
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor arange(double start, double stop, double step = 1, DType dtype = kFloat32);
Tensor arange(std::int64_t n, DType dtype = kInt64);

// From values in row-major order: a 1-D tensor, or the given shape (() for a scalar).
template <class T>
Tensor from_vector(const std::vector<T>& values);
template <class T>
Tensor from_vector(const std::vector<T>& values, const Dims& shape, DType dtype = dtype_of<T>);
Tensor tensor(std::initializer_list<double> values, DType dtype = kFloat32);
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype = kFloat32);

}  // namespace lambdahat
