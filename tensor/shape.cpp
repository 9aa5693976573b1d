#include "tensor/shape.hpp"

#include <sstream>

namespace lambdahat {

std::ostream& operator<<(std::ostream& os, const Dims& d) {
  os << '(';
  for (int i = 0; i < d.size(); ++i) os << (i ? "," : "") << d[i];
  return os << ')';
}

std::string to_string(const Dims& d) {
  std::ostringstream os;
  os << d;
  return os.str();
}

std::int64_t product(const Dims& shape) {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return n;
}

Dims contiguous_strides(const Dims& shape) {
  Dims strides = shape;
  std::int64_t step = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    strides[i] = step;
    step *= std::max<std::int64_t>(shape[i], 1);
  }
  return strides;
}

Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op) {
  const int rank = std::max(a.size(), b.size());
  Dims out;
  for (int i = 0; i < rank; ++i) {
    const int ia = i - (rank - a.size()), ib = i - (rank - b.size());
    const std::int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
    check(sa == sb || sa == 1 || sb == 1, op, "shapes ", a, " and ", b,
          " cannot be broadcast together (dimension ", i, ": ", sa, " vs ", sb, ")");
    out.push_back(sa == 1 ? sb : sa);
  }
  return out;
}

int normalize_dim(std::int64_t dim, int rank, const char* op) {
  const std::int64_t d = dim < 0 ? dim + rank : dim;
  check(d >= 0 && d < std::max(rank, 1), op, "dimension ", dim, " is out of range for a tensor of rank ",
        rank);
  return static_cast<int>(d);
}

void check_shape(const Dims& shape, const char* op) {
  for (auto s : shape) check(s >= 0, op, "negative size in shape ", shape);
}

}  // namespace lambdahat
