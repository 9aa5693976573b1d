// The seed study's models compute what their formulas say.
#include <cmath>
#include <numbers>

#include "lambdahat/version.hpp"
#include "support/reference.hpp"

namespace lambdahat {
namespace {

TEST(Models, ModularAdditionMlpMatchesItsFormula) {
  Generator gen(1);
  ModularAdditionMLP m(7, 3, 5, gen, kFloat64);
  const Tensor tokens = from_vector(std::vector<std::int64_t>{1, 2, 6, 0}, {2, 2});
  const Tensor logits = m(Variable(tokens)).value();
  ASSERT_EQ(logits.shape(), (Dims{2, 7}));
  const Tensor E = m.embedding.weight.value();
  for (int row = 0; row < 2; ++row) {
    const Tensor a = E.select(0, tokens.at({row, 0}) == 1 ? 1 : 6);
    const Tensor b = E.select(0, tokens.at({row, 1}) == 2 ? 2 : 0);
    const Tensor h = gelu(add(add(matmul(m.left.weight.value(), a), m.left.bias.value()),
                              add(matmul(m.right.weight.value(), b), m.right.bias.value())));
    EXPECT_TRUE(allclose(logits.select(0, row), matmul(m.out.weight.value(), h), 1e-12, 1e-12));
  }
  EXPECT_NE(testing::error_of([&] { m(Variable(zeros({2, 2}))); }).find("expected int64 tokens"), std::string::npos);
}

// A batch with more rows than the table (p) goes through the layers as the table's
// rows, then picks: the same logits and gradients as row by row.
TEST(Models, ModularAdditionMlpLargeBatchesPickFromTheTable) {
  Generator gen(7);
  ModularAdditionMLP m(7, 3, 5, gen, kFloat64);
  const Tensor tokens = randint(0, 7, {20, 2}, gen);  // 20 > 7, with repeats
  const Tensor target = randint(0, 7, {20}, gen);
  std::vector<Tensor> params;
  for (const Variable& p : m.parameters()) params.push_back(p.value().clone());
  const auto set = [&](const std::vector<Variable>& v) {
    m.embedding.weight = v[0];
    m.left.weight = v[1];
    m.left.bias = v[2];
    m.right.weight = v[3];
    m.right.bias = v[4];
    m.out.weight = v[5];
  };
  ASSERT_EQ(params.size(), 6u);
  ASSERT_EQ(params[2].shape(), (Dims{5}));
  // batch of 20 against four batches of 5 (each at most p rows: the direct path)
  std::vector<Variable> whole, parts;
  for (const Tensor& p : params) {
    whole.emplace_back(p.clone(), true);
    parts.emplace_back(p.clone(), true);
  }
  set(whole);
  const Variable logits = m(Variable(tokens));
  sum(cross_entropy(logits, target, Reduction::none)).backward();
  set(parts);
  for (std::int64_t at = 0; at < 20; at += 5) {
    const Tensor rows = tokens.narrow(0, at, 5);
    const Variable part = m(Variable(rows));
    EXPECT_TRUE(allclose(part.value(), logits.value().narrow(0, at, 5), 1e-12, 1e-12)) << at;
    sum(cross_entropy(part, target.narrow(0, at, 5), Reduction::none)).backward();
  }
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(allclose(whole[i].grad(), parts[i].grad(), 1e-12, 1e-12)) << i;
  const GradcheckResult r = gradcheck(
      [&](const std::vector<Variable>& v) {
        set(v);
        return cross_entropy(m(Variable(tokens)), target);
      },
      params);
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.checked, 7 * 3 + 2 * (5 * 3 + 5) + 7 * 5);
}

TEST(Models, ToyModelAndNoisyKGon) {
  Generator gen(2);
  ToyModel m(8, 2, gen, kFloat64);
  const Tensor x = one_hot(from_vector(std::vector<std::int64_t>{0, 3, 7}), 8, kFloat64);
  const Tensor W = m.W.value(), b = m.b.value();
  EXPECT_TRUE(allclose(m(Variable(x)).value(), relu(add(matmul(matmul(x, W.t()), W), b)), 1e-12, 1e-12));
  KGonInit init;
  init.k = 2;
  init.noise = 0;
  init_noisy_kgon(m, init, gen);
  // without noise: two opposite columns of length 0.9, the others zero
  const Tensor Wk = m.W.value();
  const double c0 = std::hypot(Wk.at({0, 0}), Wk.at({1, 0})), c1 = std::hypot(Wk.at({0, 1}), Wk.at({1, 1}));
  EXPECT_NEAR(c0, 0.9, 1e-12);
  EXPECT_NEAR(c1, 0.9, 1e-12);
  EXPECT_NEAR(Wk.at({0, 0}) * Wk.at({0, 1}) + Wk.at({1, 0}) * Wk.at({1, 1}), -0.81, 1e-12);
  for (int j = 2; j < 8; ++j) EXPECT_EQ(Wk.at({0, j}), 0);
  init.k = 5;
  init_noisy_kgon(m, init, gen);
  const Tensor W5 = m.W.value();
  const double angle = std::atan2(W5.at({1, 1}), W5.at({0, 1})) - std::atan2(W5.at({1, 0}), W5.at({0, 0}));
  EXPECT_NEAR(std::remainder(angle, 2 * std::numbers::pi), 2 * std::numbers::pi / 5, 1e-12);
}

TEST(Models, PolynomialRegressors) {
  PolynomialRegressor poly({1, 3}, kFloat64, {2.0, -0.5});
  const Tensor x = tensor({1, -2, 0.5}, kFloat64);
  EXPECT_TRUE(allclose(poly(Variable(x)).value(), mul(x, 2.0 * -0.125)));
  SumOfMonomials sum_m({{2, 0}, {1, 1}}, kFloat64, {1.5, 2.0});
  EXPECT_TRUE(allclose(sum_m(Variable(x)).value(), mul(x, 1.5 * 1.5 + 1.5 * 2.0)));
  // gradient of the monomial: d/dw (w1 w2³) = (w2³, 3 w1 w2²)
  PolynomialRegressor p2({1, 3}, kFloat64, {2.0, -0.5});
  sum(p2(Variable(ones({1}, kFloat64)))).backward();
  EXPECT_TRUE(allclose(p2.w.grad(), tensor({-0.125, 3 * 2.0 * 0.25}, kFloat64)));
  EXPECT_EQ(PolynomialRegressor({0, 2}).w.value().to_vector<float>(), (std::vector<float>{0, 0}));
}

TEST(Models, DeepLinearNetworkAndAutoencoder) {
  Generator gen(3);
  DeepLinearNetwork dln({4, 3, 5, 2}, gen, kFloat64);
  EXPECT_EQ(dln.widths(), (std::vector<std::int64_t>{4, 3, 5, 2}));
  const Tensor x = normal({6, 4}, gen, 0, 1, kFloat64);
  EXPECT_TRUE(allclose(dln(Variable(x)).value(), matmul(x, dln.end_to_end().t()), 1e-12, 1e-12));
  Autoencoder untied(5, 2, gen, {.activation = Activation::relu});
  EXPECT_EQ(untied(Variable(ones({3, 5}))).shape(), (Dims{3, 5}));
  Autoencoder tied(5, 2, gen, {.tied = true, .dtype = kFloat64});
  const Tensor A = tied.encoder.weight.value();
  const Tensor y = normal({3, 5}, gen, 0, 1, kFloat64);
  EXPECT_TRUE(allclose(tied(Variable(y)).value(), matmul(matmul(y, A.t()), A), 1e-12, 1e-12));
}

// A batch of 64 rows or more through narrow layers runs feature-major (hᵀ = W·h_prevᵀ,
// the output a transposed view), through the end-to-end product when that takes
// fewer multiply–adds and layer by layer otherwise: the same function and the same
// gradients, for the weights and the input, through the mean squared error the
// samplers use.
TEST(Models, DeepLinearNetworkFeatureMajorBatches) {
  Generator gen(4);
  // 4-3-5-2: 37 multiply–adds per row layer by layer, 8 per row (+100 once) through
  // the product; 6-2-6: 24 against 36, so it stays layer by layer
  for (const std::vector<std::int64_t>& widths : {std::vector<std::int64_t>{4, 3, 5, 2}, std::vector<std::int64_t>{6, 2, 6}}) {
    DeepLinearNetwork dln(widths, gen, kFloat64);
    EXPECT_EQ(dln.collapses(100), widths.size() == 4);
    const Tensor x = normal({100, widths.front()}, gen, 0, 1, kFloat64);
    const Variable out = dln(Variable(x));
    EXPECT_EQ(out.shape(), (Dims{100, widths.back()}));
    EXPECT_TRUE(allclose(out.value(), matmul(x, dln.end_to_end().t()), 1e-12, 1e-12));
    const Tensor target = normal({100, widths.back()}, gen, 0, 1, kFloat64);
    const Tensor residual = sub(matmul(x, dln.end_to_end().t()), target);
    EXPECT_NEAR(mse_loss(out, Variable(target)).item(), mean(mul(residual, residual)).item(), 1e-12);
    std::vector<Tensor> inputs;
    std::int64_t weights = 0;
    for (const Linear& layer : dln.layers) {
      inputs.push_back(layer.weight.value().clone());
      weights += layer.weight.numel();
    }
    inputs.push_back(x);
    const auto loss = [&](const std::vector<Variable>& v) {
      for (std::size_t l = 0; l < dln.layers.size(); ++l) dln.layers[l].weight = v[l];
      return mse_loss(dln(v.back()), Variable(target));
    };
    const GradcheckResult r = gradcheck(loss, inputs);
    EXPECT_TRUE(r.ok) << r.message;
    EXPECT_EQ(r.checked, weights + x.numel());
    // the data as a constant (copied feature-major once): the weights alone
    inputs.pop_back();
    const auto loss_of_weights = [&](const std::vector<Variable>& v) {
      for (std::size_t l = 0; l < dln.layers.size(); ++l) dln.layers[l].weight = v[l];
      return mse_loss(dln(Variable(x)), Variable(target));
    };
    const GradcheckResult w = gradcheck(loss_of_weights, inputs);
    EXPECT_TRUE(w.ok) << w.message;
    EXPECT_EQ(w.checked, weights);
  }
}

// Small batches and inputs of other shapes go row by row, through the product when
// it pays: 10-10-10 on 8 rows takes 100 per row (+1000 once) against 200.
TEST(Models, DeepLinearNetworkRowsThroughTheProduct) {
  Generator gen(6);
  DeepLinearNetwork dln({10, 10, 10}, gen, kFloat64);
  EXPECT_FALSE(dln.collapses(9));
  EXPECT_TRUE(dln.collapses(11));
  for (const Dims& shape : {Dims{8, 10}, Dims{12, 10}, Dims{3, 5, 10}, Dims{10}}) {
    const Tensor x = normal(shape, gen, 0, 1, kFloat64);
    Tensor expected = x;
    for (const Linear& layer : dln.layers) expected = matmul(expected, layer.weight.value().t());
    const Variable xv(x, true);
    const Variable y = dln(xv);
    EXPECT_EQ(y.shape(), shape);
    EXPECT_TRUE(allclose(y.value(), expected, 1e-12, 1e-12)) << shape;
    const auto loss = [&](const std::vector<Variable>& v) {
      dln.layers[0].weight = v[0];
      dln.layers[1].weight = v[1];
      return sum(square(dln(v[2])));
    };
    const GradcheckResult r = gradcheck(loss, {dln.layers[0].weight.value().clone(), dln.layers[1].weight.value().clone(), x});
    EXPECT_TRUE(r.ok) << shape << r.message;
  }
  // the order can be fixed either way, and copies keep it: the same function
  DeepLinearNetwork fixed({10, 10, 10}, gen, kFloat64);
  const Tensor x = normal({100, 10}, gen, 0, 1, kFloat64);
  const Tensor cheapest = fixed(Variable(x)).value();
  fixed.order = ProductOrder::by_layer;
  EXPECT_FALSE(fixed.collapses(1000));
  EXPECT_TRUE(allclose(fixed(Variable(x)).value(), cheapest, 1e-12, 1e-12));
  const auto copy = fixed.clone();
  EXPECT_EQ(dynamic_cast<const DeepLinearNetwork&>(*copy).order, ProductOrder::by_layer);
  fixed.order = ProductOrder::end_to_end;
  EXPECT_TRUE(fixed.collapses(1));
  EXPECT_TRUE(allclose(fixed(Variable(x.narrow(0, 0, 3))).value(), cheapest.narrow(0, 0, 3), 1e-12, 1e-12));
  // a 1-layer network is its layer; a bottleneck stays layer by layer
  EXPECT_FALSE(DeepLinearNetwork({10, 10}, gen).collapses(1000));
  EXPECT_FALSE(DeepLinearNetwork({10, 1, 10}, gen).collapses(1000));
  // a wrong input width is named, whichever way the batch would go
  EXPECT_THROW(dln(Variable(ones({100, 9}, kFloat64))), Error);
  EXPECT_THROW(dln(Variable(ones({4, 9}, kFloat64))), Error);
}

TEST(Models, DeepLinearNetworkArrangesDataFeatureMajor) {
  Generator gen(5);
  DeepLinearNetwork dln({10, 6, 10}, gen);
  const Tensor x = normal({200, 10}, gen);
  const Tensor y = normal({200, 10}, gen);
  const auto [xa, ya] = dln.arrange_data(x, y);
  // feature-major, except in a reference build, whose plain path reads rows as given
  const Dims arranged_strides = build::reference ? Dims{10, 1} : Dims{1, 200};
  for (const auto& [arranged, original] : {std::pair{xa, x}, std::pair{ya, y}}) {
    EXPECT_EQ(arranged.shape(), original.shape());
    EXPECT_EQ(arranged.strides(), arranged_strides);
    EXPECT_TRUE(allclose(arranged, original, 0, 0));
  }
  // the same loss and gradients, bit for bit, as with the data in rows
  const auto loss_and_grads = [&](const Tensor& inputs, const Tensor& targets) {
    dln.zero_grad();
    const Variable loss = mse_loss(dln(Variable(inputs)), Variable(targets));
    loss.backward();
    std::vector<Tensor> out{loss.value()};
    for (const Linear& layer : dln.layers) out.push_back(layer.weight.grad().clone());
    return out;
  };
  const auto rows = loss_and_grads(x, y);
  const auto arranged = loss_and_grads(xa, ya);
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_TRUE(allclose(rows[i], arranged[i], 0, 0)) << i;
  // data the row-by-row path reads, and targets the output is not compared with in
  // memory order, stay as they are
  const Tensor few = normal({8, 10}, gen);
  EXPECT_TRUE(dln.arrange_data(few, few).first.is_contiguous());
  const Tensor labels = zeros({200}, kInt64);
  const auto [x_labels, labels_kept] = dln.arrange_data(x, labels);
  EXPECT_EQ(x_labels.strides(), arranged_strides);
  EXPECT_EQ(labels_kept.storage(), labels.storage());
  Linear plain(10, 10, gen);
  EXPECT_EQ(plain.arrange_data(x, y).first.storage(), x.storage());
}

}  // namespace
}  // namespace lambdahat
