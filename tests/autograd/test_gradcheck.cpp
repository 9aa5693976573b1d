// One gradient-check entry per differentiable op, all run through the same harness
// (central differences in float64). Entries cover broadcasting, non-contiguous inputs
// and inputs used twice. The completeness test fails when an op of op_list.hpp has
// no entry, and each entry must actually record the op it claims to check.
#include <map>
#include <set>

#include "lambdahat/version.hpp"
#include "support/reference.hpp"

namespace lambdahat {
namespace {

using Fn = std::function<Variable(const std::vector<Variable>&)>;

struct Entry {
  Op op;
  std::string name;
  Fn f;
  std::vector<Tensor> inputs;
  GradcheckOptions options = {};
};

Tensor rnd(const Dims& shape, std::uint64_t seed, double lo = -2, double hi = 2) {
  Generator gen(seed);
  return uniform(shape, gen, lo, hi, kFloat64);
}
Tensor positive(const Dims& shape, std::uint64_t seed) { return rnd(shape, seed, 0.3, 2.5); }
// The same values laid out transposed in memory.
Tensor strided(const Tensor& t) { return testing::strided_copy(t, 1); }
Tensor idx(std::vector<std::int64_t> v, Dims shape = {}) {
  if (shape.empty()) shape = Dims{static_cast<std::int64_t>(v.size())};
  return from_vector(v, shape);
}
GradcheckOptions kinks_at(std::vector<double> points) {
  GradcheckOptions o;
  o.near_kink = [points](std::size_t, double v) {
    for (double p : points)
      if (std::abs(v - p) < 1e-4) return true;
    return false;
  };
  return o;
}

std::vector<Entry> entries() {
  std::vector<Entry> e;
  auto add = [&](Op op, std::string name, Fn f, std::vector<Tensor> in, GradcheckOptions o = {}) {
    e.push_back({op, std::move(name), std::move(f), std::move(in), std::move(o)});
  };
  // ---- elementwise ----
  add(Op::add, "add broadcast", [](auto& v) { return v[0] + v[1]; }, {rnd({3, 4}, 1), rnd({4}, 2)});
  add(Op::add, "add reused", [](auto& v) { return v[0] + v[0] * v[0]; }, {rnd({5}, 3)});
  add(Op::sub, "sub broadcast", [](auto& v) { return v[0] - v[1]; }, {rnd({2, 1, 3}, 4), strided(rnd({4, 3}, 5))});
  add(Op::mul, "mul broadcast", [](auto& v) { return v[0] * v[1]; }, {strided(rnd({3, 4}, 6)), rnd({3, 1}, 7)});
  add(Op::mul, "mul scalar", [](auto& v) { return v[0] * 2.5; }, {rnd({4}, 8)});
  add(Op::div, "div", [](auto& v) { return v[0] / v[1]; }, {rnd({3, 4}, 9), positive({4}, 10)});
  add(Op::neg, "neg", [](auto& v) { return -v[0]; }, {strided(rnd({2, 3}, 11))});
  add(Op::pow, "pow", [](auto& v) { return pow(v[0], v[1]); }, {positive({3, 2}, 12), rnd({2}, 13)});
  add(Op::pow_scalar, "pow scalar", [](auto& v) { return pow(v[0], 3.0) + pow(v[1], -1.5); }, {rnd({4}, 14), positive({4}, 15)});
  add(Op::exp, "exp", [](auto& v) { return exp(v[0]); }, {strided(rnd({3, 3}, 16))});
  add(Op::log, "log", [](auto& v) { return log(v[0]); }, {positive({5}, 17)});
  add(Op::sqrt, "sqrt", [](auto& v) { return sqrt(v[0]); }, {positive({5}, 18)});
  add(Op::square, "square", [](auto& v) { return square(v[0]); }, {rnd({2, 3}, 19)});
  add(Op::abs, "abs", [](auto& v) { return abs(v[0]); }, {rnd({6}, 20)}, kinks_at({0}));
  add(Op::tanh, "tanh", [](auto& v) { return tanh(v[0]); }, {rnd({6}, 21)});
  add(Op::sigmoid, "sigmoid", [](auto& v) { return sigmoid(v[0]); }, {rnd({6}, 22, -6, 6)});
  add(Op::relu, "relu", [](auto& v) { return relu(v[0]); }, {strided(rnd({3, 4}, 23))}, kinks_at({0}));
  add(Op::gelu, "gelu", [](auto& v) { return gelu(v[0]); }, {rnd({7}, 24, -4, 4)});
  add(Op::gelu_tanh, "gelu tanh", [](auto& v) { return gelu(v[0], GeluApprox::tanh); }, {rnd({7}, 25, -4, 4)});
  add(Op::softplus, "softplus", [](auto& v) { return softplus(v[0]); }, {rnd({7}, 26, -8, 8)});
  add(Op::clamp, "clamp", [](auto& v) { return clamp(v[0], -0.5, 0.8); }, {rnd({9}, 27)}, kinks_at({-0.5, 0.8}));
  add(Op::where, "where", [](auto& v) { return where(gt(rnd({3, 4}, 28), scalar(0, kFloat64)), v[0], v[1]); },
      {rnd({3, 4}, 29), rnd({4}, 30)});
  add(Op::maximum, "maximum", [](auto& v) { return maximum(v[0], v[1]); }, {rnd({3, 4}, 31), rnd({4}, 32)});
  add(Op::minimum, "minimum", [](auto& v) { return minimum(v[0], v[1]); }, {rnd({3, 4}, 33), strided(rnd({3, 4}, 34))});
  // ---- reductions ----
  add(Op::sum, "sum dims", [](auto& v) { return sum(v[0], {0, 2}); }, {rnd({2, 3, 4}, 35)});
  add(Op::sum, "sum keepdim strided", [](auto& v) { return sum(v[0], {1}, true); }, {strided(rnd({3, 5}, 36))});
  add(Op::sum, "mean and var (composites)", [](auto& v) { return mean(v[0], {1}) + var(v[0], {1}); }, {rnd({3, 5}, 37)});
  add(Op::max, "max", [](auto& v) { return max(v[0], {1}); }, {rnd({4, 5}, 38)});
  add(Op::min, "min all", [](auto& v) { return min(v[0]); }, {rnd({4, 5}, 39)});
  add(Op::logsumexp, "logsumexp", [](auto& v) { return logsumexp(v[0], {0}); }, {strided(rnd({4, 3}, 40))});
  add(Op::monomial, "monomial", [](auto& v) { return monomial(v[0], {1, 3, 0, 2}); }, {rnd({4}, 41)});
  // at a singular point: one factor is 0, so only its own partial derivative survives
  add(Op::monomial, "monomial at a zero", [](auto& v) { return monomial(v[0], {1, 2}) * 3.0; },
      {from_vector(std::vector<double>{0.0, 1.3})});
  // ---- products ----
  add(Op::matmul, "matmul", [](auto& v) { return matmul(v[0], v[1]); }, {rnd({3, 4}, 41), rnd({4, 5}, 42)});
  add(Op::matmul, "matmul transposed views", [](auto& v) { return matmul(v[0], v[1]); },
      {strided(rnd({3, 4}, 43)), strided(rnd({4, 2}, 44))});
  add(Op::matmul, "matmul batched broadcast", [](auto& v) { return matmul(v[0], v[1]); },
      {rnd({2, 3, 4}, 45), rnd({4, 2}, 46)});
  add(Op::matmul, "matmul vector", [](auto& v) { return matmul(v[0], v[1]) + matmul(v[1], v[1]); },
      {rnd({3, 4}, 47), rnd({4}, 48)});
  add(Op::matmul, "matmul reused (x xᵀ)", [](auto& v) { return matmul(v[0], transpose(v[0], 0, 1)); }, {rnd({3, 4}, 49)});
  add(Op::linear, "linear with bias", [](auto& v) { return linear(v[0], v[1], v[2]); },
      {rnd({4, 3}, 72), rnd({5, 3}, 73), rnd({5}, 74)});
  add(Op::linear, "linear batched, no bias, strided", [](auto& v) { return linear(v[0], v[1]); },
      {rnd({2, 3, 4}, 75), strided(rnd({2, 4}, 76))});
  add(Op::linear_relu, "linear_relu with bias", [](auto& v) { return linear_relu(v[0], v[1], v[2]); },
      {rnd({6, 3}, 77), rnd({4, 3}, 78), rnd({4}, 79)});
  add(Op::linear_relu, "linear_relu batched, no bias, strided", [](auto& v) { return linear_relu(v[0], v[1]); },
      {rnd({2, 3, 4}, 80), strided(rnd({2, 4}, 81))});
  // ---- shape ----
  add(Op::reshape, "reshape", [](auto& v) { return reshape(v[0], {6, 2}) * Variable(rnd({6, 2}, 50)); }, {strided(rnd({3, 4}, 51))});
  add(Op::permute, "permute", [](auto& v) { return permute(v[0], {2, 0, 1}) * Variable(rnd({4, 2, 3}, 52)); }, {rnd({2, 3, 4}, 53)});
  add(Op::slice, "slice, narrow, select", [](auto& v) {
        return slice(v[0], 1, 0, 5, 2) + narrow(v[0], 1, 1, 3) + unsqueeze(select(v[0], 1, -1), 1);
      }, {rnd({2, 6}, 54)});
  add(Op::expand, "expand", [](auto& v) { return expand(v[0], {3, 4}) * Variable(rnd({3, 4}, 55)); }, {rnd({3, 1}, 56)});
  add(Op::concat, "concat and stack", [](auto& v) { 
        return concat({v[0], v[1], v[0]}, 1) + reshape(stack({v[0], v[0], v[1]}, 1), {2, 9});
      },
      {rnd({2, 3}, 57), rnd({2, 3}, 58)});
  // ---- indexing ----
  add(Op::index_select, "index_select with repeats", [](auto& v) { return index_select(v[0], 0, idx({2, 0, 2})); },
      {rnd({3, 4}, 59)});
  add(Op::index_select, "embedding", [](auto& v) { return embedding(v[0], idx({1, 4, 1, 0}, {2, 2})); }, {rnd({5, 3}, 60)});
  add(Op::index_select_add, "index_select_add with repeats", [](auto& v) {
        return index_select_add(v[0], idx({2, 0, 2, 1}), v[1], idx({1, 1, 0, 3}));
      }, {rnd({3, 4}, 163), rnd({4, 4}, 164)});
  add(Op::index_select_add, "index_select_add of one table twice", [](auto& v) {
        return index_select_add(v[0], idx({2, 0}), v[0], idx({2, 1}));
      }, {rnd({3, 2}, 165)});
  add(Op::index_select_add_gelu, "index_select_add_gelu with repeats", [](auto& v) {
        return index_select_add_gelu(v[0], idx({2, 0, 2, 1}), v[1], idx({1, 1, 0, 3}));
      }, {rnd({3, 4}, 169), rnd({4, 4}, 170)});
  add(Op::index_select_add_gelu, "index_select_add_gelu, tanh form, one table twice", [](auto& v) {
        return index_select_add_gelu(v[0], idx({2, 0, 1}), v[0], idx({2, 1, 1}), GeluApprox::tanh);
      }, {rnd({3, 2}, 171)});
  add(Op::gather, "gather", [](auto& v) { return gather(v[0], 1, idx({2, 0, 1, 1}, {2, 2})); }, {rnd({2, 3}, 61)});
  // ---- losses ----
  add(Op::log_softmax, "log_softmax", [](auto& v) { return log_softmax(v[0], 1); }, {rnd({3, 5}, 62)});
  add(Op::log_softmax, "softmax dim 0", [](auto& v) { return softmax(v[0], 0); }, {strided(rnd({4, 3}, 63))});
  add(Op::log_softmax, "log_softmax dim 0, down the columns", [](auto& v) { return log_softmax(v[0], 0); },
      {rnd({4, 3}, 166)});
  add(Op::cross_entropy, "cross_entropy of class-major logits", [](auto& v) { return cross_entropy(v[0], idx({4, 0, 2})); },
      {strided(rnd({3, 5}, 167))});
  add(Op::cross_entropy, "cross_entropy per sample, class-major",
      [](auto& v) { return cross_entropy(v[0], idx({1, 3, 0}), Reduction::none); }, {strided(rnd({3, 4}, 168))});
  add(Op::cross_entropy, "cross_entropy mean", [](auto& v) { return cross_entropy(v[0], idx({4, 0, 2})); }, {rnd({3, 5}, 64)});
  add(Op::cross_entropy, "cross_entropy sum", [](auto& v) { return cross_entropy(v[0], idx({3, 3}), Reduction::sum); },
      {rnd({2, 4}, 76)});
  add(Op::cross_entropy, "cross_entropy per sample", [](auto& v) { return cross_entropy(v[0], idx({1, 1}), Reduction::none); },
      {rnd({2, 4}, 65)});
  add(Op::mse_loss, "mse mean", [](auto& v) { return mse_loss(v[0], v[1]); }, {rnd({4, 3}, 66), rnd({4, 3}, 67)});
  add(Op::mse_loss, "mse sum", [](auto& v) { return mse_loss(v[0], v[1], Reduction::sum); }, {rnd({5}, 68), rnd({5}, 69)});
  add(Op::mse_loss, "mse mean, strided prediction (unfused path)", [](auto& v) { return mse_loss(v[0], v[1]); },
      {strided(rnd({4, 3}, 72)), rnd({4, 3}, 73)});
  add(Op::mse_loss, "mse mean, transposed prediction (compared in its memory order)",
      [](auto& v) { return mse_loss(transpose(v[0], 0, 1), v[1]); }, {rnd({3, 4}, 74), rnd({4, 3}, 75)});
  add(Op::sub, "mse per sample (composite)", [](auto& v) { return mse_loss(v[0], v[1], Reduction::none); },
      {rnd({4, 3}, 70), rnd({4, 3}, 71)});
  return e;
}

// Ops recorded anywhere in the graph behind `out`.
std::set<Op> recorded_ops(const Variable& out) {
  std::set<Op> ops;
  std::vector<Node*> stack;
  std::set<Node*> seen;
  if (out.node()) stack.push_back(out.node().get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    ops.insert(n->op);
    for (const auto& in : n->inputs)
      if (in.node()) stack.push_back(in.node().get());
  }
  return ops;
}

TEST(Gradcheck, EveryEntryMatchesFiniteDifferences) {
  for (const auto& entry : entries()) {
    const GradcheckResult r = gradcheck(entry.f, entry.inputs, entry.options);
    EXPECT_TRUE(r.ok) << entry.name << ": " << r.message;
    EXPECT_GT(r.checked, 0) << entry.name;
  }
}

TEST(Gradcheck, EveryDifferentiableOpHasAnEntryThatRecordsIt) {
  std::set<Op> covered;
  for (const auto& entry : entries()) {
    std::vector<Variable> vars;
    for (const auto& t : entry.inputs) vars.emplace_back(t, true);
    const std::set<Op> ops = recorded_ops(entry.f(vars));
    // a reference build computes a fused op as its plain composition, whose ops have
    // entries of their own; the entry's gradient check above still runs
    if (build::reference && is_fused(entry.op)) {
      EXPECT_FALSE(ops.count(entry.op)) << entry.name << " records the fused " << op_name(entry.op);
    } else {
      EXPECT_TRUE(ops.count(entry.op)) << entry.name << " does not record " << op_name(entry.op);
    }
    covered.insert(entry.op);
  }
  for (std::size_t i = 0; i < kNumOps; ++i)
    EXPECT_TRUE(covered.count(static_cast<Op>(i))) << "no gradient check for op " << kOpNames[i];
}

TEST(Gradcheck, CrossEntropyGradientIsTheScaledSoftmaxMinusOneHot) {
  // float32 at the seed study's size, bit for bit: (softmax − onehot)·s_i, with
  // s_i = 1/B (mean), 1 (sum) or the gradient of row i's loss (none)
  constexpr std::int64_t B = 37, C = 53;
  Generator gen(81);
  const Tensor logits = normal({B, C}, gen, 0, 3);
  std::vector<std::int64_t> labels(B);
  std::vector<float> onehot(B * C, 0.0f);
  for (std::int64_t i = 0; i < B; ++i) {
    labels[i] = (7 * i + 3) % C;
    onehot[i * C + labels[i]] = 1.0f;
  }
  const Tensor targets = from_vector(labels, {B});
  const Tensor weights = uniform({B}, gen, -2, 2);
  // by rows, and class-major (a (B, C) view of a C × B matrix, down its columns)
  for (const Tensor& z : {logits, testing::strided_copy(logits, 1)}) {
    const Tensor residual = sub(softmax(z, 1), from_vector(onehot, {B, C}));
    const auto grad_of = [&](const std::function<Variable(const Variable&)>& loss) {
      Variable x(z, true);
      loss(x).backward();
      return x.grad();
    };
    const auto expect_near = [&](const Tensor& got, const Tensor& want, const char* what) {
      EXPECT_EQ(got.shape(), want.shape()) << what;
      EXPECT_TRUE(allclose(got, want, 0, 0)) << what << (z.is_contiguous() ? ", by rows" : ", class-major");
    };
    expect_near(grad_of([&](const Variable& x) { return cross_entropy(x, targets); }), mul(residual, 1.0 / B), "mean");
    expect_near(grad_of([&](const Variable& x) { return cross_entropy(x, targets, Reduction::sum); }), residual, "sum");
    expect_near(grad_of([&](const Variable& x) { return sum(cross_entropy(x, targets, Reduction::none) * Variable(weights)); }),
                mul(residual, weights.unsqueeze(1)), "none");
  }
}

// The fused hidden layer of the grokking MLP against its two ops, float32 at the
// seed study's size, both GELU forms: the values bit for bit, both tables'
// gradients within float rounding (the fused pass adds each product with an FMA).
TEST(Gradcheck, IndexSelectAddGeluIsGeluOfIndexSelectAddBitForBit) {
  Generator gen(82);
  const Tensor left = normal({53, 48}, gen), right = normal({53, 48}, gen);
  const Tensor ia = randint(0, 53, {128}, gen), ib = randint(0, 53, {128}, gen);
  const Tensor weights = normal({128, 48}, gen);
  for (GeluApprox approx : {GeluApprox::none, GeluApprox::tanh}) {
    const auto run = [&](bool fused) {
      Variable l(left.clone(), true), r(right.clone(), true);
      const Variable h = fused ? index_select_add_gelu(l, ia, r, ib, approx) : gelu(index_select_add(l, ia, r, ib), approx);
      sum(h * Variable(weights)).backward();
      return std::array<Tensor, 3>{h.value(), l.grad(), r.grad()};
    };
    const auto fused = run(true), parts = run(false);
    EXPECT_TRUE(allclose(fused[0], parts[0], 0, 0)) << "values, approx " << int(approx);
    for (int k = 1; k < 3; ++k) {
      const double scale = max(abs(parts[k])).item();
      EXPECT_TRUE(allclose(fused[k], parts[k], 0, 1e-6 * scale)) << "gradient " << k << ", approx " << int(approx);
    }
  }
}

TEST(Gradcheck, HarnessCatchesAWrongGradient) {
  // an op whose backward is deliberately wrong must fail the check
  auto wrong = [](const std::vector<Variable>& v) {
    return make_result(Op::exp, exp(v[0].value()), {v[0]},
                       [x = v[0].value()](const Tensor& g) -> std::vector<Tensor> { return {mul(g, x)}; });
  };
  EXPECT_FALSE(gradcheck(wrong, {rnd({4}, 99)}).ok);
}

}  // namespace
}  // namespace lambdahat
