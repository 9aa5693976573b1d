// Element types. float32 is the compute type, float64 is for gradient checks and
// precise estimators, int64 holds indices and labels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>

#include "tensor/error.hpp"

namespace lambdahat {

enum class DType : std::uint8_t { f32, f64, i64 };

constexpr DType kFloat32 = DType::f32;
constexpr DType kFloat64 = DType::f64;
constexpr DType kInt64 = DType::i64;

constexpr std::size_t itemsize(DType t) { return t == DType::f32 ? 4 : 8; }

constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i64: return "int64";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

constexpr bool is_floating(DType t) { return t != DType::i64; }

template <class T> inline constexpr DType dtype_of = DType::i64;
template <> inline constexpr DType dtype_of<float> = DType::f32;
template <> inline constexpr DType dtype_of<double> = DType::f64;

// Calls f with a value of the C++ type that matches `t`, so that one generic lambda
// serves every dtype:  visit_dtype(t, [&](auto tag) { using T = decltype(tag); ... });
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i64: return f(std::int64_t{});
  }
  return f(float{});
}

// The same for operations defined only on floating-point tensors.
template <class F>
decltype(auto) visit_floating(DType t, const char* op, F&& f) {
  check(is_floating(t), op, "expected a floating-point tensor, got ", dtype_name(t));
  if (t == DType::f64) return f(double{});
  return f(float{});
}

}  // namespace lambdahat
