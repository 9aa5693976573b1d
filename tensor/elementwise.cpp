#include "tensor/elementwise.hpp"

#include <cmath>
#include <numbers>

#include "tensor/integer_power.hpp"
#include "tensor/detail/map.hpp"

namespace lambdahat {
namespace {

using simd::Vec;

// Marks an operation that has no int64 form.
struct FloatOnly {};

template <class T>
Vec<T> one_if(const xsimd::batch_bool<T>& c) {
  return xsimd::select(c, Vec<T>(T(1)), Vec<T>(T(0)));
}

template <class IntF>
void check_dtype_supported(const char* name, DType t) {
  if constexpr (std::is_same_v<IntF, FloatOnly>)
    check(is_floating(t), name, "expected a floating-point tensor, got ", dtype_name(t));
}

// Dispatches on dtype and runs the engine: FloatF is called with vectors of float or
// double, IntF with int64 scalars.
template <std::size_t N, class FloatF, class IntF>
void run_map(const char* name, const Tensor& out, const std::array<const Tensor*, N>& in, FloatF ff, IntF fi) {
  check_dtype_supported<IntF>(name, out.dtype());
  switch (out.dtype()) {
    case DType::f32: detail::map_into<float, N>(out, in, ff); break;
    case DType::f64: detail::map_into<double, N>(out, in, ff); break;
    case DType::i64:
      if constexpr (!std::is_same_v<IntF, FloatOnly>) detail::map_into<std::int64_t, N>(out, in, fi);
      break;
  }
}

void check_same_dtype(const char* name, const Tensor& a, const Tensor& b) {
  check(a.defined() && b.defined(), name, "undefined tensor argument");
  check(a.dtype() == b.dtype(), name, "dtypes ", a.dtype(), " and ", b.dtype(), " differ (shapes ",
        a.shape(), " and ", b.shape(), ")");
}

// Where a result goes: a fresh tensor, or the caller's `out` once it is checked to
// have the result's shape and dtype and to overlap no input except as that very
// input (same storage, offset, shape and strides), which elementwise maps allow.
Tensor result_tensor(const char* name, const Dims& shape, DType dtype, Tensor* out,
                     std::initializer_list<const Tensor*> inputs) {
  if (!out) return Tensor::empty(shape, dtype);
  check(out->defined(), name, "undefined output tensor");
  check(out->shape() == shape && out->dtype() == dtype, name, "cannot write a ", dtype_name(dtype),
        " result of shape ", shape, " into a ", dtype_name(out->dtype()), " tensor of shape ", out->shape());
  for (const Tensor* in : inputs) {
    const bool identical = in->offset() == out->offset() && in->shape() == out->shape() &&
                           in->strides() == out->strides();
    check(in->storage() != out->storage() || identical, name, "the output (shape ", out->shape(),
          ") shares memory with an input of shape ", in->shape(), " without being that input");
  }
  return *out;
}

template <class FloatF, class IntF = FloatOnly>
Tensor binary(const char* name, const Tensor& a, const Tensor& b, FloatF ff, IntF fi = {}, Tensor* into = nullptr) {
  check_same_dtype(name, a, b);
  Tensor out = result_tensor(name, broadcast_shapes(a.shape(), b.shape(), name), a.dtype(), into, {&a, &b});
  run_map<2>(name, out, {&a, &b}, ff, fi);
  return out;
}

template <class FloatF, class IntF = FloatOnly>
Tensor unary(const char* name, const Tensor& a, FloatF ff, IntF fi = {}, Tensor* into = nullptr) {
  check(a.defined(), name, "undefined tensor argument");
  Tensor out = result_tensor(name, a.shape(), a.dtype(), into, {&a});
  run_map<1>(name, out, {&a}, ff, fi);
  return out;
}

template <class FloatF, class IntF = FloatOnly>
void binary_inplace(const char* name, Tensor& a, const Tensor& b, FloatF ff, IntF fi = {}) {
  check_same_dtype(name, a, b);
  const Dims shape = broadcast_shapes(a.shape(), b.shape(), name);
  check(shape == a.shape(), name, "cannot write a result of shape ", shape, " into a tensor of shape ",
        a.shape());
  run_map<2>(name, a, {&a, &b}, ff, fi);
}

template <class FloatF, class IntF = FloatOnly>
void unary_inplace(const char* name, Tensor& a, FloatF ff, IntF fi = {}) {
  check(a.defined(), name, "undefined tensor argument");
  run_map<1>(name, a, {&a}, ff, fi);
}

constexpr double kSqrt1_2 = 0.70710678118654752440;        // 1/√2
constexpr double kInvSqrt2Pi = 0.39894228040143267794;     // 1/√(2π)
constexpr double kSqrt2OverPi = 0.79788456080286535588;    // √(2/π)
constexpr double kGeluCubic = 0.044715;

// erf(z) for float vectors without an exponential: z·P(z²)/Q(z²), P of degree 6
// and Q of degree 4 in z², fitted to erf on |z| ≤ 3.9 (a weighted least-squares fit
// refined towards minimax, in 40-digit arithmetic: tools/fit_erf.py) with maximum
// absolute error 4.1e-8, below the float spacing near 1. Beyond 3.9 the result is exactly ±1 (erf
// is within 3.5e-8 of it), so that GELU of a large negative x is exactly 0. Q has
// positive coefficients, so it never vanishes. It costs about 25 vector operations
// where the exponential-based formula below costs 35; GELU, whose value alone needs
// no Gaussian density, uses it.
template <class V>
[[gnu::always_inline]] inline V erf_rational(V z) {
  static_assert(std::is_same_v<typename V::value_type, float>, "float vectors only");
  const auto saturated = xsimd::abs(z) >= V(3.9f);
  z = xsimd::min(xsimd::max(z, V(-3.9f)), V(3.9f));
  const V u = z * z;
  V p = simd::fma(u, V(2.0115918563937532e-8f), V(-1.9965025608210406e-6f));
  p = simd::fma(p, u, V(1.4742127356469168e-4f));
  p = simd::fma(p, u, V(3.8945259656251765e-3f));
  p = simd::fma(p, u, V(5.1143843259078477e-2f));
  p = simd::fma(p, u, V(2.0418702048978565e-1f));
  p = simd::fma(p, u, V(1.1283788022478756f));
  V q = simd::fma(u, V(1.0061371999544988e-3f), V(1.4727147127806395e-2f));
  q = simd::fma(q, u, V(1.1676977568461983e-1f));
  q = simd::fma(q, u, V(5.1428507311021384e-1f));
  q = simd::fma(q, u, V(1.0f));
#if defined(__AVX512F__)
  // 1/q from the hardware's 14-bit reciprocal and one Newton step (28 bits)
  V t = xsimd::reciprocal(q);
  t = t * (V(2) - q * t);
  const V e = z * p * t;
#else
  const V e = z * p / q;  // older reciprocal estimates have 12 bits: one Newton step is not enough
#endif
  return xsimd::select(saturated, xsimd::copysign(V(1), z), e);
}

// Φ(x) (the standard normal CDF) and e^{-x²/2}, sharing one exponential. For float
// vectors, erf comes from Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7,
// the resolution of float32 near 1); for double, from xsimd's full-precision erf.
// (Forced inline: GCC called it out of line, returning its two vectors through
// memory, and GELU on L2-resident data ran at 30 GB/s instead of 35.)
template <class V>
[[gnu::always_inline]] inline void normal_cdf_and_gauss(V x, V& cdf, V& gauss) {
  if constexpr (std::is_same_v<typename V::value_type, float>) {
    gauss = simd::exp_nonpositive(V(-0.5f) * x * x);
    // erf(z) is 1 in float beyond z = 4; the clamp keeps the reciprocal finite
    const V z = xsimd::min(xsimd::abs(x) * V(kSqrt1_2), V(10.0f));
    // t = 1 / d from the hardware's approximate reciprocal and one Newton step
    // (relative error about 2^-24, the float rounding error): a full division costs
    // more than the rest of the polynomial.
    const V d = V(1) + V(0.3275911f) * z;
    V t = xsimd::reciprocal(d);
    t = t * (V(2) - d * t);
    const V poly = t * (V(0.254829592f) + t * (V(-0.284496736f) + t * (V(1.421413741f) +
                       t * (V(-1.453152027f) + t * V(1.061405429f)))));
    const V erf_abs = V(1) - poly * gauss;
    cdf = V(0.5) + V(0.5) * xsimd::select(x < V(0), -erf_abs, erf_abs);
  } else {
    gauss = xsimd::exp(V(-0.5) * x * x);
    cdf = V(0.5) * (V(1) + xsimd::erf(x * V(kSqrt1_2)));
  }
}

auto plus = [](auto x, auto y) { return x + y; };
auto minus = [](auto x, auto y) { return x - y; };
auto times = [](auto x, auto y) { return x * y; };
auto negate = [](auto x) { return -x; };
auto divide = [](auto x, auto y) { return x / y; };
auto larger = [](auto x, auto y) { return xsimd::max(x, y); };
auto smaller = [](auto x, auto y) { return xsimd::min(x, y); };
auto larger_int = [](std::int64_t x, std::int64_t y) { return std::max(x, y); };
auto smaller_int = [](std::int64_t x, std::int64_t y) { return std::min(x, y); };
auto absolute = [](auto x) { return xsimd::abs(x); };
auto absolute_int = [](std::int64_t x) { return x < 0 ? -x : x; };
auto squared = [](auto x) { return x * x; };
auto exponential = [](auto x) { return xsimd::exp(x); };
auto logarithm = [](auto x) { return xsimd::log(x); };
auto square_root = [](auto x) { return xsimd::sqrt(x); };
auto hyperbolic_tangent = [](auto x) { return xsimd::tanh(x); };
auto logistic = [](auto x) {
  using V = decltype(x);
  return V(1) / (V(1) + xsimd::exp(-x));
};
auto rectify = [](auto x) { return xsimd::max(x, decltype(x)(0)); };
auto rectify_int = [](std::int64_t x) { return std::max<std::int64_t>(x, 0); };
// log(1 + e^x) = max(x, 0) + log1p(e^{-|x|}): no overflow for large |x|.
auto soft_rectify = [](auto x) {
  using V = decltype(x);
  return xsimd::max(x, V(0)) + xsimd::log1p(xsimd::exp(-xsimd::abs(x)));
};
// x Φ(x) = x/2 (1 + erf(x/√2)). (Forced inline, like simd::detail::apply.)
auto gelu_erf = [](auto x) __attribute__((always_inline)) {
  using V = decltype(x);
  if constexpr (std::is_same_v<typename V::value_type, float>) {
    // 1 + erf is exact for erf ≤ -1/2 (Sterbenz), so the tail rounds only in erf
    return V(0.5f) * x * (V(1) + erf_rational(x * V(kSqrt1_2)));
  } else {
    V cdf, gauss;
    normal_cdf_and_gauss(x, cdf, gauss);
    return x * cdf;
  }
};
auto gelu_tanh = [](auto x) __attribute__((always_inline)) {
  using V = decltype(x);
  const V u = V(kSqrt2OverPi) * (x + V(kGeluCubic) * x * x * x);
  return V(0.5) * x * (V(1) + xsimd::tanh(u));
};

}  // namespace

// Each op below in both forms: returning a fresh tensor, and writing into `out`.
#define LAMBDAHAT_BINARY(NAME, FLOAT_F, INT_F)                                                            \
  Tensor NAME(const Tensor& a, const Tensor& b) { return binary(#NAME, a, b, FLOAT_F, INT_F); }           \
  void NAME(const Tensor& a, const Tensor& b, Tensor& out) { binary(#NAME, a, b, FLOAT_F, INT_F, &out); }
#define LAMBDAHAT_UNARY(NAME, FLOAT_F, INT_F)                                            \
  Tensor NAME(const Tensor& a) { return unary(#NAME, a, FLOAT_F, INT_F); }               \
  void NAME(const Tensor& a, Tensor& out) { unary(#NAME, a, FLOAT_F, INT_F, &out); }

// ---- binary ----
LAMBDAHAT_BINARY(add, plus, plus)
LAMBDAHAT_BINARY(sub, minus, minus)
LAMBDAHAT_BINARY(mul, times, times)
LAMBDAHAT_BINARY(div, divide, FloatOnly{})
LAMBDAHAT_BINARY(maximum, larger, larger_int)
LAMBDAHAT_BINARY(minimum, smaller, smaller_int)
Tensor pow(const Tensor& a, const Tensor& b) {
  return binary("pow", a, b, [](auto x, auto y) { return xsimd::pow(x, y); });
}

#define LAMBDAHAT_COMPARISON(NAME, OP)                                                              \
  Tensor NAME(const Tensor& a, const Tensor& b) {                                                   \
    return binary(#NAME, a, b, [](auto x, auto y) { return one_if(x OP y); },                       \
                  [](std::int64_t x, std::int64_t y) { return std::int64_t{x OP y}; });             \
  }
LAMBDAHAT_COMPARISON(eq, ==)
LAMBDAHAT_COMPARISON(ne, !=)
LAMBDAHAT_COMPARISON(lt, <)
LAMBDAHAT_COMPARISON(le, <=)
LAMBDAHAT_COMPARISON(gt, >)
LAMBDAHAT_COMPARISON(ge, >=)
#undef LAMBDAHAT_COMPARISON

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_same_dtype("where", a, b);
  check(cond.defined(), "where", "undefined condition");
  const Tensor c = cond.to(a.dtype());
  const Dims shape = broadcast_shapes(broadcast_shapes(c.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = Tensor::empty(shape, a.dtype());
  run_map<3>("where", out, {&c, &a, &b},
             [](auto k, auto x, auto y) { return xsimd::select(k != decltype(k)(0), x, y); },
             [](std::int64_t k, std::int64_t x, std::int64_t y) { return k != 0 ? x : y; });
  return out;
}

// ---- with a scalar ----
Tensor add(const Tensor& a, double b) { return add(a, scalar(b, a.dtype())); }
Tensor mul(const Tensor& a, double b) { return mul(a, scalar(b, a.dtype())); }

Tensor pow(const Tensor& a, double exponent) {
  if (exponent == std::round(exponent) && std::abs(exponent) <= 64) {
    const long n = static_cast<long>(exponent);
    return unary("pow", a, [n](auto x) { return integer_power(x, n); });
  }
  if (exponent == 0.5) return sqrt(a);
  return unary("pow", a, [exponent](auto x) { return xsimd::pow(x, decltype(x)(exponent)); });
}

Tensor clamp(const Tensor& a, double lo, double hi) {
  check(lo <= hi, "clamp", "lower bound ", lo, " exceeds upper bound ", hi);
  return unary("clamp", a, [lo, hi](auto x) {
    using V = decltype(x);
    return xsimd::min(xsimd::max(x, V(lo)), V(hi));
  }, [lo, hi](std::int64_t x) {
    return std::min(std::max(x, static_cast<std::int64_t>(std::ceil(lo))), static_cast<std::int64_t>(std::floor(hi)));
  });
}

// ---- unary ----
LAMBDAHAT_UNARY(neg, negate, negate)
LAMBDAHAT_UNARY(abs, absolute, absolute_int)
LAMBDAHAT_UNARY(square, squared, squared)
LAMBDAHAT_UNARY(exp, exponential, FloatOnly{})
LAMBDAHAT_UNARY(log, logarithm, FloatOnly{})
LAMBDAHAT_UNARY(sqrt, square_root, FloatOnly{})
LAMBDAHAT_UNARY(tanh, hyperbolic_tangent, FloatOnly{})
LAMBDAHAT_UNARY(sigmoid, logistic, FloatOnly{})
LAMBDAHAT_UNARY(relu, rectify, rectify_int)
LAMBDAHAT_UNARY(softplus, soft_rectify, FloatOnly{})
#undef LAMBDAHAT_BINARY
#undef LAMBDAHAT_UNARY
Tensor sign(const Tensor& a) {
  return unary("sign", a, [](auto x) {
    using V = decltype(x);
    return one_if(x > V(0)) - one_if(x < V(0));
  }, [](std::int64_t x) { return std::int64_t{(x > 0) - (x < 0)}; });
}
Tensor log1p(const Tensor& a) { return unary("log1p", a, [](auto x) { return xsimd::log1p(x); }); }
Tensor gelu(const Tensor& a, GeluApprox approx) {
  return approx == GeluApprox::tanh ? unary("gelu", a, gelu_tanh) : unary("gelu", a, gelu_erf);
}
void gelu(const Tensor& a, Tensor& out, GeluApprox approx) {
  if (approx == GeluApprox::tanh) unary("gelu", a, gelu_tanh, FloatOnly{}, &out);
  else unary("gelu", a, gelu_erf, FloatOnly{}, &out);
}

void gelu_with_derivative(const Tensor& a, GeluApprox approx, Tensor& value, Tensor& derivative) {
  check(a.defined(), "gelu", "undefined tensor argument");
  visit_floating(a.dtype(), "gelu", [&](auto tag) {
    using T = decltype(tag);
    const Tensor x = a.contiguous();
    value = Tensor::empty(a.shape(), a.dtype());
    derivative = Tensor::empty(a.shape(), a.dtype());
    const T* xp = x.data<T>();
    T* vp = value.data<T>();
    T* dp = derivative.data<T>();
    using V = simd::Vec<T>;
    constexpr std::int64_t W = simd::kLanes<T>;
    const std::int64_t n = x.numel();
    auto both = [approx](V xv, V& y, V& d) {
      if (approx == GeluApprox::tanh) {
        const V x2 = xv * xv;
        const V t = xsimd::tanh(V(kSqrt2OverPi) * (xv + V(kGeluCubic) * x2 * xv));
        y = V(0.5) * xv * (V(1) + t);
        d = V(0.5) * (V(1) + t) + V(0.5) * xv * (V(1) - t * t) * V(kSqrt2OverPi) * (V(1) + V(3 * kGeluCubic) * x2);
      } else {
        V cdf, gauss;
        normal_cdf_and_gauss(xv, cdf, gauss);
        y = xv * cdf;
        d = cdf + xv * V(kInvSqrt2Pi) * gauss;
      }
    };
    std::int64_t i = 0;
    for (; i + W <= n; i += W) {
      V y, d;
      both(V::load_unaligned(xp + i), y, d);
      y.store_unaligned(vp + i);
      d.store_unaligned(dp + i);
    }
    if (i < n) {
      V y, d;
      both(simd::load_partial(xp + i, n - i), y, d);
      simd::store_partial(vp + i, y, n - i);
      simd::store_partial(dp + i, d, n - i);
    }
  });
}

// ---- derivatives ----
Tensor gelu_backward(const Tensor& g, const Tensor& x, GeluApprox approx) {
  check_same_dtype("gelu_backward", g, x);
  Tensor out = Tensor::empty(broadcast_shapes(g.shape(), x.shape(), "gelu_backward"), x.dtype());
  if (approx == GeluApprox::tanh) {
    // d/dx ½x(1 + tanh u) = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²), t = tanh u
    run_map<2>("gelu_backward", out, {&g, &x}, [](auto gv, auto xv) {
      using V = decltype(xv);
      const V x2 = xv * xv;
      const V t = xsimd::tanh(V(kSqrt2OverPi) * (xv + V(kGeluCubic) * x2 * xv));
      const V du = V(kSqrt2OverPi) * (V(1) + V(3 * kGeluCubic) * x2);
      return gv * (V(0.5) * (V(1) + t) + V(0.5) * xv * (V(1) - t * t) * du);
    }, FloatOnly{});
    return out;
  }
  // d/dx xΦ(x) = Φ(x) + x φ(x)
  run_map<2>("gelu_backward", out, {&g, &x}, [](auto gv, auto xv) {
    using V = decltype(xv);
    V cdf, gauss;
    normal_cdf_and_gauss(xv, cdf, gauss);
    return gv * (cdf + xv * V(kInvSqrt2Pi) * gauss);
  }, FloatOnly{});
  return out;
}

Tensor relu_backward(const Tensor& g, const Tensor& x) {
  check_same_dtype("relu_backward", g, x);
  return binary("relu_backward", g, x, [](auto gv, auto xv) {
    using V = decltype(xv);
    return xsimd::select(xv > V(0), gv, V(0));
  });
}

Tensor softplus_backward(const Tensor& g, const Tensor& x) {
  return binary("softplus_backward", g, x, [](auto gv, auto xv) {
    using V = decltype(xv);
    return gv / (V(1) + xsimd::exp(-xv));
  });
}

// ---- in place ----
void add_(Tensor& a, const Tensor& b) { binary_inplace("add_", a, b, plus, plus); }
void sub_(Tensor& a, const Tensor& b) { binary_inplace("sub_", a, b, minus, minus); }
void mul_(Tensor& a, const Tensor& b) { binary_inplace("mul_", a, b, times, times); }
void div_(Tensor& a, const Tensor& b) {
  binary_inplace("div_", a, b, [](auto x, auto y) { return x / y; });
}
void add_(Tensor& a, const Tensor& b, double alpha) {
  binary_inplace("add_", a, b, [alpha](auto x, auto y) { return simd::fma(decltype(y)(alpha), y, x); },
                 [alpha](std::int64_t x, std::int64_t y) { return x + static_cast<std::int64_t>(alpha) * y; });
}
void add_(Tensor& a, double b) {
  unary_inplace("add_", a, [b](auto x) { return x + decltype(x)(b); },
                [b](std::int64_t x) { return x + static_cast<std::int64_t>(b); });
}
void mul_(Tensor& a, double b) {
  unary_inplace("mul_", a, [b](auto x) { return x * decltype(x)(b); },
                [b](std::int64_t x) { return x * static_cast<std::int64_t>(b); });
}
void clamp_(Tensor& a, double lo, double hi) {
  check(lo <= hi, "clamp_", "lower bound ", lo, " exceeds upper bound ", hi);
  unary_inplace("clamp_", a, [lo, hi](auto x) {
    using V = decltype(x);
    return xsimd::min(xsimd::max(x, V(lo)), V(hi));
  });
}

// ---- whole-tensor comparisons ----
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  if (!(a.shape() == b.shape())) return false;
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) {
      if (!(equal_nan && std::isnan(x[i]) && std::isnan(y[i]))) return false;
      continue;
    }
    if (x[i] == y[i]) continue;  // equal infinities
    if (!(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]))) return false;
  }
  return true;
}

bool all_finite(const Tensor& a) {
  if (!is_floating(a.dtype())) return true;
  for (double v : a.to_vector<double>())
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace lambdahat
