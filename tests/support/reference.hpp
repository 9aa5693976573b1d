// Helpers shared by the tests: random tensors, non-contiguous copies, and plain
// index arithmetic for the naive reference implementations the tests compare with.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "lambdahat.hpp"

namespace lambdahat::testing {

// A shell command's exit code (-1 if it did not exit normally) and standard output.
struct ShellResult {
  int exit_code;
  std::string output;
};
inline ShellResult run_shell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// Uniform values in [lo, hi).
inline Tensor random_tensor(const Dims& shape, DType dtype, Generator& gen, double lo = -2, double hi = 2) {
  if (dtype == kInt64) return randint(static_cast<std::int64_t>(lo), static_cast<std::int64_t>(hi), shape, gen);
  return uniform(shape, gen, lo, hi, dtype);
}

// The same values in a non-contiguous layout: either every other element of a larger
// buffer, or a transposed buffer viewed back. Exercises the strided paths.
inline Tensor strided_copy(const Tensor& t, int variant) {
  if (t.dim() == 0) return t;
  if (variant % 2 == 0) {
    Dims big = t.shape();
    big[big.size() - 1] = big.back() * 2;
    Tensor buffer = zeros(big, t.dtype());
    Tensor view = buffer.slice(-1, 0, big.back(), 2);
    view.copy_(t);
    return view;
  }
  Dims reversed;
  for (int d = t.dim() - 1; d >= 0; --d) reversed.push_back(d);
  Tensor buffer = t.permute(reversed).clone();
  return buffer.permute(reversed);
}

// Calls f(index) for every multi-index of `shape` in row-major order.
inline void for_each_index(const Dims& shape, const std::function<void(const std::vector<std::int64_t>&)>& f) {
  std::vector<std::int64_t> idx(static_cast<std::size_t>(shape.size()), 0);
  if (product(shape) == 0) return;
  while (true) {
    f(idx);
    int d = shape.size() - 1;
    for (; d >= 0; --d) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

// Row-major position in a contiguous tensor of `shape` of the element that
// broadcasting maps `out_index` (an index of the broadcast result) to.
inline std::int64_t broadcast_position(const Dims& shape, const std::vector<std::int64_t>& out_index) {
  std::int64_t pos = 0;
  const int lead = static_cast<int>(out_index.size()) - shape.size();
  for (int d = 0; d < shape.size(); ++d) pos = pos * shape[d] + (shape[d] == 1 ? 0 : out_index[d + lead]);
  return pos;
}

// Relative + absolute closeness per element with a readable failure message.
inline ::testing::AssertionResult all_near(const Tensor& actual, const std::vector<double>& expected, double rtol,
                                           double atol) {
  const auto got = actual.to_vector<double>();
  if (got.size() != expected.size())
    return ::testing::AssertionFailure() << "size " << got.size() << " != " << expected.size();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double e = expected[i], g = got[i];
    if (std::isnan(e) && std::isnan(g)) continue;
    if (std::isinf(e) && g == e) continue;
    if (!(std::abs(g - e) <= atol + rtol * std::abs(e)))
      return ::testing::AssertionFailure() << "element " << i << ": got " << g << ", expected " << e
                                           << " (shape " << actual.shape() << ")";
  }
  return ::testing::AssertionSuccess();
}

// Bit-for-bit equality of two tensors of the same dtype.
inline bool identical(const Tensor& a, const Tensor& b) {
  if (!(a.shape() == b.shape()) || a.dtype() != b.dtype()) return false;
  const Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.raw_data(), y.raw_data(), static_cast<std::size_t>(x.numel()) * itemsize(x.dtype())) == 0;
}

// Runs f and returns the message of the lambdahat::Error it throws ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Tolerance for comparing float32 / float64 kernels with a double reference.
inline double tolerance(DType t) { return t == kFloat32 ? 2e-5 : 1e-12; }

}  // namespace lambdahat::testing
