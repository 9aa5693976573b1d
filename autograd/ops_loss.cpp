// Softmax and losses, written by hand for numerical stability and speed.
//
//   log_softmax(x)_i = x_i − log Σ_j e^{x_j}
//   backward:  g − softmax(x) · Σ_j g_j
//
//   cross_entropy(z, t) = −log softmax(z)_t = logsumexp(z) − z_t
//   backward:  (softmax(z) − onehot(t)) · g       (per row, divided by B for the mean)
//
//   mse(p, y) = mean((p − y)²),  backward: 2(p − y)/N · g  for p, the negative for y
#include "autograd/ops.hpp"
#include "lambdahat/version.hpp"
#include "tensor/fused.hpp"
#include "tensor/indexing.hpp"
#include "tensor/reduction.hpp"
#include "tensor/softmax.hpp"

namespace lambdahat {
namespace {
// Up to this size the mean squared error's forward pass is one fused, single-threaded
// pass; larger inputs use the threaded elementwise ops and reduction.
constexpr std::int64_t kFusedMseElements = std::int64_t{1} << 20;
}

Variable log_softmax(const Variable& logits, std::int64_t dim) {
  const Tensor& x = logits.value();
  const int d = normalize_dim(dim, x.dim(), "log_softmax");
  SoftmaxResult s = softmax_and_logsumexp(x, d);
  return make_result(Op::log_softmax, sub(x, s.logsumexp), {logits}, [probs = s.probs, d](const Tensor& g) -> Grads {
    return {sub(g, mul(probs, sum(g, {d}, /*keepdim=*/true)))};
  });
}

Variable softmax(const Variable& logits, std::int64_t dim) { return exp(log_softmax(logits, dim)); }

namespace {

void check_targets(const char* op, const Tensor& logits, const Tensor& targets) {
  check(logits.dim() == 2, op, "logits must be 2-D (batch, classes), got shape ", logits.shape());
  check(targets.dtype() == kInt64, op, "targets must be int64 class indices, got ", targets.dtype());
  check(targets.dim() == 1 && targets.size(0) == logits.size(0), op, "targets of shape ", targets.shape(),
        " do not match logits of shape ", logits.shape());
}

// probs (B, C) of softmax(logits), in the layout of the logits when they are
// class-major (a transposed view), and the per-row losses (B): logsumexp − z_t.
template <class T>
void softmax_cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& t, Tensor& probs, Tensor& losses) {
  const std::int64_t B = logits.size(0);
  SoftmaxResult s = softmax_and_logsumexp(logits, 1);
  probs = s.probs;
  losses = Tensor::empty({B}, logits.dtype());
  const T* zp = logits.data<T>();
  const std::int64_t row = logits.stride(0), col = logits.stride(1);
  const T* lp = s.logsumexp.data<T>();
  const std::int64_t lse_step = s.logsumexp.stride(0);
  T* out = losses.data<T>();
  for (std::int64_t i = 0; i < B; ++i) out[i] = lp[i * lse_step] - zp[i * row + t[i] * col];
}

}  // namespace

Variable cross_entropy(const Variable& logits, const Tensor& targets, Reduction reduction) {
  check_targets("cross_entropy", logits.value(), targets);
  const std::int64_t B = logits.size(0), C = logits.size(1);
  const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
  for (auto c : t) check(c >= 0 && c < C, "cross_entropy", "target ", c, " is out of range for ", C, " classes");
  Tensor probs, losses;
  visit_floating(logits.dtype(), "cross_entropy", [&](auto tag) {
    softmax_cross_entropy<decltype(tag)>(logits.value(), t, probs, losses);
  });
  Tensor out = reduction == Reduction::none ? losses : sum(losses);
  if (reduction == Reduction::mean) mul_(out, 1.0 / static_cast<double>(B));
  return make_result(Op::cross_entropy, out, {logits}, [probs, t, reduction, B](const Tensor& g) -> Grads {
    // (softmax − onehot) scaled by the gradient of each row's loss: g_i for
    // Reduction::none, else g·scale (tensor/fused.hpp)
    const double scale = reduction == Reduction::mean ? 1.0 / static_cast<double>(B) : 1.0;
    return {cross_entropy_logit_grad(probs, t, g, reduction == Reduction::none, scale)};
  });
}

namespace {
void check_mse(const Variable& pred, const Variable& target) {
  check(pred.shape() == target.shape(), "mse_loss", "prediction of shape ", pred.shape(),
        " does not match target of shape ", target.shape());
}
}  // namespace

Variable reference::mse_loss(const Variable& pred, const Variable& target, Reduction reduction) {
  check_mse(pred, target);
  const Variable sq = square(pred - target);
  if (reduction == Reduction::mean) return mean(sq);
  if (reduction == Reduction::sum) return sum(sq);
  check(pred.dim() >= 1, "mse_loss", "per-sample losses need a batch dimension, got shape ", pred.shape());
  Dims rest;
  for (int d = 1; d < pred.dim(); ++d) rest.push_back(d);
  return rest.empty() ? sq : mean(sq, rest);
}

Variable mse_loss(const Variable& pred, const Variable& target, Reduction reduction) {
  if (build::reference || reduction == Reduction::none) return reference::mse_loss(pred, target, reduction);
  check_mse(pred, target);
  // A transposed matrix prediction (a feature-major model's output) is compared in
  // its own memory order: the target is copied into that order, and the slope kept
  // in the prediction's layout, so that its gradient flows back without a copy (one
  // transposition per step instead of two). Other strided predictions are copied
  // into rows for the fused pass below.
  const Tensor& pv = pred.value();
  const bool small = pv.numel() <= kFusedMseElements;
  const bool transposed = small && pv.dim() == 2 && !pv.is_contiguous() && pv.t().is_contiguous();
  const Tensor p = transposed ? pv.t() : small ? pv.contiguous() : pv;
  const Tensor y = transposed ? target.value().t().contiguous() : target.value();
  check(p.dtype() == y.dtype(), "mse_loss", "dtypes ", p.dtype(), " and ", y.dtype(), " differ");
  const double scale = reduction == Reduction::mean ? 1.0 / static_cast<double>(std::max<std::int64_t>(p.numel(), 1)) : 1.0;
  // The gradient with respect to the prediction is 2·scale·(p − y)·g. The forward
  // pass keeps 2·scale·(p − y), so that for the usual g = 1 (backward() from the
  // loss) the backward pass has nothing left to compute.
  Tensor slope, out;
  if (is_floating(p.dtype()) && p.is_contiguous() && y.is_contiguous() && p.numel() <= kFusedMseElements) {
    // one pass: the summed squares, and the slope on the way (the plain path below
    // computes the same in three)
    SquaredDifference d = squared_difference(p, y, 2 * scale);
    out = scalar(d.sum * scale, p.dtype());
    slope = std::move(d.slope);
  } else {
    const Tensor diff = sub(p, y);
    out = sum(square(diff));
    mul_(out, scale);
    slope = mul(diff, 2 * scale);
  }
  if (transposed) slope = slope.t();
  const bool need_pred = pred.requires_grad(), need_target = target.requires_grad();
  return make_result(Op::mse_loss, std::move(out), {pred, target},
                     [slope = std::move(slope), need_pred, need_target](const Tensor& g) -> Grads {
    const double g0 = g.item();
    const Tensor gp = g0 == 1.0 ? slope : mul(slope, g0);
    return {need_pred ? gp : Tensor(), need_target ? neg(gp) : Tensor()};
  });
}

}  // namespace lambdahat
