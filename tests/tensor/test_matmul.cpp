// The blocked GEMM against the naive reference kernel: random shapes (including the
// seed study's small ones and sizes that exercise every edge tile), transposed and
// strided operands, batches with broadcasting, alpha/beta accumulation.
#include <limits>

#include "support/reference.hpp"
#include "tensor/detail/gemm.hpp"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace lambdahat {
namespace {

// Error bound for a K-term dot product of values in [-1, 1].
double matmul_tolerance(DType dtype, std::int64_t K) { return (dtype == kFloat32 ? 3e-6 : 1e-14) * (K + 4); }

void expect_matches_reference(const Tensor& a, const Tensor& b, const std::string& what) {
  const Tensor fast = matmul(a, b);
  const Tensor ref = matmul_reference(a.to(kFloat64), b.to(kFloat64));
  const std::int64_t K = a.dim() == 1 ? a.size(0) : a.size(-1);
  EXPECT_TRUE(testing::all_near(fast, ref.to_vector<double>(), 0, matmul_tolerance(a.dtype(), K))) << what;
}

TEST(Matmul, MatchesReferenceOnManyShapes) {
  Generator gen(7);
  const std::vector<std::array<std::int64_t, 3>> shapes = {
      {1, 1, 1},    {2, 3, 4},     {5, 1, 7},     {1, 9, 1},     {13, 17, 19},  {12, 32, 8},
      {128, 12, 48}, {128, 48, 53}, {1000, 10, 10}, {512, 8, 2},  {2, 8, 512},   {25, 300, 33},
      {97, 257, 65}, {200, 3, 150}, {64, 64, 64},  {11, 600, 7},  {300, 40, 1},  {1, 40, 300},
      // a narrow A and a wide B (direct at any width); long dot products (in chunks of K)
      {10, 10, 3000}, {10, 5000, 10}, {13, 20000, 7},
      // one operand small, the other large (direct at any size): a tall A, a long K
      {4000, 8, 2}, {5000, 10, 10}, {8, 4000, 2}, {48, 3000, 53}, {20, 20000, 20}};
  for (DType dtype : {kFloat32, kFloat64})
    for (auto [M, K, N] : shapes)
      for (int layout = 0; layout < 4; ++layout) {
        const Tensor a0 = testing::random_tensor({M, K}, dtype, gen, -1, 1);
        const Tensor b0 = testing::random_tensor({K, N}, dtype, gen, -1, 1);
        // 0: contiguous, 1: A transposed view, 2: B transposed view, 3: both strided
        const Tensor a = layout == 1 ? a0.t().clone().t() : layout == 3 ? testing::strided_copy(a0, 0) : a0;
        const Tensor b = layout == 2 ? b0.t().clone().t() : layout == 3 ? testing::strided_copy(b0, 1) : b0;
        std::ostringstream what;
        what << dtype << " (" << M << "x" << K << ")·(" << K << "x" << N << ") layout " << layout;
        expect_matches_reference(a, b, what.str());
      }
}

TEST(Matmul, LargeSquareMatchesReference) {
  Generator gen(8);
  for (std::int64_t n : {256, 300}) {
    const Tensor a = testing::random_tensor({n, n}, kFloat32, gen, -1, 1);
    const Tensor b = testing::random_tensor({n, n}, kFloat32, gen, -1, 1);
    expect_matches_reference(a, b, "square " + std::to_string(n));
    expect_matches_reference(a.t(), b, "square transposed " + std::to_string(n));
  }
}

TEST(Matmul, BatchedWithBroadcastAndVectors) {
  Generator gen(9);
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor a = testing::random_tensor({3, 1, 4, 5}, dtype, gen, -1, 1);
    const Tensor b = testing::random_tensor({2, 5, 6}, dtype, gen, -1, 1);
    const Tensor c = matmul(a, b);
    ASSERT_EQ(c.shape(), (Dims{3, 2, 4, 6}));
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 2; ++j)
        EXPECT_TRUE(allclose(c.select(0, i).select(0, j), matmul_reference(a.select(0, i).select(0, 0), b.select(0, j)),
                             1e-5, 1e-6));
    const Tensor v = testing::random_tensor({5}, dtype, gen, -1, 1);
    const Tensor m = testing::random_tensor({5, 3}, dtype, gen, -1, 1);
    EXPECT_EQ(matmul(v, m).shape(), (Dims{3}));
    EXPECT_EQ(matmul(m.t(), v).shape(), (Dims{3}));
    EXPECT_EQ(matmul(v, v).dim(), 0);
    EXPECT_NEAR(matmul(v, v).item(), sum(v * v).item(), 1e-5);
    expect_matches_reference(m.t(), v, "matrix-vector");
  }
}

TEST(Matmul, IntoAccumulatesWithAlphaAndBeta) {
  Generator gen(10);
  for (auto [M, K, N] : std::vector<std::array<std::int64_t, 3>>{{3, 4, 5}, {70, 300, 40}}) {
    const Tensor a = testing::random_tensor({M, K}, kFloat64, gen, -1, 1);
    const Tensor b = testing::random_tensor({K, N}, kFloat64, gen, -1, 1);
    const Tensor c0 = testing::random_tensor({M, N}, kFloat64, gen, -1, 1);
    Tensor c = c0.clone();
    matmul_into(c, a, b, 0.5, 2.0);
    EXPECT_TRUE(allclose(c, matmul_reference(a, b) * 0.5 + c0 * 2.0, 1e-12, 1e-12));
    // beta = 0 ignores NaN in the output
    Tensor garbage = full({M, N}, NAN, kFloat64);
    matmul_into(garbage, a, b);
    EXPECT_TRUE(allclose(garbage, matmul_reference(a, b), 1e-12, 1e-12));
    // writing into a transposed view
    Tensor ct = zeros({N, M}, kFloat64);
    Tensor view = ct.t();
    matmul_into(view, a, b);
    EXPECT_TRUE(allclose(ct.t(), matmul_reference(a, b), 1e-12, 1e-12));
  }
}

TEST(Matmul, EmptyDimensions) {
  EXPECT_EQ(matmul(zeros({0, 3}), zeros({3, 4})).shape(), (Dims{0, 4}));
  EXPECT_EQ(matmul(zeros({2, 0}), zeros({0, 4})).to_vector<float>(), std::vector<float>(8, 0));
}

TEST(Matmul, ErrorsNameShapes) {
  EXPECT_EQ(testing::error_of([] { matmul(zeros({3, 4}), zeros({5, 2})); }),
            "matmul: shapes (3,4) and (5,2) cannot be multiplied (4 != 5)");
  EXPECT_EQ(testing::error_of([] { matmul(zeros({3, 4}), zeros({4, 2}, kFloat64)); }),
            "matmul: dtypes float32 and float64 differ");
  EXPECT_EQ(testing::error_of([] { matmul(zeros({3, 4}, kInt64), zeros({4, 2}, kInt64)); }),
            "matmul: expected floating-point tensors, got int64");
  EXPECT_EQ(testing::error_of([] { matmul(scalar(1), zeros({4, 2})); }),
            "matmul: expected tensors of rank >= 1, got shapes () and (4,2)");
  EXPECT_NE(testing::error_of([] { matmul(zeros({2, 3, 4}), zeros({3, 4, 5})); }).find("cannot be broadcast"),
            std::string::npos);
  Tensor c = zeros({3, 3});
  EXPECT_EQ(testing::error_of([&] { matmul_into(c, zeros({3, 4}), zeros({4, 2})); }),
            "matmul_into: output of shape (3,3) and dtype float32 cannot hold the product of (3,4) and (4,2)");
}

}  // namespace
}  // namespace lambdahat

namespace lambdahat {
namespace {

// The raw kernel's bias (added to every row) together with alpha, beta and a
// column-major C, on shapes that take the direct path, the blocked path (several K
// blocks) and both ways of splitting C across threads.
TEST(Matmul, GemmAddsBiasWithAlphaBetaAndAnyOutputLayout) {
  Generator gen(32);
  const std::vector<std::array<std::int64_t, 3>> shapes = {{512, 8, 8}, {512, 8, 7},  {13, 17, 19}, {128, 48, 53},
                                                           {7, 0, 5},   {300, 300, 300}, {40, 600, 300}, {600, 40, 3}};
  for (auto [M, K, N] : shapes)
    for (bool column_major : {false, true}) {
      const std::vector<double> a = testing::random_tensor({M, K}, kFloat64, gen, -1, 1).to_vector<double>();
      const std::vector<double> b = testing::random_tensor({K, N}, kFloat64, gen, -1, 1).to_vector<double>();
      const std::vector<double> bias = testing::random_tensor({N}, kFloat64, gen, -1, 1).to_vector<double>();
      const std::vector<double> c0 = testing::random_tensor({M, N}, kFloat64, gen, -1, 1).to_vector<double>();
      const std::int64_t rsc = column_major ? 1 : N, csc = column_major ? M : 1;
      std::vector<double> fast = c0, slow = c0;
      detail::gemm<double>(M, N, K, 0.5, a.data(), K, 1, b.data(), N, 1, 2.0, fast.data(), rsc, csc, bias.data());
      detail::gemm_reference<double>(M, N, K, 0.5, a.data(), K, 1, b.data(), N, 1, 2.0, slow.data(), rsc, csc,
                                     bias.data());
      double worst = 0;
      for (std::size_t i = 0; i < fast.size(); ++i) worst = std::max(worst, std::abs(fast[i] - slow[i]));
      EXPECT_LE(worst, 1e-14 * (K + 4)) << M << "x" << K << "x" << N << (column_major ? " column-major" : "");
    }
}

// Subnormal inputs and results are flushed to zero inside the kernels, and the
// caller's floating-point mode is left as it was. Only MXCSR's control bits (6-15:
// DAZ, exception masks, rounding, FTZ) are compared: bits 0-5 are sticky exception
// flags that ordinary arithmetic on subnormals in this test sets by itself.
TEST(Matmul, FlushesSubnormalsAndRestoresTheCallersMode) {
#if defined(__SSE2__)
  constexpr unsigned kControlBits = 0xFFC0;
  const unsigned mode = _mm_getcsr() & kControlBits;
#endif
  const float tiny = std::numeric_limits<float>::denorm_min() * 1000;  // subnormal
  ASSERT_GT(tiny, 0.0f);
  ASSERT_LT(tiny, std::numeric_limits<float>::min());
  const Tensor a = from_vector(std::vector<float>{tiny, 1.0f, 2.0f, 3.0f}, {2, 2});
  const Tensor b = from_vector(std::vector<float>{1.0f, 0.0f, 0.0f, 1.0f}, {2, 2});
  const std::vector<float> c = matmul(a, b).to_vector<float>();
  EXPECT_EQ(c, (std::vector<float>{0.0f, 1.0f, 2.0f, 3.0f}));
  // a result in the normal range is untouched
  const Tensor big = from_vector(std::vector<float>{1e-30f}, {1, 1});
  EXPECT_EQ(matmul(big, big).to_vector<float>(), std::vector<float>{0.0f});  // 1e-60 underflows either way
  EXPECT_EQ(matmul(big, from_vector(std::vector<float>{1e-5f}, {1, 1})).to_vector<float>()[0],
            1e-30f * 1e-5f);
#if defined(__SSE2__)
  EXPECT_EQ(_mm_getcsr() & kControlBits, mode);
#endif
}

TEST(Matmul, LinearIsInputTimesWeightTransposedPlusBias) {
  Generator gen(31);
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = uniform({2, 5, 3}, gen, -1, 1, dtype), w = uniform({4, 3}, gen, -1, 1, dtype),
                 b = uniform({4}, gen, -1, 1, dtype);
    const Tensor y = linear(x, w, b);
    EXPECT_EQ(y.shape(), (Dims{2, 5, 4}));
    EXPECT_TRUE(allclose(y, add(matmul_reference(x, w.t()), b), 1e-5, 1e-6));
    EXPECT_TRUE(allclose(linear(x, w), matmul_reference(x, w.t()), 1e-5, 1e-6));
  }
  // the shapes of the seed study's layers and ones that take the blocked path
  for (auto [rows, in, out] : std::vector<std::array<std::int64_t, 3>>{{512, 8, 8}, {128, 106, 48}, {128, 48, 53},
                                                                       {300, 260, 270}}) {
    const Tensor x = uniform({rows, in}, gen, -1, 1), w = uniform({out, in}, gen, -1, 1), b = uniform({out}, gen, -1, 1);
    EXPECT_TRUE(testing::all_near(linear(x, w, b), add(matmul_reference(x.to(kFloat64), w.t().to(kFloat64)), b.to(kFloat64)).to_vector<double>(), 0,
                                  matmul_tolerance(kFloat32, in)))
        << rows << "x" << in << "x" << out;
  }
  EXPECT_EQ(testing::error_of([] { linear(zeros({2, 3}), zeros({4, 5})); }),
            "linear: input of shape (2,3) does not match weight of shape (4,5) (3 != 5)");
  EXPECT_NE(testing::error_of([] { linear(zeros({2, 3}), zeros({4, 3}), zeros({5})); }).find("bias of shape (5)"),
            std::string::npos);
}

}  // namespace
}  // namespace lambdahat

namespace lambdahat {
namespace {

// Float products with at most 8 columns and at least 16 rows run a kernel that puts
// 16 rows of C in a vector (with AVX-512). Its edges: row counts that are not a
// multiple of 16, K not a multiple of 8, A row-major (with and without padding) or
// column-major, B transposed, C with padded rows or column-major, bias, alpha, and
// beta = 0 over NaN or beta = 2.
TEST(Matmul, NarrowProductsMatchReferenceOnEveryLayout) {
  Generator gen(33);
  const std::vector<std::array<std::int64_t, 3>> shapes = {{16, 8, 8}, {17, 9, 1}, {31, 13, 5}, {512, 8, 2},
                                                           {100, 16, 4}, {45, 40, 7}, {64, 3, 8}, {20, 8, 3}};
  for (auto [M, K, N] : shapes)
    for (int layout = 0; layout < 6; ++layout) {
      // 0 plain, 1 A padded rows, 2 A column-major, 3 B transposed, 4 C padded rows, 5 C column-major
      const std::int64_t rsa = layout == 1 ? K + 3 : layout == 2 ? 1 : K, csa = layout == 2 ? M + 1 : 1;
      const std::int64_t rsb = layout == 3 ? 1 : N, csb = layout == 3 ? K : 1;
      const std::int64_t rsc = layout == 4 ? N + 2 : layout == 5 ? 1 : N, csc = layout == 5 ? M : 1;
      const std::int64_t a_size = layout == 2 ? csa * K : rsa * M;
      const std::vector<float> a = testing::random_tensor({a_size}, kFloat32, gen, -1, 1).to_vector<float>();
      const std::vector<float> b = testing::random_tensor({K * N}, kFloat32, gen, -1, 1).to_vector<float>();
      const std::vector<float> bias = testing::random_tensor({N}, kFloat32, gen, -1, 1).to_vector<float>();
      const std::int64_t c_size = layout == 5 ? M * N : rsc * M;
      const std::vector<float> c0 = testing::random_tensor({c_size}, kFloat32, gen, -1, 1).to_vector<float>();
      for (float beta : {0.0f, 2.0f})
        for (bool with_bias : {false, true}) {
          std::vector<float> fast = c0, slow = c0;
          if (beta == 0.0f) std::fill(fast.begin(), fast.end(), NAN);  // C is not read
          const float* bp = with_bias ? bias.data() : nullptr;
          detail::gemm<float>(M, N, K, 0.5f, a.data(), rsa, csa, b.data(), rsb, csb, beta, fast.data(), rsc, csc, bp);
          detail::gemm_reference<float>(M, N, K, 0.5f, a.data(), rsa, csa, b.data(), rsb, csb, beta, slow.data(),
                                        rsc, csc, bp);
          double worst = 0;
          for (std::int64_t i = 0; i < M; ++i)
            for (std::int64_t j = 0; j < N; ++j) {
              const std::int64_t at = i * rsc + j * csc;
              worst = std::max(worst, std::abs(static_cast<double>(fast[at]) - slow[at]));
            }
          EXPECT_LE(worst, 1e-5 * (K + 4)) << M << "x" << K << "x" << N << " layout " << layout << " beta " << beta
                                           << (with_bias ? " bias" : "");
        }
    }
}

// The narrow kernel and the row-tile kernel (which takes products of fewer than 16
// rows) perform the same operations on every element: the first 15 rows of a
// 40-row product equal a 15-row product of the same rows, bit for bit.
TEST(Matmul, NarrowKernelAgreesWithTileKernelBitForBit) {
  Generator gen(34);
  for (auto [K, N] : std::vector<std::array<std::int64_t, 2>>{{8, 8}, {13, 2}, {21, 5}}) {
    const std::int64_t M = 40;
    const std::vector<float> a = testing::random_tensor({M * K}, kFloat32, gen, -1, 1).to_vector<float>();
    const std::vector<float> b = testing::random_tensor({K * N}, kFloat32, gen, -1, 1).to_vector<float>();
    const std::vector<float> bias = testing::random_tensor({N}, kFloat32, gen, -1, 1).to_vector<float>();
    std::vector<float> all(M * N), part(15 * N);
    detail::gemm<float>(M, N, K, 1.0f, a.data(), K, 1, b.data(), N, 1, 0.0f, all.data(), N, 1, bias.data());
    detail::gemm<float>(15, N, K, 1.0f, a.data(), K, 1, b.data(), N, 1, 0.0f, part.data(), N, 1, bias.data());
    EXPECT_EQ(std::vector<float>(all.begin(), all.begin() + 15 * N), part) << K << "x" << N;
  }
}

}  // namespace
}  // namespace lambdahat

namespace lambdahat {
namespace {

TEST(Matmul, LinearReluIsReluOfLinear) {
  Generator gen(35);
  for (DType dtype : {kFloat32, kFloat64})
    for (auto [rows, in, out] : std::vector<std::array<std::int64_t, 3>>{{512, 8, 8}, {7, 5, 3}, {128, 12, 48}}) {
      const Tensor x = uniform({rows, in}, gen, -1, 1, dtype), w = uniform({out, in}, gen, -1, 1, dtype),
                   b = uniform({out}, gen, -1, 1, dtype);
      EXPECT_TRUE(testing::identical(linear_relu(x, w, b), relu(linear(x, w, b)))) << rows << "x" << in << "x" << out;
      EXPECT_TRUE(testing::identical(linear_relu(x, w), relu(linear(x, w))));
    }
  EXPECT_EQ(testing::error_of([] { linear_relu(zeros({2, 3}), zeros({4, 5})); }),
            "linear: input of shape (2,3) does not match weight of shape (4,5) (3 != 5)");
}

}  // namespace
}  // namespace lambdahat

namespace lambdahat {
namespace {

// Float products with at most 15 × 8 results over K ≥ 32, A column-major (a weight
// gradient gᵀ·x) run a kernel that holds two rows of C per vector and splits K into
// interleaved partial sums: odd and even row counts, K not a multiple of the split,
// bias, alpha, beta and a column-major C.
// A result narrower than a vector over a column-major A whose height is whole
// vectors (a weight gradient gᵀ·x of a layer with few inputs) is computed as
// Cᵀ = Bᵀ·Aᵀ and transposed: the same bits as that product written out, and the
// reference's values.
template <class T>
void expect_turned_around_products_agree(Generator& gen, std::initializer_list<std::int64_t> widths) {
  for (std::int64_t M : {16, 48, 64})
    for (std::int64_t N : widths)
      for (std::int64_t K : {12, 53, 130}) {
        const std::vector<T> a = testing::random_tensor({K * M}, dtype_of<T>, gen, -1, 1).template to_vector<T>();
        const std::vector<T> b = testing::random_tensor({K * N}, dtype_of<T>, gen, -1, 1).template to_vector<T>();
        std::vector<T> c(M * N, T(NAN)), turned(N * M), slow(M * N);
        // A (M × K) stored as K × M, B (K × N) by rows
        detail::gemm<T>(M, N, K, T(0.5), a.data(), 1, M, b.data(), N, 1, T(0), c.data(), N, 1, nullptr);
        detail::gemm<T>(N, M, K, T(0.5), b.data(), 1, N, a.data(), M, 1, T(0), turned.data(), M, 1, nullptr);
        detail::gemm_reference<T>(M, N, K, T(0.5), a.data(), 1, M, b.data(), N, 1, T(0), slow.data(), N, 1, nullptr);
        for (std::int64_t i = 0; i < M; ++i)
          for (std::int64_t j = 0; j < N; ++j) {
            ASSERT_EQ(c[i * N + j], turned[j * M + i]) << M << "x" << K << "x" << N << " at " << i << "," << j;
            EXPECT_NEAR(c[i * N + j], slow[i * N + j], 3e-6 * (K + 4)) << M << "x" << K << "x" << N;
          }
      }
}

TEST(Matmul, NarrowResultsOverAColumnMajorAAreComputedTurnedAround) {
  Generator gen(37);
  expect_turned_around_products_agree<float>(gen, {9, 12, 15});
  expect_turned_around_products_agree<double>(gen, {3, 5, 7});
}

TEST(Matmul, WeightGradientProductsMatchReference) {
  Generator gen(36);
  for (std::int64_t M : {1, 2, 7, 8, 15})
    for (std::int64_t N : {1, 3, 8})
      for (std::int64_t K : {32, 35, 512, 1001})
        for (bool column_major_c : {false, true}) {
          const std::vector<float> a = testing::random_tensor({K * M}, kFloat32, gen, -1, 1).to_vector<float>();
          const std::vector<float> b = testing::random_tensor({K * N}, kFloat32, gen, -1, 1).to_vector<float>();
          const std::vector<float> bias = testing::random_tensor({N}, kFloat32, gen, -1, 1).to_vector<float>();
          const std::vector<float> c0 = testing::random_tensor({M * N}, kFloat32, gen, -1, 1).to_vector<float>();
          const std::int64_t rsc = column_major_c ? 1 : N, csc = column_major_c ? M : 1;
          for (float beta : {0.0f, 2.0f}) {
            std::vector<float> fast = c0, slow = c0;
            if (beta == 0.0f) std::fill(fast.begin(), fast.end(), NAN);
            // A (M × K) stored as K × M: element (i, k) at a[k·M + i]
            detail::gemm<float>(M, N, K, 0.5f, a.data(), 1, M, b.data(), N, 1, beta, fast.data(), rsc, csc, bias.data());
            detail::gemm_reference<float>(M, N, K, 0.5f, a.data(), 1, M, b.data(), N, 1, beta, slow.data(), rsc, csc,
                                          bias.data());
            double worst = 0;
            for (std::size_t i = 0; i < fast.size(); ++i)
              worst = std::max(worst, std::abs(static_cast<double>(fast[i]) - slow[i]));
            EXPECT_LE(worst, 3e-6 * (K + 4)) << M << "x" << K << "x" << N << " beta " << beta;
          }
        }
}

// Rows of A and columns of B contiguous along a long K (B a transposed view: the
// weight gradient g·hᵀ of activations stored feature-major) take the dot-product
// kernel. Block edges (1 to 3 rows or columns left over), K that ends mid-vector,
// padded rows of A, both layouts of C, bias, alpha and beta, in float and double.
template <class T>
void check_dot_products(double tolerance_per_term) {
  Generator gen(37);
  const DType dtype = std::is_same_v<T, float> ? kFloat32 : kFloat64;
  for (std::int64_t M : {1, 3, 4, 5, 10, 13, 15})
    for (std::int64_t N : {1, 2, 4, 5, 7, 10})
      for (std::int64_t K : {64, 100, 1000, 1001, 5000})
        for (bool column_major_c : {false, true}) {
          const std::int64_t rsa = K + 3;  // padded rows
          const std::vector<T> a = testing::random_tensor({M * rsa}, dtype, gen, -1, 1).template to_vector<T>();
          const std::vector<T> b = testing::random_tensor({N * K}, dtype, gen, -1, 1).template to_vector<T>();
          const std::vector<T> bias = testing::random_tensor({N}, dtype, gen, -1, 1).template to_vector<T>();
          const std::vector<T> c0 = testing::random_tensor({M * N}, dtype, gen, -1, 1).template to_vector<T>();
          const std::int64_t rsc = column_major_c ? 1 : N, csc = column_major_c ? M : 1;
          for (T beta : {T(0), T(2)}) {
            std::vector<T> fast = c0, slow = c0;
            if (beta == T(0)) std::fill(fast.begin(), fast.end(), T(NAN));
            // B (K × N) stored as N × K: element (k, j) at b[j·K + k]
            detail::gemm<T>(M, N, K, T(0.5), a.data(), rsa, 1, b.data(), 1, K, beta, fast.data(), rsc, csc,
                            bias.data());
            detail::gemm_reference<T>(M, N, K, T(0.5), a.data(), rsa, 1, b.data(), 1, K, beta, slow.data(), rsc, csc,
                                      bias.data());
            double worst = 0;
            for (std::size_t i = 0; i < fast.size(); ++i)
              worst = std::max(worst, std::abs(static_cast<double>(fast[i]) - static_cast<double>(slow[i])));
            EXPECT_LE(worst, tolerance_per_term * static_cast<double>(K + 4))
                << M << "x" << K << "x" << N << " beta " << beta << (column_major_c ? " column-major C" : "");
          }
        }
}

TEST(Matmul, DotProductsMatchReference) {
  check_dot_products<float>(3e-6);
  check_dot_products<double>(1e-14);
}

}  // namespace
}  // namespace lambdahat
