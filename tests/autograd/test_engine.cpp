// The engine: accumulation, graph release, errors, long chains, no-grad mode.
#include "support/reference.hpp"

namespace lambdahat {
namespace {

using testing::error_of;

TEST(Engine, GradientsOfReusedValuesAddUp) {
  Variable x(tensor({3}, kFloat64), true);
  Variable y = x * x + x;  // dy/dx = 2x + 1 = 7
  y.backward();
  EXPECT_EQ(x.grad().item(), 7);
  // a diamond: z = (x·2)·(x·2) → shared subexpression visited once
  Variable w(tensor({1.5}, kFloat64), true);
  Variable h = w * 2.0;
  Variable z = h * h;  // dz/dw = 8w
  z.backward();
  EXPECT_EQ(w.grad().item(), 12);
}

TEST(Engine, LeafGradientsAccumulateAcrossCallsUntilZeroed) {
  Variable x(tensor({1, 2}, kFloat64), true);
  sum(x * 3.0).backward();
  sum(x * 3.0).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{6, 6}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  sum(x).backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{1, 1}));
}

TEST(Engine, BroadcastGradientsAreSummedToTheInputShape) {
  Variable a(ones({3, 4}, kFloat64), true), b(ones({4}, kFloat64), true), c(ones({3, 1}, kFloat64), true);
  sum(a + b + c).backward();
  EXPECT_EQ(a.grad().shape(), (Dims{3, 4}));
  EXPECT_EQ(b.grad().to_vector<double>(), (std::vector<double>(4, 3)));
  EXPECT_EQ(c.grad().to_vector<double>(), (std::vector<double>(3, 4)));
}

TEST(Engine, LeafGradientsDoNotAlias) {
  // add hands the same gradient tensor to both operands; the leaves must own theirs
  Variable a(ones({3}), true), b(ones({3}), true);
  sum(a + b).backward();
  EXPECT_NE(a.grad().storage(), b.grad().storage());
  Tensor ga = a.grad();
  mul_(ga, 5.0);
  EXPECT_EQ(b.grad().to_vector<float>(), (std::vector<float>{1, 1, 1}));
  // a sum's gradient is a broadcast view; the leaf stores a real tensor
  Variable c(ones({2, 3}), true);
  sum(c).backward();
  EXPECT_TRUE(c.grad().is_contiguous());
  EXPECT_NE(c.grad().strides()[0], 0);
}

TEST(Engine, GraphIsFreedAfterBackwardUnlessRetained) {
  Variable x(tensor({2}, kFloat64), true);
  Variable y = exp(x * x);
  y.backward(true);
  y.backward();  // allowed: the first call retained the graph
  EXPECT_NEAR(x.grad().item(), 2 * 2 * 2 * std::exp(4.0), 1e-9);
  EXPECT_NE(error_of([&] { y.backward(); }).find("backward: the graph through exp was freed by an earlier backward()"),
            std::string::npos);
  EXPECT_TRUE(y.node()->inputs.empty());  // references to the rest of the graph were dropped
}

TEST(Engine, BackwardErrors) {
  Variable v(ones({3}), true);
  Variable out = v * 2.0;
  EXPECT_EQ(error_of([&] { out.backward(); }),
            "backward: backward() without a gradient needs a one-element result, got shape (3); pass the gradient of "
            "the output");
  EXPECT_NE(error_of([&] { out.backward(ones({2})); }).find("does not match the result's (3)"), std::string::npos);
  Variable constant(ones({1}));
  EXPECT_NE(error_of([&] { constant.backward(); }).find("does not require a gradient"), std::string::npos);
  EXPECT_NE(error_of([] { Variable(zeros({2}, kInt64), true); }).find("only floating-point tensors"), std::string::npos);
  out.backward(full({3}, 2));
  EXPECT_EQ(v.grad().to_vector<float>(), (std::vector<float>{4, 4, 4}));
}

TEST(Engine, ChainOfAHundredThousandOps) {
  Variable x(tensor({1.0}, kFloat64), true);
  Variable y = x;
  for (int i = 0; i < 100000; ++i) y = y * 1.0;
  y = y + 0.0;
  y.backward();
  EXPECT_EQ(x.grad().item(), 1.0);
  // releasing the graph must not recurse either: drop the last handle to the chain
  Variable z = x;
  for (int i = 0; i < 100000; ++i) z = z + 1.0;
  z = Variable();
}

TEST(Engine, NoGradModeRecordsNothing) {
  Variable x(ones({2}), true);
  {
    NoGradGuard guard;
    EXPECT_FALSE(grad_enabled());
    Variable y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
  }
  EXPECT_TRUE(grad_enabled());
  Variable d = (x * 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
}

TEST(Engine, FunctionalGradLeavesGradUntouched) {
  Variable w(tensor({1, 2}, kFloat64), true);
  const auto g = grad([](const std::vector<Variable>& v) { return sum(v[0] * v[0] * v[1]); },
                      {tensor({3, 4}, kFloat64), tensor({2, 1}, kFloat64)});
  EXPECT_EQ(g[0].to_vector<double>(), (std::vector<double>{12, 8}));
  EXPECT_EQ(g[1].to_vector<double>(), (std::vector<double>{9, 16}));
  EXPECT_FALSE(w.grad().defined());
  // an unused input gets zeros
  const auto h = grad([](const std::vector<Variable>& v) { return sum(v[0]); }, {ones({2}), ones({3})});
  EXPECT_EQ(h[1].to_vector<float>(), (std::vector<float>{0, 0, 0}));
}

TEST(Engine, OnlyNeededInputGradientsAreComputed) {
  // a constant operand of a product gets no gradient and the variable one does
  Variable w(ones({3, 2}), true);
  Variable x(ones({4, 3}));
  sum(matmul(x, w)).backward();
  EXPECT_EQ(w.grad().to_vector<float>(), (std::vector<float>(6, 4)));
  EXPECT_FALSE(x.grad().defined());
}

}  // namespace
}  // namespace lambdahat
