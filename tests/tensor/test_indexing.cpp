// Indexing ops against naive loops, and their bounds checks.
#include "support/reference.hpp"

namespace lambdahat {
namespace {

using testing::error_of;

Tensor idx(std::vector<std::int64_t> v) { return from_vector(v); }

TEST(Indexing, IndexSelectAlongEveryDimension) {
  Generator gen(11);
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    const Tensor a0 = testing::random_tensor({4, 5, 6}, dtype, gen, -9, 9);
    const Tensor a = testing::strided_copy(a0, 1);
    for (int dim = 0; dim < 3; ++dim) {
      const Tensor index = idx({2, 0, 2, 3});
      const Tensor out = index_select(a, dim, index);
      Dims expected_shape = a.shape();
      expected_shape[dim] = 4;
      ASSERT_EQ(out.shape(), expected_shape);
      testing::for_each_index(out.shape(), [&](const std::vector<std::int64_t>& i) {
        std::vector<std::int64_t> src = i;
        src[dim] = index.to_vector<std::int64_t>()[i[dim]];
        EXPECT_EQ(out.at({i[0], i[1], i[2]}), a0.at({src[0], src[1], src[2]}));
      });
    }
  }
}

// Rows of every length the gather specialises (8, 12, 16) and around them, with
// contiguous, offset and strided index tensors.
TEST(Indexing, IndexSelectRowsOfEveryLength) {
  Generator gen(12);
  const Tensor all = idx({4, 9, 0, 1, 4, 2, 7, 3, 5, 5, 8, 6});
  for (std::int64_t length : {1, 2, 3, 4, 7, 8, 9, 12, 16, 17, 40})
    for (const Tensor& index : {all, all.narrow(0, 3, 6), all.slice(0, 1, 12, 3)}) {
      const Tensor a = testing::random_tensor({10, length}, kFloat32, gen, -9, 9);
      const Tensor out = index_select(a, 0, index);
      const auto rows = index.to_vector<std::int64_t>();
      ASSERT_EQ(out.shape(), (Dims{static_cast<std::int64_t>(rows.size()), length}));
      for (std::size_t i = 0; i < rows.size(); ++i)
        for (std::int64_t j = 0; j < length; ++j)
          EXPECT_EQ(out.at({static_cast<std::int64_t>(i), j}), a.at({rows[i], j})) << length << " " << i << " " << j;
    }
  // a bad index in a strided view is found too
  EXPECT_EQ(error_of([&] { index_select(ones({3, 8}), 0, idx({0, 1, 2, 5}).slice(0, 0, 4, 3)); }),
            "index_select: index 5 is out of range for dimension 0 of size 3");
}

TEST(Indexing, IndexAddIsTheAdjointOfIndexSelect) {
  // <index_select(a, idx), g> == <a, index_add(0, idx, g)> for every a, g
  Generator gen(12);
  const Tensor a = testing::random_tensor({5, 3}, kFloat64, gen);
  const Tensor index = idx({4, 1, 4, 0, 4});
  const Tensor g = testing::random_tensor({5, 3}, kFloat64, gen);
  Tensor acc = zeros({5, 3}, kFloat64);
  index_add_(acc, 0, index, g);
  EXPECT_NEAR(sum(index_select(a, 0, index) * g).item(), sum(a * acc).item(), 1e-12);
  // repeated indices accumulate
  EXPECT_NEAR(acc.at({4, 1}), g.at({0, 1}) + g.at({2, 1}) + g.at({4, 1}), 1e-15);
  Tensor acc1 = zeros({3, 5}, kFloat64);
  index_add_(acc1, 1, index, g.t());
  EXPECT_TRUE(allclose(acc1, acc.t()));
}

// Rows of two tables picked and added in one pass: the same values as two
// index_selects and an add, bit for bit, for rows of every length, strided tables
// and indices, every dtype; and its errors.
TEST(Indexing, IndexSelectAddIsTwoSelectsAndAnAdd) {
  Generator gen(13);
  const Tensor ia = idx({4, 9, 0, 1, 4, 2, 7, 3, 5, 5, 8, 6}), ib = idx({0, 0, 5, 6, 1, 2, 2, 6, 3, 4, 0, 1});
  for (DType dtype : {kFloat32, kFloat64, kInt64})
    for (std::int64_t length : {1, 3, 8, 16, 17, 48}) {
      const Tensor a = testing::random_tensor({10, length}, dtype, gen, -9, 9);
      const Tensor b = testing::strided_copy(testing::random_tensor({7, length}, dtype, gen, -9, 9), 1);
      for (const auto& [ja, jb] : {std::pair{ia, ib}, std::pair{ia.slice(0, 1, 12, 3), ib.slice(0, 0, 12, 3)}}) {
        const Tensor out = index_select_add(a, ja, b, jb);
        EXPECT_TRUE(allclose(out, add(index_select(a, 0, ja), index_select(b, 0, jb)), 0, 0)) << dtype << " " << length;
      }
    }
  const Tensor three = testing::random_tensor({4, 2, 3}, kFloat64, gen);
  EXPECT_TRUE(allclose(index_select_add(three, idx({3, 0}), three, idx({1, 1})),
                       add(index_select(three, 0, idx({3, 0})), index_select(three, 0, idx({1, 1}))), 0, 0));
  const Tensor a = zeros({3, 4});
  EXPECT_EQ(error_of([&] { index_select_add(a, idx({0, 3}), a, idx({0, 0})); }),
            "index_select_add: index 3 is out of range for dimension 0 of size 3");
  EXPECT_EQ(error_of([&] { index_select_add(a, idx({0, 1}), zeros({5, 4}), idx({4})); }),
            "index_select_add: indices must be 1-D of one length, got shapes (2) and (1)");
  EXPECT_EQ(error_of([&] { index_select_add(a, idx({0}), zeros({3, 5}), idx({0})); }),
            "index_select_add: tables of shapes (3,4) and (3,5) differ after dimension 0");
  EXPECT_EQ(error_of([&] { index_select_add(a, idx({0}), zeros({3, 4}, kFloat64), idx({0})); }),
            "index_select_add: dtypes float32 and float64 differ");
  EXPECT_EQ(error_of([&] { index_select_add(a, idx({0}), zeros({3}), idx({0})); }),
            "index_select_add: tables of shapes (3,4) and (3) must have the same rank, at least 1");
}

// The scatter of products g·d into two tables: within a rounding of mul(g, d) and
// two index_add_ (it adds each product with one FMA), for rows of every length (whole
// vectors and a partial one), strided sources and indices, float and double; and
// its errors.
TEST(Indexing, IndexAddProductsIsAProductAndTwoIndexAdds) {
  Generator gen(14);
  const Tensor ia = idx({4, 9, 0, 1, 4, 2, 7, 3, 5, 5, 8, 6}), ib = idx({0, 0, 5, 6, 1, 2, 2, 6, 3, 4, 0, 1});
  for (DType dtype : {kFloat32, kFloat64})
    for (std::int64_t length : {1, 3, 8, 16, 17, 48})
      for (const auto& [ja, jb] : {std::pair{ia, ib}, std::pair{ia.slice(0, 1, 12, 3), ib.slice(0, 0, 12, 3)}}) {
        const std::int64_t n = ja.numel();
        const Tensor g = testing::strided_copy(testing::random_tensor({n, length}, dtype, gen, -3, 3), 1);
        const Tensor d = testing::random_tensor({n, length}, dtype, gen, -3, 3);
        Tensor fa = testing::random_tensor({10, length}, dtype, gen), fb = testing::random_tensor({7, length}, dtype, gen);
        Tensor sa = fa.clone(), sb = fb.clone();
        index_add_products_(fa, ja, fb, jb, g, d);
        const Tensor product = mul(g, d);
        index_add_(sa, 0, ja, product);
        index_add_(sb, 0, jb, product);
        // entries are at most 3 + 3·9 in size: a few roundings of that
        const double tol = dtype == kFloat32 ? 1e-5 : 1e-13;
        EXPECT_TRUE(allclose(fa, sa, 0, tol)) << dtype << " " << length;
        EXPECT_TRUE(allclose(fb, sb, 0, tol)) << dtype << " " << length;
      }
  Tensor a = zeros({3, 4}), b = zeros({5, 4});
  const Tensor g = zeros({2, 4});
  EXPECT_EQ(error_of([&] { index_add_products_(a, idx({0, 3}), b, idx({0, 0}), g, g); }),
            "index_add_products_: index 3 is out of range for dimension 0 of size 3");
  EXPECT_EQ(error_of([&] { index_add_products_(a, idx({0, 1}), b, idx({0, 0}), g, zeros({2, 3})); }),
            "index_add_products_: sources of shapes (2,4) and (2,3) do not match (2,4) (outputs (3,4), 2 indices)");
  EXPECT_EQ(error_of([&] { index_add_products_(a, idx({0, 1}), b, idx({0}), g, g); }),
            "index_add_products_: indices must be 1-D of one length, got shapes (2) and (1)");
  Tensor wide = zeros({5, 3});
  EXPECT_EQ(error_of([&] { index_add_products_(a, idx({0, 1}), wide, idx({0, 0}), g, g); }),
            "index_add_products_: outputs of shapes (3,4) and (5,3) differ after dimension 0");
  Tensor ints = zeros({3, 4}, kInt64), ints_b = zeros({5, 4}, kInt64);
  const Tensor gi = zeros({2, 4}, kInt64);
  EXPECT_EQ(error_of([&] { index_add_products_(ints, idx({0, 1}), ints_b, idx({0, 0}), gi, gi); }),
            "index_add_products_: expected floating-point tensors, got int64");
}

TEST(Indexing, GatherAndScatterAdd) {
  const Tensor logits = tensor({{0.1, 0.2, 0.3}, {1.0, 2.0, 3.0}}, kFloat64);
  const Tensor targets = from_vector(std::vector<std::int64_t>{2, 0}, {2, 1});
  EXPECT_EQ(gather(logits, 1, targets).to_vector<double>(), (std::vector<double>{0.3, 1.0}));
  EXPECT_EQ(gather(logits.t(), 0, from_vector(std::vector<std::int64_t>{1, 2}, {1, 2})).to_vector<double>(),
            (std::vector<double>{0.2, 3.0}));
  Tensor out = zeros({2, 3}, kFloat64);
  scatter_add_(out, 1, from_vector(std::vector<std::int64_t>{2, 2, 0, 1}, {2, 2}),
               tensor({{1, 10}, {100, 1000}}, kFloat64));
  EXPECT_EQ(out.to_vector<double>(), (std::vector<double>{0, 0, 11, 100, 1000, 0}));
}

TEST(Indexing, OneHotConcatStack) {
  const Tensor oh = one_hot(idx({2, 0}), 3);
  EXPECT_EQ(oh.shape(), (Dims{2, 3}));
  EXPECT_EQ(oh.to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 0, 0}));
  const Tensor a = tensor({{1, 2}, {3, 4}}), b = tensor({{5, 6}});
  EXPECT_EQ(concat({a, b}, 0).to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(concat({a, a.t()}, 1).to_vector<float>(), (std::vector<float>{1, 2, 1, 3, 3, 4, 2, 4}));
  const Tensor s = stack({tensor({1, 2}), tensor({3, 4})}, 1);
  EXPECT_EQ(s.shape(), (Dims{2, 2}));
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 3, 2, 4}));
  EXPECT_EQ(stack({tensor({1, 2}), tensor({3, 4})}, -1).to_vector<float>(), s.to_vector<float>());
}

TEST(Indexing, OutOfRangeIndicesAreErrors) {
  const Tensor a = zeros({3, 4});
  EXPECT_EQ(error_of([&] { index_select(a, 0, idx({0, 3})); }),
            "index_select: index 3 is out of range for dimension 0 of size 3");
  EXPECT_EQ(error_of([&] { index_select(a, 1, idx({-1})); }),
            "index_select: index -1 is out of range for dimension 1 of size 4");
  EXPECT_EQ(error_of([&] { index_select(a, 0, tensor({0})); }), "index_select: index tensor must be int64, got float32");
  EXPECT_EQ(error_of([&] { gather(a, 1, from_vector(std::vector<std::int64_t>{4}, {1, 1})); }),
            "gather: index 4 is out of range for dimension 1 of size 4");
  Tensor out = zeros({3, 4});
  EXPECT_EQ(error_of([&] { index_add_(out, 0, idx({0}), zeros({2, 4})); }),
            "index_add_: source of shape (2,4) does not match (1,4) (output (3,4), 1 indices along dimension 0)");
  EXPECT_EQ(error_of([&] { one_hot(idx({3}), 3); }), "one_hot: index 3 is out of range for 3 classes");
  EXPECT_EQ(error_of([&] { concat({a, zeros({3, 4}, kFloat64)}); }), "concat: dtypes float32 and float64 differ");
  EXPECT_EQ(error_of([&] { concat({a, zeros({2, 3})}, 0); }),
            "concat: shapes (3,4) and (2,3) differ outside dimension 0");
  EXPECT_EQ(error_of([] { concat(std::vector<Tensor>{}); }), "concat: no tensors given");
}

}  // namespace
}  // namespace lambdahat
