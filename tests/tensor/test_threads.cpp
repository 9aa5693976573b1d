// Results are bit-for-bit identical with 1 and 2 threads, for tensors large enough
// to be split across threads.
#include "support/reference.hpp"

namespace lambdahat {
namespace {

template <class F>
void expect_same_with_1_and_2_threads(F&& compute, const char* what) {
  const int saved = num_threads();
  set_num_threads(1);
  const Tensor one = compute();
  set_num_threads(2);
  const Tensor two = compute();
  set_num_threads(saved);
  EXPECT_TRUE(testing::identical(one, two)) << what;
}

TEST(Threads, ResultsDoNotDependOnTheThreadCount) {
  Generator gen(13);
  const Tensor a = uniform({700, 900}, gen, -1, 1);
  const Tensor b = uniform({900, 500}, gen, -1, 1);
  const Tensor v = uniform({1 << 22}, gen, -1, 1);
  expect_same_with_1_and_2_threads([&] { return matmul(a, b); }, "matmul");
  expect_same_with_1_and_2_threads([&] { return matmul(a.t().contiguous().t(), b); }, "matmul transposed");
  expect_same_with_1_and_2_threads([&] { return matmul(b.t(), a.t()); }, "matmul wide");
  expect_same_with_1_and_2_threads([&] { return exp(v) + v * v; }, "elementwise");
  expect_same_with_1_and_2_threads([&] { return sum(v); }, "sum all");
  expect_same_with_1_and_2_threads([&] { return sum(a, {0}); }, "column sum");
  expect_same_with_1_and_2_threads([&] { return logsumexp(a, {1}); }, "logsumexp rows");
  expect_same_with_1_and_2_threads([&] { return var(a); }, "variance");
  expect_same_with_1_and_2_threads([&] {
    Generator g(99, 3);
    return normal({1 << 21}, g);
  }, "normal fill");
  expect_same_with_1_and_2_threads([&] { return a.t().contiguous(); }, "transpose copy");
  // one small operand, the other streamed: dot products over a long K (in chunks),
  // a tall A with a small B, a small result over a long K
  const Tensor g = uniform({30, 100000}, gen, -1, 1);
  const Tensor h = uniform({30, 100000}, gen, -1, 1);
  const Tensor x = uniform({100000, 10}, gen, -1, 1);
  const Tensor y = uniform({100000, 10}, gen, -1, 1);
  const Tensor w = uniform({10, 10}, gen, -1, 1);
  expect_same_with_1_and_2_threads([&] { return matmul(g, h.t()); }, "long dot products");
  expect_same_with_1_and_2_threads([&] { return matmul(x, w.t()); }, "tall A, small B");
  expect_same_with_1_and_2_threads([&] { return matmul(x.t(), y); }, "small result, long K");
  // 24 rows: the narrow kernel for the whole, whose 12-row halves the pair kernel
  // would take on its own (threads must keep the whole product's kernel)
  const Tensor x24 = uniform({100000, 24}, gen, -1, 1);
  expect_same_with_1_and_2_threads([&] { return matmul(x24.t(), y.narrow(1, 0, 8)); }, "weight gradient 24×8");
}

}  // namespace
}  // namespace lambdahat
