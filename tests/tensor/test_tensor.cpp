// Representation, views, copies and creation.
#include "support/reference.hpp"

namespace lambdahat {
namespace {

using testing::error_of;

TEST(Tensor, CreationAndQueries) {
  const Tensor t = zeros({2, 3});
  EXPECT_EQ(t.shape(), (Dims{2, 3}));
  EXPECT_EQ(t.strides(), (Dims{3, 1}));
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.raw_data()) % kAlignment, 0u);
  EXPECT_EQ(ones({4}, kFloat64).to_vector<double>(), (std::vector<double>{1, 1, 1, 1}));
  EXPECT_EQ(full({2}, 7, kInt64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{7, 7}));
  EXPECT_EQ(arange(5).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(arange(1, 2, 0.25, kFloat64).to_vector<double>(), (std::vector<double>{1, 1.25, 1.5, 1.75}));
  EXPECT_EQ(scalar(3.5).dim(), 0);
  EXPECT_EQ(scalar(3.5).item(), 3.5);
  const Tensor m = tensor({{1, 2, 3}, {4, 5, 6}});
  EXPECT_EQ(m.shape(), (Dims{2, 3}));
  EXPECT_EQ(m.at({1, 2}), 6);
  EXPECT_EQ(from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}).at({1, 0}), 3);
  EXPECT_FALSE(Tensor().defined());
  EXPECT_EQ(zeros({0, 3}).numel(), 0);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor t = arange(0, 12, 1, kFloat32).reshape({3, 4});
  const Tensor tt = t.t();
  EXPECT_EQ(tt.shape(), (Dims{4, 3}));
  EXPECT_EQ(tt.strides(), (Dims{1, 4}));
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.storage(), t.storage());
  EXPECT_EQ(tt.at({3, 1}), 7);

  const Tensor n = t.narrow(1, 1, 2);  // b c / f g / j k
  EXPECT_EQ(n.shape(), (Dims{3, 2}));
  EXPECT_EQ(n.offset(), 1);
  EXPECT_EQ(n.to_vector<float>(), (std::vector<float>{1, 2, 5, 6, 9, 10}));

  const Tensor s = t.slice(1, 0, 4, 2);
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(t.slice(0, -2, 100).to_vector<float>().front(), 4);
  EXPECT_EQ(t.select(0, 1).to_vector<float>(), (std::vector<float>{4, 5, 6, 7}));
  EXPECT_EQ(t.select(1, -1).to_vector<float>(), (std::vector<float>{3, 7, 11}));

  // writes through a view are visible in the base
  Tensor col = t.select(1, 0);
  col.fill_(-1);
  EXPECT_EQ(t.at({2, 0}), -1);

  const Tensor e = tensor({1, 2, 3}).unsqueeze(0).expand({4, 3});
  EXPECT_EQ(e.strides(), (Dims{0, 1}));
  EXPECT_EQ(e.to_vector<float>(), (std::vector<float>{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(tensor({5}).expand({2, 3}).to_vector<float>(), (std::vector<float>(6, 5)));

  const Tensor u = zeros({3, 4}).unsqueeze(1);
  EXPECT_EQ(u.shape(), (Dims{3, 1, 4}));
  EXPECT_EQ(u.squeeze(1).shape(), (Dims{3, 4}));
  EXPECT_EQ(zeros({1, 3, 1}).squeeze().shape(), (Dims{3}));
  EXPECT_EQ(zeros({3}).unsqueeze(-1).shape(), (Dims{3, 1}));

  const Tensor p = zeros({2, 3, 4}).permute({2, 0, 1});
  EXPECT_EQ(p.shape(), (Dims{4, 2, 3}));
  EXPECT_EQ(p.strides(), (Dims{1, 12, 4}));
}

TEST(Tensor, ReshapeIsAViewWhenPossible) {
  const Tensor t = arange(0, 24, 1, kFloat64).reshape({2, 3, 4});
  const Tensor r = t.reshape({6, -1});
  EXPECT_EQ(r.shape(), (Dims{6, 4}));
  EXPECT_EQ(r.storage(), t.storage());
  // splitting and merging within a contiguous chunk of a strided tensor stays a view
  const Tensor sliced = t.slice(2, 0, 4, 2);  // (2,3,2) strides (12,4,2)
  const Tensor merged = sliced.reshape({6, 2});
  EXPECT_EQ(merged.storage(), t.storage());
  EXPECT_EQ(merged.to_vector<double>(), sliced.contiguous().to_vector<double>());
  // a transpose cannot be flattened without a copy
  const Tensor tr = t.transpose(1, 2);
  const Tensor flat = tr.reshape({-1});
  EXPECT_NE(flat.storage(), t.storage());
  EXPECT_EQ(flat.to_vector<double>(), tr.contiguous().to_vector<double>());
  EXPECT_NE(error_of([&] { (void)tr.view({24}); }).find("view: a tensor of shape (2,4,3)"), std::string::npos);
  // contiguous() copies only when needed
  EXPECT_EQ(t.contiguous().storage(), t.storage());
  EXPECT_NE(tr.contiguous().storage(), t.storage());
  EXPECT_TRUE(tr.contiguous().is_contiguous());
}

TEST(Tensor, CopiesAndConversions) {
  const Tensor a = tensor({{1.5, -2.5}, {3.25, 4}}, kFloat64);
  const Tensor c = a.clone();
  EXPECT_NE(c.storage(), a.storage());
  EXPECT_TRUE(testing::identical(a, c));
  EXPECT_EQ(a.to(kInt64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, -2, 3, 4}));
  EXPECT_EQ(a.to(kFloat32).dtype(), kFloat32);
  EXPECT_EQ(a.to(kFloat64).storage(), a.storage());
  Tensor dst = zeros({2, 2}, kFloat32);
  dst.copy_(a.t());
  EXPECT_EQ(dst.to_vector<float>(), (std::vector<float>{1.5, 3.25, -2.5, 4}));
  // copy from an overlapping view of itself
  Tensor sq = arange(0, 4, 1, kFloat32).reshape({2, 2});
  sq.copy_(sq.t());
  EXPECT_EQ(sq.to_vector<float>(), (std::vector<float>{0, 2, 1, 3}));
  Tensor row = zeros({2, 3});
  row.copy_(tensor({1, 2, 3}));  // broadcast
  EXPECT_EQ(row.to_vector<float>(), (std::vector<float>{1, 2, 3, 1, 2, 3}));
}

// Copying a transposed matrix goes through blocks transposed in registers: every
// element lands in its place for shapes that end mid-block on either side, from a
// source with padded rows, into a destination with padded rows, in float and double.
TEST(Tensor, TransposedCopiesPutEveryElementInPlace) {
  for (DType dtype : {kFloat32, kFloat64})
    for (std::int64_t rows : {2, 10, 16, 17, 33})
      for (std::int64_t cols : {2, 5, 16, 31, 1000}) {
        // source: cols × rows inside a wider matrix (rows + 3 per row)
        const Tensor wide = arange(0, static_cast<double>(cols * (rows + 3)), 1, dtype).reshape({cols, rows + 3});
        const Tensor src = wide.slice(1, 0, rows).t();  // rows × cols, strides (1, rows + 3)
        Tensor dst = full({rows, cols + 2}, -1, dtype);
        Tensor inner = dst.slice(1, 0, cols);  // rows padded to cols + 2
        inner.copy_(src);
        const std::vector<double> got = dst.to_vector<double>();
        std::int64_t wrong = 0;
        for (std::int64_t r = 0; r < rows; ++r)
          for (std::int64_t c = 0; c < cols + 2; ++c) {
            const double want = c < cols ? static_cast<double>(c * (rows + 3) + r) : -1.0;
            wrong += got[static_cast<std::size_t>(r * (cols + 2) + c)] != want;
          }
        EXPECT_EQ(wrong, 0) << dtype << " " << rows << "x" << cols;
        EXPECT_TRUE(testing::identical(src.contiguous(), inner.contiguous())) << dtype << " " << rows << "x" << cols;
      }
}

TEST(Tensor, BadArgumentsThrowClearErrors) {
  const Tensor t = zeros({3, 4});
  EXPECT_EQ(error_of([&] { (void)t.reshape({5, -1}); }), "reshape: cannot infer the -1 in (5,-1) for 12 elements");
  EXPECT_EQ(error_of([&] { (void)t.reshape({5, 5}); }), "reshape: shape (5,5) does not hold 12 elements");
  EXPECT_EQ(error_of([&] { (void)t.narrow(1, 2, 3); }),
            "narrow: range [2, 5) is out of bounds for dimension 1 of shape (3,4)");
  EXPECT_EQ(error_of([&] { (void)t.transpose(0, 2); }),
            "transpose: dimension 2 is out of range for a tensor of rank 2");
  EXPECT_EQ(error_of([&] { (void)t.permute({0, 0}); }), "permute: dimension 0 repeated in (0,0)");
  EXPECT_EQ(error_of([&] { (void)t.expand({3, 5}); }),
            "expand: cannot expand shape (3,4) to (3,5) (dimension 1: 4 vs 5)");
  EXPECT_EQ(error_of([&] { (void)t.select(0, 3); }),
            "select: index 3 is out of range for dimension 0 of shape (3,4)");
  EXPECT_EQ(error_of([&] { (void)t.at({3, 0}); }), "at: index 3 is out of range for dimension 0 of shape (3,4)");
  EXPECT_EQ(error_of([&] { (void)t.item(); }), "item: expected a tensor with one element, got shape (3,4)");
  EXPECT_EQ(error_of([&] { (void)t.data<double>(); }), "data: tensor has dtype float32, requested float64");
  EXPECT_EQ(error_of([&] { (void)zeros({2, -1}); }), "empty: negative size in shape (2,-1)");
  EXPECT_EQ(error_of([&] { (void)t.slice(0, 0, 3, 0); }), "slice: step must be positive, got 0");
  EXPECT_EQ(error_of([&] { (void)tensor({{1, 2}, {3}}); }), "tensor: rows have different lengths (2 and 1)");
  EXPECT_EQ(error_of([&] { (void)zeros({1, 1, 1, 1, 1, 1, 1, 1, 1}); }), "Dims: at most 8 dimensions are supported");
}

}  // namespace
}  // namespace lambdahat
