#include "tensor/matmul.hpp"

#include "tensor/detail/gemm.hpp"
#include "tensor/detail/loop.hpp"
#include "tensor/detail/map.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/parallel.hpp"

namespace lambdahat {
namespace {

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  check(a.defined() && b.defined(), op, "undefined tensor argument");
  check(a.dtype() == b.dtype(), op, "dtypes ", a.dtype(), " and ", b.dtype(), " differ");
  check(is_floating(a.dtype()), op, "expected floating-point tensors, got ", a.dtype());
  check(a.dim() >= 1 && b.dim() >= 1, op, "expected tensors of rank >= 1, got shapes ", a.shape(), " and ",
        b.shape());
}

template <class T>
void gemm_2d(bool reference, const Tensor& a, const Tensor& b, const Tensor& c, T alpha, T beta,
             const T* bias = nullptr) {
  const auto fn = reference ? &detail::gemm_reference<T> : &detail::gemm<T>;
  fn(a.size(0), b.size(1), a.size(1), alpha, a.data<T>(), a.stride(0), a.stride(1), b.data<T>(), b.stride(0),
     b.stride(1), beta, c.data<T>(), c.stride(0), c.stride(1), bias);
}

Tensor matmul_impl(const char* op, const Tensor& a_in, const Tensor& b_in, bool reference) {
  check_operands(op, a_in, b_in);
  const bool a_vector = a_in.dim() == 1, b_vector = b_in.dim() == 1;
  Tensor a_matrix, b_matrix;  // vectors as one-row or one-column matrices
  const Tensor& a = a_vector ? (a_matrix = a_in.unsqueeze(0)) : a_in;
  const Tensor& b = b_vector ? (b_matrix = b_in.unsqueeze(1)) : b_in;
  const std::int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  check(b.size(-2) == K, op, "shapes ", a_in.shape(), " and ", b_in.shape(), " cannot be multiplied (", K,
        " != ", b.size(-2), ")");

  // batch dimensions broadcast like elementwise operations
  const Dims a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
  const Dims batch = broadcast_shapes(a_batch, b_batch, op);
  Dims out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype());

  visit_floating(a.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (batch.empty()) {
      gemm_2d<T>(reference, a, b, out, T(1), T(0));
      return;
    }
    // per-batch element offsets of a, b and out
    Dims a_full = batch, b_full = batch;
    for (auto s : {M, K}) a_full.push_back(s);
    for (auto s : {K, N}) b_full.push_back(s);
    const Tensor ae = a.expand(a_full), be = b.expand(b_full);
    const std::int64_t count = product(batch);
    const Dims batch_strides = contiguous_strides(batch);
    const auto fn = reference ? &detail::gemm_reference<T> : &detail::gemm<T>;
    const T* pa = ae.data<T>();
    const T* pb = be.data<T>();
    T* pc = out.data<T>();
    parallel_for(0, count, M * N * K / 64 + 1, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) {
        std::int64_t oa = 0, ob = 0, rest = i;
        for (int d = 0; d < batch.size(); ++d) {
          const std::int64_t idx = rest / batch_strides[d];
          rest %= batch_strides[d];
          oa += idx * ae.stride(d);
          ob += idx * be.stride(d);
        }
        fn(M, N, K, T(1), pa + oa, ae.stride(-2), ae.stride(-1), pb + ob, be.stride(-2), be.stride(-1), T(0),
           pc + i * M * N, N, 1, nullptr);
      }
    });
  });
  if (a_vector) out = out.squeeze(-2);
  if (b_vector) out = out.squeeze(-1);
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) { return matmul_impl("matmul", a, b, false); }

Tensor matmul_reference(const Tensor& a, const Tensor& b) { return matmul_impl("matmul_reference", a, b, true); }

void matmul_into(Tensor& c, const Tensor& a, const Tensor& b, double alpha, double beta) {
  check_operands("matmul_into", a, b);
  check(a.dim() == 2 && b.dim() == 2 && c.dim() == 2, "matmul_into", "expected 2-D tensors, got shapes ",
        a.shape(), ", ", b.shape(), " and ", c.shape());
  check(a.size(1) == b.size(0), "matmul_into", "shapes ", a.shape(), " and ", b.shape(), " cannot be multiplied (",
        a.size(1), " != ", b.size(0), ")");
  check(c.size(0) == a.size(0) && c.size(1) == b.size(1) && c.dtype() == a.dtype(), "matmul_into",
        "output of shape ", c.shape(), " and dtype ", c.dtype(), " cannot hold the product of ", a.shape(), " and ",
        b.shape());
  visit_floating(a.dtype(), "matmul_into", [&](auto tag) {
    using T = decltype(tag);
    gemm_2d<T>(false, a, b, c, static_cast<T>(alpha), static_cast<T>(beta));
  });
}

}  // namespace lambdahat

namespace lambdahat {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check(x.defined() && weight.defined(), "linear", "undefined tensor argument");
  check(weight.dim() == 2, "linear", "weight must be 2-D (out, in), got shape ", weight.shape());
  check(x.dim() >= 1 && x.size(-1) == weight.size(1), "linear", "input of shape ", x.shape(),
        " does not match weight of shape ", weight.shape(), " (", x.dim() ? x.size(-1) : 0, " != ", weight.size(1), ")");
  check(x.dtype() == weight.dtype(), "linear", "dtypes ", x.dtype(), " and ", weight.dtype(), " differ");
  const std::int64_t out_features = weight.size(0);
  Tensor x_rows;  // batched inputs as rows
  const Tensor& x2 = x.dim() == 2 ? x : (x_rows = x.reshape({-1, x.size(-1)}));
  Tensor out = Tensor::empty({x2.size(0), out_features}, x.dtype());
  Tensor b;
  if (bias.defined()) {
    check(bias.dim() == 1 && bias.size(0) == out_features && bias.dtype() == x.dtype(), "linear", "bias of shape ",
          bias.shape(), " and dtype ", bias.dtype(), " does not match weight of shape ", weight.shape());
    b = bias.contiguous();
  }
  visit_floating(out.dtype(), "linear", [&](auto tag) {
    using T = decltype(tag);
    // the bias enters in the product's last step: no separate pass over the output
    gemm_2d<T>(false, x2, weight.t(), out, T(1), T(0), b.defined() ? b.data<T>() : nullptr);
  });
  if (x.dim() == 2) return out;
  Dims shape = x.shape();
  shape[shape.size() - 1] = out_features;
  return out.view(shape);
}

Tensor linear_relu(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  Tensor out = linear(x, weight, bias);
  relu(out, out);
  return out;
}

}  // namespace lambdahat
