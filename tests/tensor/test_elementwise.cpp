// Every elementwise op against a double-precision reference, over shapes that hit
// vector tails, broadcasting patterns and non-contiguous layouts, in both float dtypes.
#include <cmath>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

using testing::all_near;
using testing::broadcast_position;
using testing::for_each_index;
using testing::random_tensor;
using testing::strided_copy;

const std::vector<Dims> kShapes = {{}, {1}, {7}, {33}, {3, 5}, {4, 1, 6}, {2, 3, 4, 5}, {1000}};

double gelu_ref(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
double gelu_tanh_ref(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

struct UnaryCase {
  std::string name;
  std::function<Tensor(const Tensor&)> op;
  std::function<double(double)> ref;
  double lo, hi;
};

std::vector<UnaryCase> unary_cases() {
  return {
      {"neg", [](const Tensor& x) { return neg(x); }, [](double x) { return -x; }, -3, 3},
      {"abs", [](const Tensor& x) { return abs(x); }, [](double x) { return std::abs(x); }, -3, 3},
      {"sign", [](const Tensor& x) { return sign(x); }, [](double x) { return double((x > 0) - (x < 0)); }, -3, 3},
      {"square", [](const Tensor& x) { return square(x); }, [](double x) { return x * x; }, -3, 3},
      {"exp", [](const Tensor& x) { return exp(x); }, [](double x) { return std::exp(x); }, -5, 5},
      {"log", [](const Tensor& x) { return log(x); }, [](double x) { return std::log(x); }, 0.05, 5},
      {"log1p", [](const Tensor& x) { return log1p(x); }, [](double x) { return std::log1p(x); }, -0.9, 5},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }, [](double x) { return std::sqrt(x); }, 0, 5},
      {"tanh", [](const Tensor& x) { return tanh(x); }, [](double x) { return std::tanh(x); }, -4, 4},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }, [](double x) { return 1 / (1 + std::exp(-x)); }, -8, 8},
      {"relu", [](const Tensor& x) { return relu(x); }, [](double x) { return std::max(x, 0.0); }, -3, 3},
      {"softplus", [](const Tensor& x) { return softplus(x); }, [](double x) { return std::log1p(std::exp(x)); }, -8, 8},
      {"gelu", [](const Tensor& x) { return gelu(x); }, gelu_ref, -4, 4},
      {"gelu_tanh", [](const Tensor& x) { return gelu(x, GeluApprox::tanh); }, gelu_tanh_ref, -4, 4},
      {"clamp", [](const Tensor& x) { return clamp(x, -0.5, 0.7); }, [](double x) { return std::clamp(x, -0.5, 0.7); }, -2, 2},
      {"pow3", [](const Tensor& x) { return pow(x, 3.0); }, [](double x) { return x * x * x; }, -2, 2},
      {"pow-2", [](const Tensor& x) { return pow(x, -2.0); }, [](double x) { return 1 / (x * x); }, 0.5, 2},
      {"pow0.7", [](const Tensor& x) { return pow(x, 0.7); }, [](double x) { return std::pow(x, 0.7); }, 0.01, 3},
      {"add_scalar", [](const Tensor& x) { return x + 1.5; }, [](double x) { return x + 1.5; }, -3, 3},
      {"mul_scalar", [](const Tensor& x) { return 2.5 * x; }, [](double x) { return 2.5 * x; }, -3, 3},
      {"rsub_scalar", [](const Tensor& x) { return 1.0 - x; }, [](double x) { return 1 - x; }, -3, 3},
      {"div_scalar", [](const Tensor& x) { return x / 4.0; }, [](double x) { return x / 4; }, -3, 3},
  };
}

TEST(Elementwise, UnaryOpsMatchReference) {
  Generator gen(1);
  for (const auto& c : unary_cases())
    for (DType dtype : {kFloat32, kFloat64})
      for (const auto& shape : kShapes)
        for (int layout = 0; layout < 3; ++layout) {
          const Tensor x0 = random_tensor(shape, dtype, gen, c.lo, c.hi);
          const Tensor x = layout == 0 ? x0 : strided_copy(x0, layout);
          const Tensor y = c.op(x);
          std::vector<double> expected;
          for (double v : x0.to_vector<double>()) expected.push_back(c.ref(v));
          EXPECT_EQ(y.shape(), shape);
          EXPECT_EQ(y.dtype(), dtype);
          EXPECT_TRUE(all_near(y, expected, testing::tolerance(dtype) * 5, testing::tolerance(dtype)))
              << c.name << " " << dtype << " shape " << shape << " layout " << layout;
        }
}

struct BinaryCase {
  std::string name;
  std::function<Tensor(const Tensor&, const Tensor&)> op;
  std::function<double(double, double)> ref;
  double lo_a, hi_a, lo_b, hi_b;
  bool integer_values;  // draw integers so that comparisons see ties
};

std::vector<BinaryCase> binary_cases() {
  return {
      {"add", [](auto& a, auto& b) { return a + b; }, [](double a, double b) { return a + b; }, -3, 3, -3, 3, false},
      {"sub", [](auto& a, auto& b) { return a - b; }, [](double a, double b) { return a - b; }, -3, 3, -3, 3, false},
      {"mul", [](auto& a, auto& b) { return a * b; }, [](double a, double b) { return a * b; }, -3, 3, -3, 3, false},
      {"div", [](auto& a, auto& b) { return a / b; }, [](double a, double b) { return a / b; }, -3, 3, 0.5, 3, false},
      {"pow", [](auto& a, auto& b) { return pow(a, b); }, [](double a, double b) { return std::pow(a, b); }, 0.1, 3, -2, 2, false},
      {"maximum", [](auto& a, auto& b) { return maximum(a, b); }, [](double a, double b) { return std::max(a, b); }, -3, 3, -3, 3, false},
      {"minimum", [](auto& a, auto& b) { return minimum(a, b); }, [](double a, double b) { return std::min(a, b); }, -3, 3, -3, 3, false},
      {"eq", [](auto& a, auto& b) { return eq(a, b); }, [](double a, double b) { return double(a == b); }, -2, 3, -2, 3, true},
      {"ne", [](auto& a, auto& b) { return ne(a, b); }, [](double a, double b) { return double(a != b); }, -2, 3, -2, 3, true},
      {"lt", [](auto& a, auto& b) { return lt(a, b); }, [](double a, double b) { return double(a < b); }, -2, 3, -2, 3, true},
      {"le", [](auto& a, auto& b) { return le(a, b); }, [](double a, double b) { return double(a <= b); }, -2, 3, -2, 3, true},
      {"gt", [](auto& a, auto& b) { return gt(a, b); }, [](double a, double b) { return double(a > b); }, -2, 3, -2, 3, true},
      {"ge", [](auto& a, auto& b) { return ge(a, b); }, [](double a, double b) { return double(a >= b); }, -2, 3, -2, 3, true},
      {"relu_backward", [](auto& g, auto& x) { return relu_backward(g, x); }, [](double g, double x) { return x > 0 ? g : 0; }, -3, 3, -3, 3, false},
      {"softplus_backward", [](auto& g, auto& x) { return softplus_backward(g, x); }, [](double g, double x) { return g / (1 + std::exp(-x)); }, -3, 3, -6, 6, false},
      {"gelu_backward", [](auto& g, auto& x) { return gelu_backward(g, x, GeluApprox::none); },
       [](double g, double x) { return g * (0.5 * (1 + std::erf(x / std::sqrt(2.0))) + x * std::exp(-x * x / 2) / std::sqrt(2 * M_PI)); },
       -3, 3, -4, 4, false},
      {"gelu_tanh_backward", [](auto& g, auto& x) { return gelu_backward(g, x, GeluApprox::tanh); },
       [](double g, double x) {
         const double k = std::sqrt(2 / M_PI), t = std::tanh(k * (x + 0.044715 * x * x * x));
         return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x));
       },
       -3, 3, -4, 4, false},
  };
}

const std::vector<std::pair<Dims, Dims>> kBroadcastPairs = {
    {{3, 4}, {3, 4}}, {{3, 4}, {4}},       {{3, 4}, {3, 1}},       {{1, 4}, {3, 1}},   {{2, 1, 5}, {3, 1}},
    {{}, {2, 3}},     {{5, 1, 1}, {1, 4, 3}}, {{17}, {17}},         {{130, 33}, {33}},  {{7}, {}},
};

Tensor draw(const Dims& shape, DType dtype, Generator& gen, double lo, double hi, bool integer_values) {
  Tensor t = random_tensor(shape, dtype, gen, lo, hi);
  if (integer_values) t = from_vector(randint(static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi), shape, gen).to_vector<double>(), shape, dtype);
  return t;
}

TEST(Elementwise, BinaryOpsBroadcastAndMatchReference) {
  Generator gen(2);
  for (const auto& c : binary_cases())
    for (DType dtype : {kFloat32, kFloat64})
      for (const auto& [sa, sb] : kBroadcastPairs)
        for (int layout = 0; layout < 3; ++layout) {
          const Tensor a0 = draw(sa, dtype, gen, c.lo_a, c.hi_a, c.integer_values);
          const Tensor b0 = draw(sb, dtype, gen, c.lo_b, c.hi_b, c.integer_values);
          const Tensor a = layout == 0 ? a0 : strided_copy(a0, layout);
          const Tensor b = layout == 0 ? b0 : strided_copy(b0, layout + 1);
          const Tensor y = c.op(a, b);
          const Dims out_shape = broadcast_shapes(sa, sb, "test");
          ASSERT_EQ(y.shape(), out_shape) << c.name;
          const auto av = a0.to_vector<double>(), bv = b0.to_vector<double>();
          std::vector<double> expected;
          for_each_index(out_shape, [&](const std::vector<std::int64_t>& idx) {
            expected.push_back(c.ref(av[broadcast_position(sa, idx)], bv[broadcast_position(sb, idx)]));
          });
          EXPECT_TRUE(all_near(y, expected, testing::tolerance(dtype) * 5, testing::tolerance(dtype)))
              << c.name << " " << dtype << " " << sa << " with " << sb << " layout " << layout;
        }
}

TEST(Elementwise, WhereSelectsWithBroadcasting) {
  Generator gen(3);
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    const Tensor cond = randint(0, 2, {3, 1}, gen);
    const Tensor a = random_tensor({3, 4}, dtype, gen, -5, 5);
    const Tensor b = random_tensor({4}, dtype, gen, -5, 5);
    const Tensor y = where(cond, a, strided_copy(b, 0));
    std::vector<double> expected;
    const auto cv = cond.to_vector<double>(), av = a.to_vector<double>(), bv = b.to_vector<double>();
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) expected.push_back(cv[i] != 0 ? av[i * 4 + j] : bv[j]);
    EXPECT_TRUE(all_near(y, expected, 0, 0)) << dtype;
  }
}

TEST(Elementwise, Int64Arithmetic) {
  const Tensor a = from_vector(std::vector<std::int64_t>{-3, 0, 5, 7}, {4});
  const Tensor b = from_vector(std::vector<std::int64_t>{2, 0, -1, 7}, {4});
  EXPECT_EQ((a + b).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-1, 0, 4, 14}));
  EXPECT_EQ((a - b).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-5, 0, 6, 0}));
  EXPECT_EQ((a * b).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-6, 0, -5, 49}));
  EXPECT_EQ(maximum(a, b).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 0, 5, 7}));
  EXPECT_EQ(minimum(a, b).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-3, 0, -1, 7}));
  EXPECT_EQ(abs(a).to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 0, 5, 7}));
  EXPECT_EQ(eq(a, b).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 0, 1}));
  EXPECT_EQ(lt(a, b).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 0, 0}));
  EXPECT_EQ(clamp(a, -1, 6).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-1, 0, 5, 6}));
  EXPECT_EQ(relu(a).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0, 5, 7}));
}

TEST(Elementwise, InPlaceFormsMatchOutOfPlace) {
  Generator gen(4);
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor a = random_tensor({6, 5}, dtype, gen), b = random_tensor({5}, dtype, gen, 0.5, 2);
    auto fresh = [&] { return strided_copy(a, 1); };  // in-place writes through a strided view
    Tensor x = fresh();
    add_(x, b);
    EXPECT_TRUE(testing::identical(x, a + b));
    x = fresh();
    sub_(x, b);
    EXPECT_TRUE(testing::identical(x, a - b));
    x = fresh();
    mul_(x, b);
    EXPECT_TRUE(testing::identical(x, a * b));
    x = fresh();
    div_(x, b);
    EXPECT_TRUE(testing::identical(x, a / b));
    x = fresh();
    add_(x, b, -0.25);
    EXPECT_TRUE(allclose(x, a + b * -0.25, 1e-6, 1e-7));
    x = fresh();
    add_(x, 2.0);
    EXPECT_TRUE(testing::identical(x, a + 2.0));
    x = fresh();
    mul_(x, 3.0);
    EXPECT_TRUE(testing::identical(x, a * 3.0));
    x = fresh();
    clamp_(x, -1, 1);
    EXPECT_TRUE(testing::identical(x, clamp(a, -1, 1)));
  }
}

TEST(Elementwise, OutputFormsMatchFreshResults) {
  Generator gen(5);
  using Unary = std::pair<Tensor (*)(const Tensor&), void (*)(const Tensor&, Tensor&)>;
  using Binary = std::pair<Tensor (*)(const Tensor&, const Tensor&), void (*)(const Tensor&, const Tensor&, Tensor&)>;
  const std::vector<Unary> unaries = {{neg, neg},   {abs, abs},         {square, square}, {exp, exp},
                                      {log, log},   {sqrt, sqrt},       {tanh, tanh},     {sigmoid, sigmoid},
                                      {relu, relu}, {softplus, softplus}};
  const std::vector<Binary> binaries = {{add, add}, {sub, sub}, {mul, mul}, {div, div}, {maximum, maximum},
                                        {minimum, minimum}};
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor a = random_tensor({6, 35}, dtype, gen, 0.1, 3), b = random_tensor({35}, dtype, gen, 0.5, 2);
    for (const auto& [fresh, into] : unaries) {
      Tensor out = strided_copy(zeros_like(a), 1);  // a strided destination
      into(a, out);
      EXPECT_TRUE(testing::identical(out, fresh(a)));
      Tensor same = a.clone();  // out is the input itself
      into(same, same);
      EXPECT_TRUE(testing::identical(same, fresh(a)));
    }
    for (const auto& [fresh, into] : binaries) {
      Tensor out = zeros_like(a);
      into(a, b, out);  // b broadcast along the rows
      EXPECT_TRUE(testing::identical(out, fresh(a, b)));
      Tensor same = a.clone();
      into(same, b, same);
      EXPECT_TRUE(testing::identical(same, fresh(a, b)));
    }
    for (GeluApprox approx : {GeluApprox::none, GeluApprox::tanh}) {
      Tensor out = zeros_like(a);
      gelu(a, out, approx);
      EXPECT_TRUE(testing::identical(out, gelu(a, approx)));
    }
  }
}

TEST(Elementwise, OutputFormsRejectWrongOrOverlappingOutputs) {
  const Tensor a = ones({3, 4}), b = ones({4});
  Tensor small = zeros({4}), wide = zeros({3, 4}, kFloat64), big = zeros({3, 8});
  EXPECT_EQ(testing::error_of([&] { add(a, b, small); }),
            "add: cannot write a float32 result of shape (3,4) into a float32 tensor of shape (4)");
  EXPECT_EQ(testing::error_of([&] { exp(a, wide); }),
            "exp: cannot write a float32 result of shape (3,4) into a float64 tensor of shape (3,4)");
  // the left half of `big` as input and its right half as output: same storage, not the same view
  Tensor left = big.narrow(1, 0, 4), right = big.narrow(1, 4, 4);
  EXPECT_EQ(testing::error_of([&] { relu(left, right); }),
            "relu: the output (shape (3,4)) shares memory with an input of shape (3,4) without being that input");
  Tensor undefined;
  EXPECT_EQ(testing::error_of([&] { mul(a, a, undefined); }), "mul: undefined output tensor");
}

TEST(Elementwise, GeluWithDerivativeMatchesTheSeparateKernels) {
  Generator gen(9);
  for (DType dtype : {kFloat32, kFloat64})
    for (GeluApprox approx : {GeluApprox::none, GeluApprox::tanh}) {
      const Tensor x = random_tensor({37}, dtype, gen, -5, 5);
      Tensor value, derivative;
      gelu_with_derivative(strided_copy(x, 0), approx, value, derivative);
      // float GELU computes erf without an exponential, the derivative kernel with one:
      // both are within 1e-6 of the truth (see FloatGeluIsAccurateEverywhere)
      EXPECT_TRUE(allclose(value, gelu(x, approx), 1e-6, dtype == kFloat32 ? 2e-6 : 1e-12));
      EXPECT_TRUE(allclose(derivative, gelu_backward(ones_like(x), x, approx), 1e-6, 1e-7));
    }
}

// The float erf-form GELU against the double formula on a dense grid, tails
// included: absolute error within 1e-6 for negative x (for x < -3 the result is a
// difference of nearly equal numbers, 1 + erf(x/√2), so only the absolute error is
// small there), relative error within 1e-6 from x = -1 up (about 8 float spacings;
// builds without FMA instructions round twice as often).
TEST(Elementwise, FloatGeluIsAccurateEverywhere) {
  const std::int64_t n = 200001;
  const Tensor x = arange(n, kFloat32) * (20.0 / (n - 1)) - 10.0;
  const auto xs = x.to_vector<double>(), ys = gelu(x).to_vector<double>();
  double worst_abs = 0, worst_rel = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double ref = gelu_ref(xs[i]);
    if (xs[i] < 0) worst_abs = std::max(worst_abs, std::abs(ys[i] - ref));
    if (xs[i] >= -1 && ref != 0) worst_rel = std::max(worst_rel, std::abs(ys[i] - ref) / std::abs(ref));
  }
  EXPECT_LT(worst_abs, 1e-6) << "largest absolute error for x < 0";
  EXPECT_LT(worst_rel, 1e-6) << "largest relative error for x >= -1";
  EXPECT_EQ(gelu(tensor({-6, -50, 50, INFINITY}, kFloat32)).to_vector<double>(),
            (std::vector<double>{0, 0, 50, INFINITY}));
}

TEST(Elementwise, SpecialValues) {
  const Tensor x = tensor({-INFINITY, -100, -1, 0, 1, 100, INFINITY}, kFloat32);
  EXPECT_TRUE(all_finite(sigmoid(tensor({-100, 100}))));
  const auto sp = softplus(x).to_vector<double>();
  EXPECT_EQ(sp[0], 0);
  EXPECT_NEAR(sp[1], 0, 1e-30);
  EXPECT_NEAR(sp[5], 100, 1e-4);
  EXPECT_TRUE(std::isinf(sp[6]));
  EXPECT_TRUE(std::isnan(log(tensor({-1})).item()));
  EXPECT_EQ(pow(tensor({-2}), 3.0).item(), -8);
  EXPECT_EQ(relu(tensor({-0.0, 2})).to_vector<double>()[1], 2);
}

TEST(Elementwise, ErrorsNameTheOpAndShapes) {
  const Tensor a = zeros({3, 4}), b = zeros({5}), d = zeros({3, 4}, kFloat64);
  EXPECT_EQ(testing::error_of([&] { add(a, b); }),
            "add: shapes (3,4) and (5) cannot be broadcast together (dimension 1: 4 vs 5)");
  EXPECT_EQ(testing::error_of([&] { mul(a, d); }), "mul: dtypes float32 and float64 differ (shapes (3,4) and (3,4))");
  EXPECT_EQ(testing::error_of([&] { exp(zeros({2}, kInt64)); }), "exp: expected a floating-point tensor, got int64");
  EXPECT_NE(testing::error_of([&] {
              Tensor small = zeros({4});
              add_(small, a);
            }).find("add_: cannot write a result of shape (3,4) into a tensor of shape (4)"),
            std::string::npos);
  EXPECT_EQ(testing::error_of([&] { clamp(a, 1, 0); }), "clamp: lower bound 1 exceeds upper bound 0");
  EXPECT_NE(testing::error_of([&] { add(Tensor(), a); }), "");
}

TEST(Elementwise, AllcloseSemantics) {
  EXPECT_TRUE(allclose(tensor({1, 2}), tensor({1, 2.000001})));
  EXPECT_FALSE(allclose(tensor({1, 2}), tensor({1, 2.1})));
  EXPECT_FALSE(allclose(tensor({1, 2}), tensor({1, 2, 3})));
  EXPECT_FALSE(allclose(tensor({NAN}), tensor({NAN})));
  EXPECT_TRUE(allclose(tensor({NAN}), tensor({NAN}), 1e-5, 1e-8, true));
  EXPECT_TRUE(allclose(tensor({INFINITY}), tensor({INFINITY})));
}

}  // namespace
}  // namespace lambdahat
