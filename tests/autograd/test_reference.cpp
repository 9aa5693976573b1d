// The fused ops against their plain formulations (autograd/ops.hpp, namespace
// reference), values and gradients, in float64 and float32, and the models' fast
// layouts against the plain formulas written out here. In a reference build
// (lambdahat/version.hpp) the fused ops are those formulations, and the comparisons
// hold exactly.
#include "lambdahat/version.hpp"
#include "support/reference.hpp"

namespace lambdahat {
namespace {

using Fn = std::function<Variable(const std::vector<Variable>&)>;

// The value and every input's gradient of f at `inputs`.
std::vector<Tensor> value_and_grads(const Fn& f, const std::vector<Tensor>& inputs) {
  std::vector<Variable> vars;
  for (const Tensor& t : inputs) vars.emplace_back(t.clone(), true);
  const Variable out = f(vars);
  sum(out).backward();
  std::vector<Tensor> result{out.value().clone()};
  for (const Variable& v : vars) result.push_back(v.grad().defined() ? v.grad().clone() : zeros(v.shape(), v.dtype()));
  return result;
}

// Fused and plain agree to `tol` (relative to the larger magnitude, and absolute).
void expect_agree(const std::string& name, const Fn& fused, const Fn& plain, const std::vector<Tensor>& inputs,
                  double tol) {
  const auto a = value_and_grads(fused, inputs), b = value_and_grads(plain, inputs);
  ASSERT_EQ(a.size(), b.size()) << name;
  EXPECT_EQ(a[0].shape(), b[0].shape()) << name;
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_TRUE(allclose(a[i], b[i], tol, tol)) << name << (i == 0 ? ": value" : ": gradient of input ") << i
                                                 << "\nfused " << a[i] << "\nplain " << b[i];
}

Tensor rnd(const Dims& shape, std::uint64_t seed, DType dtype) {
  Generator gen(seed);
  return normal(shape, gen, 0, 1, dtype);
}

TEST(Reference, FusedOpsAgreeWithTheirPlainFormulations) {
  // float64 to rounding; float32 to a few units in the last place of sums of ~10 terms
  for (const auto& [dtype, tol] : {std::pair{kFloat64, 1e-12}, std::pair{kFloat32, 2e-5}}) {
    const std::string t = dtype == kFloat64 ? " (float64)" : " (float32)";
    const std::vector<int> powers{2, 0, 1, 3};
    expect_agree("monomial" + t, [&](auto& v) { return monomial(v[0], powers); },
                 [&](auto& v) { return reference::monomial(v[0], powers); }, {rnd({4}, 1, dtype)}, tol);
    // at w = 0, where the polynomial regressors sit: value and gradient vanish or not
    // exactly as the formula says
    expect_agree("monomial at 0" + t, [&](auto& v) { return monomial(v[0], {1, 0, 2}); },
                 [&](auto& v) { return reference::monomial(v[0], {1, 0, 2}); }, {zeros({3}, dtype)}, 0);
    expect_agree("monomial of one variable" + t, [&](auto& v) { return monomial(v[0], {1}); },
                 [&](auto& v) { return reference::monomial(v[0], {1}); }, {zeros({1}, dtype)}, 0);
    for (const bool bias : {true, false}) {
      const std::string b = bias ? " with bias" : " without bias";
      std::vector<Tensor> in{rnd({6, 5}, 2, dtype), rnd({4, 5}, 3, dtype), rnd({4}, 4, dtype)};
      if (!bias) in.pop_back();
      const auto bias_of = [bias](auto& v) { return bias ? v[2] : Variable(); };
      expect_agree("linear_relu" + b + t, [&](auto& v) { return linear_relu(v[0], v[1], bias_of(v)); },
                   [&](auto& v) { return reference::linear_relu(v[0], v[1], bias_of(v)); }, in, tol);
      // a batched input (2, 3, 5)
      in[0] = rnd({2, 3, 5}, 5, dtype);
      expect_agree("linear_relu batched" + b + t, [&](auto& v) { return linear_relu(v[0], v[1], bias_of(v)); },
                   [&](auto& v) { return reference::linear_relu(v[0], v[1], bias_of(v)); }, in, tol);
    }
    // repeated indices: the gradients add where a row is picked twice
    const Tensor ia = from_vector(std::vector<std::int64_t>{0, 2, 2, 1, 0, 2});
    const Tensor ib = from_vector(std::vector<std::int64_t>{3, 3, 0, 1, 2, 0});
    const std::vector<Tensor> tables{rnd({3, 5}, 6, dtype), rnd({4, 5}, 7, dtype)};
    expect_agree("index_select_add" + t, [&](auto& v) { return index_select_add(v[0], ia, v[1], ib); },
                 [&](auto& v) { return reference::index_select_add(v[0], ia, v[1], ib); }, tables, tol);
    for (const GeluApprox approx : {GeluApprox::none, GeluApprox::tanh}) {
      expect_agree("index_select_add_gelu" + t,
                   [&](auto& v) { return index_select_add_gelu(v[0], ia, v[1], ib, approx); },
                   [&](auto& v) { return reference::index_select_add_gelu(v[0], ia, v[1], ib, approx); }, tables,
                   tol);
    }
    for (const Reduction r : {Reduction::mean, Reduction::sum, Reduction::none}) {
      expect_agree("mse_loss" + t, [&](auto& v) { return mse_loss(v[0], v[1], r); },
                   [&](auto& v) { return reference::mse_loss(v[0], v[1], r); },
                   {rnd({7, 3}, 8, dtype), rnd({7, 3}, 9, dtype)}, tol);
      // a transposed prediction, as a feature-major model returns it
      expect_agree("mse_loss of a transposed prediction" + t,
                   [&](auto& v) { return mse_loss(transpose(v[0], 0, 1), v[1], r); },
                   [&](auto& v) { return reference::mse_loss(transpose(v[0], 0, 1), v[1], r); },
                   {rnd({3, 7}, 10, dtype), rnd({7, 3}, 11, dtype)}, tol);
    }
  }
}

TEST(Reference, PlainFormulationsPassTheGradientCheck) {
  const std::vector<Tensor> tables{rnd({3, 4}, 12, kFloat64), rnd({2, 4}, 13, kFloat64)};
  const Tensor ia = from_vector(std::vector<std::int64_t>{0, 2, 2, 1});
  const Tensor ib = from_vector(std::vector<std::int64_t>{1, 1, 0, 1});
  const std::vector<std::pair<std::string, std::pair<Fn, std::vector<Tensor>>>> cases = {
      {"monomial", {[](auto& v) { return reference::monomial(v[0], {2, 0, 3}); }, {rnd({3}, 14, kFloat64)}}},
      {"linear_relu",
       {[](auto& v) { return reference::linear_relu(v[0], v[1], v[2]); },
        {rnd({5, 3}, 15, kFloat64), rnd({4, 3}, 16, kFloat64), rnd({4}, 17, kFloat64)}}},
      {"index_select_add_gelu", {[&](auto& v) { return reference::index_select_add_gelu(v[0], ia, v[1], ib); }, tables}},
      {"mse_loss",
       {[](auto& v) { return reference::mse_loss(v[0], v[1]); }, {rnd({4, 3}, 18, kFloat64), rnd({4, 3}, 19, kFloat64)}}},
  };
  for (const auto& [name, c] : cases) {
    const GradcheckResult r = gradcheck(c.first, c.second);
    EXPECT_TRUE(r.ok) << name << ": " << r.message;
    EXPECT_GT(r.checked, 0) << name;
  }
}

// The models' layouts (feature-major deep linear networks, the grokking MLP picking
// from its table, the toy model's M = WᵀW) against the formulas as a paper writes them.
TEST(Reference, ModelsAgreeWithTheirPlainFormulas) {
  Generator gen(20);
  {
    // 100 rows through 5-4-3-5: feature-major through the end-to-end product
    DeepLinearNetwork dln({5, 4, 3, 5}, gen, kFloat64);
    const Tensor x = rnd({100, 5}, 21, kFloat64), y = rnd({100, 5}, 22, kFloat64);
    std::vector<Tensor> weights;
    for (const Linear& layer : dln.layers) weights.push_back(layer.weight.value().clone());
    const auto set = [&](const std::vector<Variable>& v) {
      for (std::size_t l = 0; l < dln.layers.size(); ++l) dln.layers[l].weight = v[l];
    };
    expect_agree(
        "deep linear network",
        [&](auto& v) {
          set(v);
          return mse_loss(dln(Variable(x)), Variable(y));
        },
        [&](auto& v) {
          Variable h(x);
          for (const Variable& w : v) h = matmul(h, transpose(w, 0, 1));
          return reference::mse_loss(h, Variable(y));
        },
        weights, 1e-12);
  }
  {
    ToyModel tms(6, 2, gen, kFloat64);
    const Tensor x = uniform({40, 6}, gen, 0, 1, kFloat64);
    expect_agree(
        "toy model of superposition",
        [&](auto& v) {
          tms.W = v[0];
          tms.b = v[1];
          return mse_loss(tms(Variable(x)), Variable(x));
        },
        [&](auto& v) {
          // relu(Wᵀ W x + b) for each row x
          const Variable h = matmul(Variable(x), transpose(v[0], 0, 1));
          return reference::mse_loss(relu(matmul(h, v[0]) + v[1]), Variable(x));
        },
        {tms.W.value().clone(), normal({6}, gen, 0, 0.1, kFloat64)}, 1e-12);
  }
  {
    ModularAdditionMLP mlp(7, 3, 5, gen, kFloat64);
    const Tensor tokens = randint(0, 7, {30, 2}, gen);  // 30 rows > p = 7: the table path
    const Tensor labels = randint(0, 7, {30}, gen);
    std::vector<Tensor> params;
    for (const Variable& p : mlp.parameters()) params.push_back(p.value().clone());
    ASSERT_EQ(params.size(), 6u);
    const Tensor a = tokens.select(1, 0).contiguous(), b = tokens.select(1, 1).contiguous();
    expect_agree(
        "grokking MLP",
        [&](auto& v) {
          mlp.embedding.weight = v[0];
          mlp.left.weight = v[1];
          mlp.left.bias = v[2];
          mlp.right.weight = v[3];
          mlp.right.bias = v[4];
          mlp.out.weight = v[5];
          return cross_entropy(mlp(Variable(tokens)), labels);
        },
        [&](auto& v) {
          // logits = W_out gelu(W_l E[a] + b_l + W_r E[b] + b_r)
          const auto embed = [&](const Tensor& t) { return index_select(v[0], 0, t); };
          const Variable hidden = gelu(linear(embed(a), v[1], v[2]) + linear(embed(b), v[3], v[4]));
          return cross_entropy(linear(hidden, v[5]), labels);
        },
        params, 1e-12);
  }
}

TEST(Reference, BuildInformationIsRecorded) {
  EXPECT_EQ(build::version, std::to_string(build::version_major) + "." + std::to_string(build::version_minor) + "." +
                                std::to_string(build::version_patch));
  EXPECT_TRUE(build::target == "native" || build::target == "portable") << build::target;
  EXPECT_FALSE(simd_instruction_set().empty());
  EXPECT_GE(simd_float_lanes(), 1);
}

}  // namespace
}  // namespace lambdahat
