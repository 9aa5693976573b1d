#include "support/reference.hpp"

namespace lambdahat {
namespace {

TEST(Print, LooksLikeNumPy) {
  EXPECT_EQ(to_string(tensor({{1, -2.5}, {0.3333333, 4}})),
            "tensor([[ 1.    , -2.5   ],\n"
            "        [ 0.3333,  4.    ]], dtype=float32)");
  EXPECT_EQ(to_string(tensor({1, 2, 3}, kFloat64)), "tensor([1., 2., 3.], dtype=float64)");
  EXPECT_EQ(to_string(arange(4)), "tensor([0, 1, 2, 3], dtype=int64)");
  EXPECT_EQ(to_string(scalar(2.5)), "tensor(2.5, dtype=float32)");
  EXPECT_EQ(to_string(tensor({1e-6, 1})), "tensor([1.0000e-06, 1.0000e+00], dtype=float32)");
  EXPECT_EQ(to_string(tensor({NAN, INFINITY, 1})), "tensor([nan, inf,  1.], dtype=float32)");
  EXPECT_EQ(to_string(zeros({0, 2})), "tensor([], shape=(0,2), dtype=float32)");
  const std::string big = to_string(arange(2000));
  EXPECT_EQ(big, "tensor([   0,    1,    2, ..., 1997, 1998, 1999], dtype=int64)");
  std::ostringstream os;
  os << tensor({1});
  EXPECT_EQ(os.str(), "tensor([1.], dtype=float32)");
}

}  // namespace
}  // namespace lambdahat
