// Shapes and strides are short lists of integers kept inline (no heap allocation),
// so creating a tensor view costs no more than copying a few words.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "tensor/error.hpp"

namespace lambdahat {

class Dims {
 public:
  static constexpr int kMaxRank = 8;

  Dims() = default;
  Dims(std::initializer_list<std::int64_t> values) { assign(values.begin(), values.end()); }
  Dims(const std::vector<std::int64_t>& values) { assign(values.begin(), values.end()); }
  template <class It>
  Dims(It first, It last) { assign(first, last); }

  int size() const { return rank_; }
  bool empty() const { return rank_ == 0; }
  std::int64_t operator[](int i) const { return values_[i]; }
  std::int64_t& operator[](int i) { return values_[i]; }
  std::int64_t back() const { return values_[rank_ - 1]; }
  const std::int64_t* begin() const { return values_.data(); }
  const std::int64_t* end() const { return values_.data() + rank_; }
  std::int64_t* begin() { return values_.data(); }
  std::int64_t* end() { return values_.data() + rank_; }

  void push_back(std::int64_t v) {
    check(rank_ < kMaxRank, "Dims", "at most ", kMaxRank, " dimensions are supported");
    values_[rank_++] = v;
  }
  void insert(int at, std::int64_t v) {
    push_back(0);
    for (int i = rank_ - 1; i > at; --i) values_[i] = values_[i - 1];
    values_[at] = v;
  }
  void erase(int at) {
    for (int i = at; i + 1 < rank_; ++i) values_[i] = values_[i + 1];
    --rank_;
  }
  std::vector<std::int64_t> to_vector() const { return {begin(), end()}; }

  friend bool operator==(const Dims& a, const Dims& b) {
    return a.rank_ == b.rank_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  template <class It>
  void assign(It first, It last) {
    for (; first != last; ++first) push_back(static_cast<std::int64_t>(*first));
  }
  std::array<std::int64_t, kMaxRank> values_{};
  int rank_ = 0;
};

// Prints (3,4); a scalar's shape prints as ().
std::ostream& operator<<(std::ostream& os, const Dims& d);
std::string to_string(const Dims& d);

// Product of the sizes; 1 for a scalar.
std::int64_t product(const Dims& shape);

// Row-major strides of a contiguous tensor of this shape, in elements.
Dims contiguous_strides(const Dims& shape);

// NumPy broadcasting: align trailing dimensions; sizes must match or be 1.
Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op);

// Turns a possibly negative dimension index into 0..rank-1, or throws naming `op`.
int normalize_dim(std::int64_t dim, int rank, const char* op);

// Checks that every size is >= 0 (the error names `op`).
void check_shape(const Dims& shape, const char* op);

}  // namespace lambdahat
