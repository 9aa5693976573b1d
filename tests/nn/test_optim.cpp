// Optimizer steps against values computed by hand from the update rules.
#include "support/reference.hpp"

namespace lambdahat {
namespace {

// Runs `steps` updates of one scalar parameter starting at `start` with the given gradients.
template <class Opt, class Options>
double run(double start, std::vector<double> grads, Options options, DType dtype = kFloat64) {
  Variable p(tensor({start}, dtype), true);
  Opt opt({p}, options);
  for (double g : grads) {
    p.grad() = tensor({g}, dtype);
    opt.step();
  }
  return p.item();
}

TEST(Optim, SgdPlainMomentumNesterovWeightDecay) {
  SGDOptions o;
  o.lr = 0.1;
  EXPECT_DOUBLE_EQ(run<SGD>(1.0, {0.5, 0.5}, o), 1.0 - 0.05 - 0.05);
  o.momentum = 0.9;
  // buf = 0.5 → p = 0.95; buf = 0.9·0.5 + 0.5 = 0.95 → p = 0.95 − 0.095
  EXPECT_DOUBLE_EQ(run<SGD>(1.0, {0.5, 0.5}, o), 0.855);
  o.nesterov = true;
  // d = 0.5 + 0.9·0.5 = 0.95 → p = 0.905; buf = 0.95, d = 0.5 + 0.855 = 1.355 → p = 0.7695
  EXPECT_NEAR(run<SGD>(1.0, {0.5, 0.5}, o), 0.7695, 1e-15);
  o = SGDOptions{};
  o.lr = 0.1;
  o.weight_decay = 0.2;
  // g = 0.5 + 0.2·1 = 0.7 → p = 0.93
  EXPECT_DOUBLE_EQ(run<SGD>(1.0, {0.5}, o), 0.93);
  o.momentum = 0.5;
  o.dampening = 0.5;
  // g1 = 0.7, buf = 0.7, p = 0.93; g2 = 0.5 + 0.186 = 0.686, buf = 0.35 + 0.343 = 0.693, p = 0.8607
  EXPECT_NEAR(run<SGD>(1.0, {0.5, 0.5}, o), 0.8607, 1e-15);
}

TEST(Optim, AdamWithL2AndAdamW) {
  AdamOptions o;
  o.lr = 0.1;
  o.weight_decay = 0.1;
  // step 1: g = 0.6, m̂ = 0.6, v̂ = 0.36 → p = 0.9; step 2: g = −0.21 → p = 0.8613529972101512
  EXPECT_NEAR(run<Adam>(1.0, {0.5, -0.3}, o), 0.8613529972101512, 1e-12);
  EXPECT_NEAR(run<AdamW>(1.0, {0.5, -0.3}, o), 0.8619501989217752, 1e-12);
  o.weight_decay = 0;
  EXPECT_NEAR(run<Adam>(-2.0, {0.5, -0.3}, o), -2.119149801058225, 1e-12);
  EXPECT_NEAR(run<Adam>(-2.0, {0.5, -0.3}, o, kFloat32), -2.119149801058225, 1e-6);
}

TEST(Optim, SkipsParametersWithoutGradientsAndTrainsARegression) {
  Generator gen(1);
  Linear layer(3, 1, gen, LinearOptions{.bias = true, .dtype = kFloat64});
  Variable unused(ones({2}, kFloat64), true);
  std::vector<Variable> params = layer.parameters();
  params.push_back(unused);
  Adam opt(params, AdamOptions{.lr = 0.05});
  const Tensor x = normal({64, 3}, gen, 0, 1, kFloat64);
  const Tensor y = add(matmul(x, tensor({1.5, -2, 0.5}, kFloat64).reshape({3, 1})), 0.25);
  for (int step = 0; step < 2000; ++step) {
    opt.zero_grad();
    mse_loss(layer(Variable(x)), Variable(y)).backward();
    opt.step();
  }
  EXPECT_TRUE(allclose(layer.weight.value(), tensor({{1.5, -2, 0.5}}, kFloat64), 1e-4, 1e-4));
  EXPECT_NEAR(layer.bias.item(), 0.25, 1e-4);
  EXPECT_EQ(unused.value().to_vector<double>(), (std::vector<double>{1, 1}));
  EXPECT_EQ(testing::error_of([&] { SGD({unused}, SGDOptions{.lr = -1}); }),
            "SGD: learning rate must be positive, got -1");
}

}  // namespace
}  // namespace lambdahat
