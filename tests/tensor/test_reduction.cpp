// Reductions against naive double-precision loops, over every subset of dimensions.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

using testing::for_each_index;

// Naive reduction over `dims` of a tensor with values `v` and shape `shape`:
// collects the reduced elements of each output and applies `f` to them.
std::vector<double> naive_reduce(const std::vector<double>& v, const Dims& shape, const Dims& dims,
                                 const std::function<double(const std::vector<double>&)>& f) {
  std::vector<bool> reduced(static_cast<std::size_t>(shape.size()), dims.empty());
  for (auto d : dims) reduced[static_cast<std::size_t>(normalize_dim(d, shape.size(), "test"))] = true;
  Dims kept;
  for (int d = 0; d < shape.size(); ++d)
    if (!reduced[d]) kept.push_back(shape[d]);
  std::vector<std::vector<double>> groups(static_cast<std::size_t>(product(kept)));
  std::int64_t flat = 0;
  for_each_index(shape, [&](const std::vector<std::int64_t>& idx) {
    std::int64_t out = 0;
    for (int d = 0; d < shape.size(); ++d)
      if (!reduced[d]) out = out * shape[d] + idx[d];
    groups[out].push_back(v[flat++]);
  });
  std::vector<double> result;
  for (auto& g : groups) result.push_back(f(g));
  return result;
}

double ref_sum(const std::vector<double>& g) {
  double s = 0;
  for (double x : g) s += x;
  return s;
}
double ref_mean(const std::vector<double>& g) { return ref_sum(g) / g.size(); }
double ref_max(const std::vector<double>& g) { return *std::max_element(g.begin(), g.end()); }
double ref_min(const std::vector<double>& g) { return *std::min_element(g.begin(), g.end()); }
double ref_lse(const std::vector<double>& g) {
  const double m = ref_max(g);
  double s = 0;
  for (double x : g) s += std::exp(x - m);
  return m + std::log(s);
}
double ref_var(const std::vector<double>& g) {
  const double m = ref_mean(g);
  double s = 0;
  for (double x : g) s += (x - m) * (x - m);
  return s / (g.size() - 1);
}

// All subsets of the dimensions of a rank-r tensor, as Dims (the empty set means all).
std::vector<Dims> dim_subsets(int rank) {
  std::vector<Dims> out;
  for (int mask = 1; mask < (1 << rank); ++mask) {
    Dims d;
    for (int i = 0; i < rank; ++i)
      if (mask & (1 << i)) d.push_back(i);
    out.push_back(d);
  }
  out.push_back({});
  return out;
}

TEST(Reduction, MatchNaiveOverAllDimensionSubsets) {
  Generator gen(5);
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&, const Dims&, bool)> op;
    std::function<double(const std::vector<double>&)> ref;
  };
  const std::vector<Case> cases = {
      {"sum", [](auto& t, auto& d, bool k) { return sum(t, d, k); }, ref_sum},
      {"mean", [](auto& t, auto& d, bool k) { return mean(t, d, k); }, ref_mean},
      {"max", [](auto& t, auto& d, bool k) { return max(t, d, k); }, ref_max},
      {"min", [](auto& t, auto& d, bool k) { return min(t, d, k); }, ref_min},
      {"logsumexp", [](auto& t, auto& d, bool k) { return logsumexp(t, d, k); }, ref_lse},
      {"var", [](auto& t, auto& d, bool k) { return var(t, d, 1, k); }, ref_var},
  };
  const std::vector<Dims> shapes = {{7}, {4, 5}, {3, 1, 6}, {2, 3, 4, 5}, {130, 33}, {3, 300}, {20, 17}, {129, 64}};
  for (const auto& c : cases)
    for (DType dtype : {kFloat32, kFloat64})
      for (const auto& shape : shapes)
        for (const auto& dims : dim_subsets(shape.size()))
          for (int layout = 0; layout < 2; ++layout)
            for (bool keepdim : {false, true}) {
              const Tensor x0 = testing::random_tensor(shape, dtype, gen);
              const Tensor x = layout ? testing::strided_copy(x0, 1) : x0;
              const Tensor y = c.op(x, dims, keepdim);
              Dims expected_shape;
              for (int d = 0; d < shape.size(); ++d) {
                bool r = dims.empty();
                for (auto dd : dims) r = r || dd == d;
                if (!r) expected_shape.push_back(shape[d]);
                else if (keepdim) expected_shape.push_back(1);
              }
              ASSERT_EQ(y.shape(), expected_shape) << c.name << " " << shape << " over " << dims;
              EXPECT_TRUE(testing::all_near(y, naive_reduce(x0.to_vector<double>(), shape, dims, c.ref),
                                            testing::tolerance(dtype) * 10, testing::tolerance(dtype) * 10))
                  << c.name << " " << dtype << " " << shape << " over " << dims << " layout " << layout;
            }
}

TEST(Reduction, ArgmaxAndArgminPickTheFirstExtreme) {
  const Tensor t = tensor({{1, 5, 5, 0}, {7, 2, 7, -1}, {0, 0, 0, 0}});
  EXPECT_EQ(argmax(t, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 0}));
  EXPECT_EQ(argmin(t, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 3, 0}));
  EXPECT_EQ(argmax(t, 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 1, 0}));
  EXPECT_EQ(argmax(t, 1, true).shape(), (Dims{3, 1}));
  EXPECT_EQ(argmax(t.t(), 0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 0}));
  EXPECT_EQ(argmax(tensor({1, NAN, 3}), 0).item(), 1);
}

TEST(Reduction, Float32SumsStayAccurateOnLongInputs) {
  // 2^24 + 2 ones: naive float accumulation gets stuck at 2^24.
  const std::int64_t n = (1 << 24) + 2;
  EXPECT_EQ(sum(ones({n})).item(), static_cast<double>(n));
  // values with a large common offset: the pairwise sum keeps the error near log(n)·eps
  Generator gen(6);
  const Tensor x = uniform({1 << 20}, gen, 1000, 1001);
  const double exact = sum(x.to(kFloat64)).item();
  EXPECT_NEAR(sum(x).item(), exact, exact * 2e-7);
  EXPECT_NEAR(mean(x).item(), exact / (1 << 20), 1e-3);
  // column sums (reduce the leading dimension) are pairwise too
  const Tensor rows = ones({100000, 3});
  EXPECT_EQ(sum(rows, {0}).to_vector<float>(), (std::vector<float>{100000, 100000, 100000}));
}

TEST(Reduction, SpecialValues) {
  EXPECT_TRUE(std::isnan(max(tensor({1, NAN, 3})).item()));
  // a NaN inside a full vector, not only in the tail
  std::vector<float> many(40, 1.0f);
  many[5] = NAN;
  EXPECT_TRUE(std::isnan(max(from_vector(many)).item()));
  EXPECT_TRUE(std::isnan(min(from_vector(many)).item()));
  EXPECT_TRUE(std::isnan(min(tensor({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, NAN})).item()));
  EXPECT_EQ(logsumexp(tensor({-INFINITY, -INFINITY})).item(), -INFINITY);
  EXPECT_NEAR(logsumexp(tensor({1000, 1000}, kFloat64)).item(), 1000 + std::log(2.0), 1e-9);
  EXPECT_EQ(sum(zeros({0, 3}), {0}).to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_TRUE(std::isnan(var(tensor({1})).item()));
  EXPECT_NEAR(var(tensor({1, 2, 3, 4}), {}, 0).item(), 1.25, 1e-6);
  EXPECT_EQ(sum(from_vector(std::vector<std::int64_t>{1, 2, 3})).item(), 6);
}

TEST(Reduction, ErrorsNameTheOp) {
  const Tensor t = zeros({2, 3});
  EXPECT_EQ(testing::error_of([&] { sum(t, {2}); }), "sum: dimension 2 is out of range for a tensor of rank 2");
  EXPECT_EQ(testing::error_of([&] { sum(t, {1, -1}); }), "sum: dimension -1 listed twice in (1,-1)");
  EXPECT_EQ(testing::error_of([&] { max(zeros({0})); }), "max: cannot reduce an empty dimension of shape (0)");
  EXPECT_EQ(testing::error_of([&] { mean(zeros({2}, kInt64)); }), "mean: expected a floating-point tensor, got int64");
}

}  // namespace
}  // namespace lambdahat

namespace lambdahat {
namespace {

// A distribution's log-sum-exp in double, as max + log(total) with total = Σ e^{v − max},
// and whether any entry is NaN.
struct ReferenceLogSum {
  double max = 0, total = 0;
  bool nan = false;
};
ReferenceLogSum reference_log_sum(const std::vector<double>& v) {
  ReferenceLogSum r;
  r.max = *std::max_element(v.begin(), v.end());
  for (double e : v) {
    r.nan = r.nan || std::isnan(e);
    r.total += std::exp(e - r.max);
  }
  return r;
}

TEST(Softmax, MatchesNaiveAlongEveryDimension) {
  Generator gen(21);
  for (DType dtype : {kFloat32, kFloat64})
    for (const Dims& shape : std::vector<Dims>{{7}, {3, 53}, {4, 5, 6}, {2, 200}, {130, 16}})
      for (int d = 0; d < shape.size(); ++d) {
        const Tensor x = testing::random_tensor(shape, dtype, gen, -5, 5);
        const SoftmaxResult s = softmax_and_logsumexp(x, d);
        const Tensor lse = logsumexp(x, {d}, true);
        EXPECT_TRUE(allclose(s.logsumexp, lse, 1e-5, 1e-5)) << shape << " dim " << d;
        EXPECT_TRUE(allclose(s.probs, exp(sub(x, lse)), 1e-5, 1e-6)) << shape << " dim " << d;
        EXPECT_TRUE(allclose(log_softmax(testing::strided_copy(x, 1), d), sub(x, lse), 1e-5, 1e-5));
      }
  // stable for huge logits, and NaN propagates
  EXPECT_TRUE(allclose(softmax(tensor({1000, 1000})), tensor({0.5, 0.5})));
  EXPECT_TRUE(std::isnan(softmax(tensor({1, NAN, 2})).to_vector<double>()[0]));
}

// Short rows go a batch of 32 at a time, their log-sums a vector of rows at a time:
// rows with NaN, +inf or only −inf among ordinary ones, in every place of two
// batches, keep the log-sum of their own row.
TEST(Softmax, SpecialRowsAmongShortRowsKeepTheirOwnLogSums) {
  Generator gen(22);
  for (DType dtype : {kFloat32, kFloat64}) {
    const std::int64_t rows = 45, n = 53;
    Tensor x = testing::random_tensor({rows, n}, dtype, gen, -5, 5);
    const double inf = std::numeric_limits<double>::infinity();
    for (std::int64_t r : {0, 15, 16, 31, 33, 44}) {
      Tensor row = x.select(0, r);
      if (r % 3 == 0) row.fill_(-inf);
      else row.narrow(0, r % n, 1).fill_(r % 3 == 1 ? NAN : inf);
    }
    const SoftmaxResult s = softmax_and_logsumexp(x, 1);
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto [m, total, nan] = reference_log_sum(x.select(0, r).to_vector<double>());
      const double got = s.logsumexp.at({r, 0});
      if (nan) EXPECT_TRUE(std::isnan(got)) << r;
      else if (!std::isfinite(m)) EXPECT_EQ(got, m) << r;
      else EXPECT_NEAR(got, m + std::log(total), 1e-5) << r;
      const bool special = nan || !std::isfinite(m);
      EXPECT_EQ(std::isnan(s.probs.at({r, 0})), special) << r;
    }
  }
}

// Softmax across memory rows (class-major logits (C, B) seen as (B, C), or dim 0 of
// a row-major matrix) runs down the columns, 4, 2, 1 or a part of a vector of them
// at a time: against a double reference per distribution, with NaN, +inf and
// all −inf columns in every kind of block, and the probabilities in the input's layout.
TEST(Softmax, ClassMajorMatricesGoDownTheirColumns) {
  Generator gen(23);
  const double inf = std::numeric_limits<double>::infinity();
  for (DType dtype : {kFloat32, kFloat64})
    for (const auto& [classes, cols] : std::vector<std::pair<std::int64_t, std::int64_t>>{
             {53, 128}, {53, 37}, {5, 16}, {3, 113}, {2, 3}, {300, 20}}) {
      Tensor x = testing::random_tensor({classes, cols}, dtype, gen, -8, 8);
      for (std::int64_t j : {0, 15, 16, 47, 63, 64, 100, 112}) {
        if (j >= cols) continue;
        Tensor column = x.select(1, j);
        if (j % 3 == 0) column.fill_(-inf);
        else column.narrow(0, (j * 7) % classes, 1).fill_(j % 3 == 1 ? NAN : inf);
      }
      for (int d : {0, 1}) {
        // d = 1: the (B, C) view of class-major logits; d = 0: x itself, over dim 0
        const Tensor in = d == 1 ? x.t() : x;
        const SoftmaxResult s = softmax_and_logsumexp(in, d);
        ASSERT_EQ(s.probs.shape(), in.shape());
        EXPECT_EQ(s.probs.stride(0), in.stride(0)) << "probabilities keep the input's layout";
        EXPECT_EQ(s.probs.stride(1), in.stride(1));
        for (std::int64_t j = 0; j < cols; ++j) {
          const std::vector<double> v = x.select(1, j).to_vector<double>();
          const auto [m, total, nan] = reference_log_sum(v);
          const bool special = nan || !std::isfinite(m);
          const double lse = d == 1 ? s.logsumexp.at({j, 0}) : s.logsumexp.at({0, j});
          if (nan) EXPECT_TRUE(std::isnan(lse)) << classes << "x" << cols << " column " << j;
          else if (special) EXPECT_EQ(lse, m) << classes << "x" << cols << " column " << j;
          else EXPECT_NEAR(lse, m + std::log(total), 2e-6 * std::max(1.0, std::abs(m))) << j;
          for (std::int64_t c = 0; c < classes; ++c) {
            const double p = d == 1 ? s.probs.at({j, c}) : s.probs.at({c, j});
            if (special) EXPECT_TRUE(std::isnan(p)) << classes << "x" << cols << " column " << j;
            else EXPECT_NEAR(p, std::exp(v[c] - m) / total, 1e-6) << classes << "x" << cols << " column " << j;
          }
        }
      }
    }
}

}  // namespace
}  // namespace lambdahat

namespace lambdahat {
namespace {

// Narrow column sums of contiguous rows whose width divides a vector (1, 2, 4, 8
// floats) are summed as whole vectors: accurate on long inputs with a large common
// offset, for every such width and row counts that end mid-vector.
TEST(Reduction, NarrowColumnSumsStayAccurate) {
  Generator gen(12);
  for (std::int64_t cols : {1, 2, 3, 4, 8, 10})
    for (std::int64_t rows : {2, 3, 33, 1000, 2047, 5001}) {
      const Tensor x = uniform({rows, cols}, gen, 1000, 1001);
      const std::vector<double> exact = sum(x.to(kFloat64), {0}).to_vector<double>();
      const std::vector<float> got = sum(x, {0}).to_vector<float>();
      for (std::int64_t j = 0; j < cols; ++j)
        EXPECT_NEAR(got[j], exact[j], exact[j] * 3e-7) << rows << "x" << cols << " column " << j;
    }
}

// relu_backward_and_column_sums is relu_backward and its column sums, bit for bit,
// whether it takes its one-pass route (contiguous, narrow, at most 2048 rows) or not.
TEST(Reduction, ReluBackwardAndColumnSumsMatchTheTwoOps) {
  Generator gen(13);
  for (DType dtype : {kFloat32, kFloat64})
    for (std::int64_t cols : {1, 2, 3, 8, 10, 16, 40})
      for (std::int64_t rows : {1, 2, 31, 512, 2048, 3000})
        for (bool strided : {false, true}) {
          const Tensor g = uniform({rows, cols}, gen, -1, 1, dtype);
          const Tensor x0 = uniform({rows, cols}, gen, -1, 1, dtype);
          const Tensor x = strided ? testing::strided_copy(x0, 1) : x0;
          const auto [masked, sums] = relu_backward_and_column_sums(g, x);
          const Tensor expected = relu_backward(g, x);
          EXPECT_TRUE(testing::identical(masked, expected)) << dtype << " " << rows << "x" << cols;
          EXPECT_TRUE(testing::identical(sums, sum(expected, {0}))) << dtype << " " << rows << "x" << cols;
        }
  // empty rows or columns
  const auto [no_cols, no_col_sums] = relu_backward_and_column_sums(zeros({4, 0}), zeros({4, 0}));
  EXPECT_EQ(no_cols.shape(), (Dims{4, 0}));
  EXPECT_EQ(no_col_sums.shape(), (Dims{0}));
  const auto [no_rows, zero_sums] = relu_backward_and_column_sums(zeros({0, 3}), zeros({0, 3}));
  EXPECT_EQ(no_rows.shape(), (Dims{0, 3}));
  EXPECT_EQ(zero_sums.to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(testing::error_of([] { relu_backward_and_column_sums(zeros({2, 3}), zeros({3, 2})); }),
            "relu_backward_and_column_sums: expected a 2-D gradient and input of one shape, got (2,3) and (3,2)");
}

}  // namespace
}  // namespace lambdahat

namespace lambdahat {
namespace {

// Reducing a tensor with no elements along the kept dimensions gives an empty
// result (this used to divide by zero in the loop plans); along an empty reduced
// dimension, sums are 0 and extrema are an error naming the op.
TEST(Reduction, EmptyTensors) {
  const Tensor z = zeros({4, 0});
  for (const Tensor& r : {sum(z, {0}), mean(z, {0}), max(z, {0}), min(z, {0}), logsumexp(z, {0}), var(z, {0}),
                          argmax(z, 0), sum(zeros({4, 0}, kInt64), {0})})
    EXPECT_EQ(r.shape(), (Dims{0}));
  EXPECT_EQ(sum(z, {1}).to_vector<float>(), (std::vector<float>{0, 0, 0, 0}));
  EXPECT_EQ(sum(z).item(), 0.0);
  EXPECT_EQ(testing::error_of([&] { max(z, {1}); }), "max: cannot reduce an empty dimension of shape (4,0)");
}

}  // namespace
}  // namespace lambdahat
