// Data sets, the loader and the generators.
#include <map>
#include <set>

#include "support/reference.hpp"

namespace lambdahat {
namespace {

TEST(Data, LoaderCoversEachEpochAndIsAPureFunctionOfTheSeed) {
  const Dataset data(arange(0, 10, 1, kFloat32).reshape({10, 1}), arange(10));
  LoaderOptions o;
  o.batch_size = 4;
  o.seed = 7;
  DataLoader a(data, o), b(data, o);
  EXPECT_EQ(a.batches_per_epoch(), 3);
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 3; ++i) {
    const Batch x = a.next(), y = b.next();
    EXPECT_TRUE(testing::identical(x.targets, y.targets));
    EXPECT_TRUE(allclose(x.inputs.reshape({-1}), x.targets.to(kFloat32)));  // rows stay paired
    for (auto t : x.targets.to_vector<std::int64_t>()) seen.push_back(t);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, arange(10).to_vector<std::int64_t>());
  // the next epoch is reshuffled, and seeking reproduces it
  const Batch next = a.next();
  EXPECT_EQ(a.epoch(), 1);
  DataLoader c(data, o);
  c.seek(1);
  EXPECT_TRUE(testing::identical(c.next().targets, next.targets));
  // drop_last skips the short batch; no shuffling keeps the order
  o.drop_last = true;
  o.shuffle = false;
  DataLoader d(data, o);
  EXPECT_EQ(d.batches_per_epoch(), 2);
  d.next();
  d.next();
  EXPECT_EQ(d.next().targets.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3}));
}

TEST(Data, ModularArithmeticSplit) {
  const ModularData d = modular_arithmetic(53, 0.4, 3);
  EXPECT_EQ(d.train.size(), 1123);  // floor(0.4 · 2809), as in the seed study
  EXPECT_EQ(d.validation.size(), 2809 - 1123);
  const auto x = d.train.inputs().to_vector<std::int64_t>();
  const auto y = d.train.targets().to_vector<std::int64_t>();
  std::set<std::pair<std::int64_t, std::int64_t>> pairs;
  for (std::size_t i = 0; i < y.size(); ++i) {
    EXPECT_EQ(y[i], (x[2 * i] + x[2 * i + 1]) % 53);
    pairs.insert({x[2 * i], x[2 * i + 1]});
  }
  const auto xv = d.validation.inputs().to_vector<std::int64_t>();
  for (std::size_t i = 0; i < xv.size() / 2; ++i) EXPECT_FALSE(pairs.count({xv[2 * i], xv[2 * i + 1]}));
  EXPECT_TRUE(testing::identical(modular_arithmetic(53, 0.4, 3).train.inputs(), d.train.inputs()));
  EXPECT_FALSE(testing::identical(modular_arithmetic(53, 0.4, 4).train.inputs(), d.train.inputs()));
  // label noise changes about that fraction of training labels
  const ModularData noisy = modular_arithmetic(53, 0.4, 3, '+', 0.5);
  const auto yn = noisy.train.targets().to_vector<std::int64_t>();
  int changed = 0;
  for (std::size_t i = 0; i < y.size(); ++i) changed += yn[i] != y[i];
  EXPECT_NEAR(changed / double(y.size()), 0.5 * 52 / 53, 0.06);
  const ModularData times = modular_arithmetic(7, 0.5, 1, '*');
  const auto xt = times.train.inputs().to_vector<std::int64_t>();
  EXPECT_EQ(times.train.targets().to_vector<std::int64_t>()[0], xt[0] * xt[1] % 7);
}

TEST(Data, SparseFeatures) {
  SparseFeatureOptions o;
  o.n = 1000;
  o.features = 8;
  o.active = 1;
  const Dataset d = sparse_features(o, 5);
  const auto x = d.inputs().to_vector<float>();
  std::vector<int> per_feature(8, 0);
  for (int i = 0; i < 1000; ++i) {
    int active = 0;
    for (int j = 0; j < 8; ++j)
      if (x[i * 8 + j] != 0) {
        EXPECT_EQ(x[i * 8 + j], 1.0f);
        ++active;
        ++per_feature[j];
      }
    EXPECT_EQ(active, 1);
  }
  for (int c : per_feature) EXPECT_NEAR(c, 125, 6 * std::sqrt(125.0));
  EXPECT_TRUE(testing::identical(d.inputs(), d.targets()));
  o.active = 0;
  o.probability = 0.25;
  o.binary = false;
  const auto y = sparse_features(o, 6).inputs().to_vector<float>();
  int nonzero = 0;
  for (float v : y) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 1);
    nonzero += v != 0;
  }
  EXPECT_NEAR(nonzero / 8000.0, 0.25, 0.03);
}

TEST(Data, TeacherStudentAndLowRank) {
  const TeacherStudent ts = teacher_student(500, 6, 4, 2, 0.0, 9, true, kFloat64);
  EXPECT_TRUE(allclose(ts.data.targets(), matmul(ts.data.inputs(), ts.teacher.t()), 1e-12, 1e-12));
  // rank of the teacher: the 3×3 minors vanish, some 2×2 minor does not
  const Tensor T = ts.teacher;
  auto det3 = [&](int r0, int r1, int r2, int c0, int c1, int c2) {
    auto e = [&](int r, int c) { return T.at({r, c}); };
    return e(r0, c0) * (e(r1, c1) * e(r2, c2) - e(r1, c2) * e(r2, c1)) -
           e(r0, c1) * (e(r1, c0) * e(r2, c2) - e(r1, c2) * e(r2, c0)) +
           e(r0, c2) * (e(r1, c0) * e(r2, c1) - e(r1, c1) * e(r2, c0));
  };
  EXPECT_NEAR(det3(0, 1, 2, 0, 1, 2), 0, 1e-9);
  EXPECT_NEAR(det3(1, 2, 3, 2, 4, 5), 0, 1e-9);
  EXPECT_GT(std::abs(T.at({0, 0}) * T.at({1, 1}) - T.at({0, 1}) * T.at({1, 0})), 1e-6);
  const TeacherStudent noisy = teacher_student(20000, 3, 2, 1, 0.1, 9, false, kFloat64);
  const Tensor resid = sub(noisy.data.targets(), matmul(noisy.data.inputs(), noisy.teacher.t()));
  EXPECT_NEAR(var(resid).item(), 0.01, 0.001);
  EXPECT_LE(max(abs(noisy.data.inputs())).item(), 1.0);
  EXPECT_EQ(testing::error_of([] { teacher_student(10, 3, 2, 3, 0, 1); }),
            "teacher_student: rank 3 must be in [0, min(3, 2)]");

  const Dataset lr = low_rank_data(50, 6, 2, 10, kFloat64);
  // projecting out the span of the first two points leaves nothing of the others
  const Tensor x = lr.inputs();
  const Tensor basis = x.narrow(0, 0, 2);
  const Tensor gram = matmul(basis, basis.t());
  const double det = gram.at({0, 0}) * gram.at({1, 1}) - gram.at({0, 1}) * gram.at({1, 0});
  const Tensor inv = mul(tensor({{gram.at({1, 1}), -gram.at({0, 1})}, {-gram.at({1, 0}), gram.at({0, 0})}}, kFloat64),
                         1 / det);
  const Tensor projection = matmul(matmul(matmul(x, basis.t()), inv), basis);
  EXPECT_LT(max(abs(sub(x, projection))).item(), 1e-9);

  const Dataset poly = polynomial_data(20000, 11, 2.0, 0.25, kFloat64);
  EXPECT_NEAR(var(poly.inputs()).item(), 4, 0.15);
  EXPECT_NEAR(var(poly.targets()).item(), 0.0625, 0.003);
}

}  // namespace
}  // namespace lambdahat
