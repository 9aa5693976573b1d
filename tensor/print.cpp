#include "tensor/print.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <vector>

namespace lambdahat {
namespace {

struct Formatter {
  bool integer_dtype = false;
  bool scientific = false;
  bool all_integral = true;
  int precision = 4;
  // fixed-point values are aligned on the decimal point: widths of the parts
  std::size_t int_width = 0, frac_width = 0, nonfinite_width = 0;

  void measure(double v) {
    const std::string s = format(v);
    if (!std::isfinite(v)) {  // nan and inf are right-aligned in the whole width
      nonfinite_width = std::max(nonfinite_width, s.size());
      return;
    }
    const auto dot = s.find('.');
    int_width = std::max(int_width, dot == std::string::npos ? s.size() : dot);
    frac_width = std::max(frac_width, dot == std::string::npos ? 0 : s.size() - dot);
  }

  std::string padded(double v) const {
    const std::string s = format(v);
    if (!std::isfinite(v)) {
      const std::size_t total = std::max(int_width + frac_width, nonfinite_width);
      return std::string(total - s.size(), ' ') + s;
    }
    const auto dot = s.find('.');
    const std::size_t left = dot == std::string::npos ? s.size() : dot, right = s.size() - left;
    return std::string(int_width > left ? int_width - left : 0, ' ') + s +
           std::string(frac_width > right ? frac_width - right : 0, ' ');
  }

  std::string format(double v) const {
    char buf[64];
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (integer_dtype) {
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    } else if (scientific) {
      std::snprintf(buf, sizeof buf, "%.*e", precision, v);
    } else if (all_integral) {
      std::snprintf(buf, sizeof buf, "%.0f.", v);
    } else {
      std::snprintf(buf, sizeof buf, "%.*f", precision, v);
      // NumPy trims trailing zeros but keeps the decimal point
      std::string s = buf;
      while (s.back() == '0') s.pop_back();
      return s;
    }
    return buf;
  }
};

// Which elements are printed along a dimension of size n.
std::vector<std::int64_t> shown(std::int64_t n, bool summarise, std::int64_t edge) {
  std::vector<std::int64_t> idx;
  if (!summarise || n <= 2 * edge) {
    for (std::int64_t i = 0; i < n; ++i) idx.push_back(i);
  } else {
    for (std::int64_t i = 0; i < edge; ++i) idx.push_back(i);
    idx.push_back(-1);  // the ellipsis
    for (std::int64_t i = n - edge; i < n; ++i) idx.push_back(i);
  }
  return idx;
}

void print_rec(std::ostream& os, const std::vector<double>& values, const Dims& shape, const Dims& strides, int d,
               std::int64_t offset, const Formatter& f, bool summarise, std::int64_t edge, int indent) {
  if (shape.size() == 0) {
    os << f.format(values[offset]);  // a scalar: no padding
    return;
  }
  os << '[';
  const auto idx = shown(shape[d], summarise, edge);
  for (std::size_t k = 0; k < idx.size(); ++k) {
    if (k > 0) {
      if (d + 1 == shape.size()) {
        os << ", ";
      } else {
        os << ',' << std::string(static_cast<std::size_t>(shape.size() - d - 1), '\n')
           << std::string(static_cast<std::size_t>(indent + d + 1), ' ');
      }
    }
    if (idx[k] < 0) {
      os << "...";
      continue;
    }
    const std::int64_t at = offset + idx[k] * strides[d];
    if (d + 1 == shape.size()) {
      os << f.padded(values[at]);
    } else {
      print_rec(os, values, shape, strides, d + 1, at, f, summarise, edge, indent);
    }
  }
  os << ']';
}

}  // namespace

std::string to_string(const Tensor& t, const PrintOptions& options) {
  if (!t.defined()) return "tensor(undefined)";
  const std::vector<double> values = t.to_vector<double>();
  const bool summarise = t.numel() > options.threshold;
  Formatter f;
  f.integer_dtype = t.dtype() == kInt64;
  f.precision = options.precision;
  double max_abs = 0, min_abs = INFINITY;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    if (v != std::round(v)) f.all_integral = false;
    max_abs = std::max(max_abs, std::abs(v));
    if (v != 0) min_abs = std::min(min_abs, std::abs(v));
  }
  if (!f.integer_dtype) f.scientific = max_abs >= 1e8 || (min_abs < 1e-4 && !f.all_integral);
  for (double v : values) f.measure(v);
  // widen the integer part if nan/inf are wider than the finite values
  if (f.nonfinite_width > f.int_width + f.frac_width) f.int_width = f.nonfinite_width - f.frac_width;

  std::ostringstream os;
  os << "tensor(";
  if (t.numel() == 0) {
    os << "[], shape=" << t.shape();
  } else {
    print_rec(os, values, t.shape(), contiguous_strides(t.shape()), 0, 0, f, summarise, options.edge_items, 7);
  }
  os << ", dtype=" << t.dtype() << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << to_string(t); }

}  // namespace lambdahat
