// Gradients of whole small models, checked with the same finite-difference harness.
#include "support/reference.hpp"

namespace lambdahat {
namespace {

Tensor rnd(const Dims& shape, std::uint64_t seed, double scale = 1) {
  Generator gen(seed);
  return normal(shape, gen, 0, scale, kFloat64);
}

// The mean squared error's forward pass is one fused pass for contiguous inputs and
// the elementwise ops otherwise; both must agree with a double-precision sum on a
// long float32 input, where a naive running sum would drift.
TEST(Losses, MeanSquaredErrorIsAccurateOnLongInputs) {
  const std::int64_t n = 300001;
  Generator gen(3);
  const Tensor p = uniform({n}, gen), y = uniform({n}, gen);
  const auto pv = p.to_vector<double>(), yv = y.to_vector<double>();
  double ref = 0;
  for (std::int64_t i = 0; i < n; ++i) ref += (pv[i] - yv[i]) * (pv[i] - yv[i]);
  ref /= static_cast<double>(n);
  const double fused = mse_loss(Variable(p), Variable(y)).item();
  const Tensor p2 = stack({p, p}, 1);  // column 0 of p2 is p, with stride 2: not contiguous
  const double strided = mse_loss(Variable(p2.select(1, 0)), Variable(y)).item();
  EXPECT_NEAR(fused, ref, 1e-6 * ref);
  EXPECT_NEAR(strided, ref, 1e-6 * ref);
}

TEST(ModelGradients, MlpWithCrossEntropy) {
  const Tensor x = rnd({5, 4}, 1);
  const Tensor targets = from_vector(std::vector<std::int64_t>{0, 2, 1, 2, 0});
  auto model = [&](const std::vector<Variable>& p) {
    const Variable h = gelu(matmul(Variable(x), p[0]) + p[1]);
    return cross_entropy(matmul(h, p[2]), targets);
  };
  const auto r = gradcheck(model, {rnd({4, 6}, 2), rnd({6}, 3), rnd({6, 3}, 4)});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.checked, 24 + 6 + 18);
}

TEST(ModelGradients, TiedWeightAutoencoder) {
  // out = ReLU(x Wᵀ) W + b: W is used twice, so its gradient has two parts
  const Tensor x = rnd({6, 5}, 5);
  auto model = [&](const std::vector<Variable>& p) {
    const Variable h = relu(matmul(Variable(x), transpose(p[0], 0, 1)));
    return mse_loss(matmul(h, p[0]) + p[1], Variable(x));
  };
  const auto r = gradcheck(model, {rnd({2, 5}, 6), rnd({5}, 7)});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(ModelGradients, ModularAdditionMlp) {
  // shared embedding, separate maps for the two tokens, GELU, unembedding: the seed
  // study's grokking model at a small size
  const std::int64_t p = 7, e = 3, h = 5;
  Generator gen(8);
  const Tensor tokens = randint(0, p, {6, 2}, gen);
  const Tensor labels = from_vector(std::vector<std::int64_t>{1, 4, 6, 0, 3, 2});
  auto model = [&](const std::vector<Variable>& w) {
    const Variable left = embedding(w[0], tokens.select(1, 0).contiguous());
    const Variable right = embedding(w[0], tokens.select(1, 1).contiguous());
    const Variable hidden = gelu(matmul(left, w[1]) + w[2] + matmul(right, w[3]) + w[4]);
    return cross_entropy(matmul(hidden, w[5]), labels);
  };
  const auto r = gradcheck(model, {rnd({p, e}, 9), rnd({e, h}, 10), rnd({h}, 11), rnd({e, h}, 12), rnd({h}, 13),
                                   rnd({h, p}, 14)});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(ModelGradients, ToyModelOfSuperposition) {
  // ReLU(x Wᵀ W + b) with MSE against x
  Generator gen(15);
  const Tensor x = uniform({8, 5}, gen, 0, 1, kFloat64);
  auto model = [&](const std::vector<Variable>& w) {
    const Variable out = relu(matmul(matmul(Variable(x), transpose(w[0], 0, 1)), w[0]) + w[1]);
    return mse_loss(out, Variable(x));
  };
  const auto r = gradcheck(model, {rnd({2, 5}, 16), rnd({5}, 17, 0.1)});
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace
}  // namespace lambdahat
