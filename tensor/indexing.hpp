// Selecting and combining along a dimension. Index tensors are int64; every index
// is checked against the size it addresses.
//
//   index_select(a, d, idx)   out.select(d, i) = a.select(d, idx[i])       idx 1-D
//   index_add_(out, d, idx, src)  out.select(d, idx[i]) += src.select(d, i)  (its gradient)
//   index_select_add(a, ia, b, ib)  out[i] = a[ia[i]] + b[ib[i]]  rows (dim 0) of two tables
//   index_add_products_(oa, ia, ob, ib, g, d)  oa[ia[i]] += g[i]·d[i], ob[ib[i]] += g[i]·d[i]
//   gather(a, d, idx)         out[..i..] = a[..idx[..i..]..] at dimension d  (PyTorch's gather)
//   scatter_add_(out, d, idx, src)  out[..idx[..i..]..] += src[..i..]         (its gradient)
#pragma once

#include <vector>

#include "tensor/tensor.hpp"

namespace lambdahat {

Tensor index_select(const Tensor& a, std::int64_t dim, const Tensor& index);
void index_add_(Tensor& out, std::int64_t dim, const Tensor& index, const Tensor& src);
// index_select(a, 0, ia) + index_select(b, 0, ib) in one pass: a and b have the same
// dtype and the same shape after dimension 0, ia and ib are 1-D of one length.
Tensor index_select_add(const Tensor& a, const Tensor& ia, const Tensor& b, const Tensor& ib);
// out_a.select(0, ia[i]) += g[i]·d[i] and out_b.select(0, ib[i]) += g[i]·d[i] in one
// pass (floating point; g and d of shape (len(ia), rest of out_a's shape)): the
// gradient of an index_select_add followed by an elementwise op whose derivative is
// d. Each product is added with one fused multiply–add, so the result is within a
// rounding of mul(g, d) followed by two index_add_, not always the same bits.
void index_add_products_(Tensor& out_a, const Tensor& ia, Tensor& out_b, const Tensor& ib, const Tensor& g,
                         const Tensor& d);

Tensor gather(const Tensor& a, std::int64_t dim, const Tensor& index);
void scatter_add_(Tensor& out, std::int64_t dim, const Tensor& index, const Tensor& src);

// index (any shape, int64) -> index.shape + (num_classes), 1 at the index, else 0.
Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype = kFloat32);

// Joins tensors along an existing dimension (concat) or a new one (stack).
Tensor concat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);

}  // namespace lambdahat
