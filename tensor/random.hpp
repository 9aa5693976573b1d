// Counter-based random numbers (Philox4x32-10; Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011).
//
// A Philox block is a pure function of a 128-bit counter and a 64-bit key:
//
//     key     = seed
//     counter = (position, stream)      position counts blocks of 4 × 32 bits
//
// so a stream is a pure function of (seed, stream id). SLT chains, data loaders and
// threads each take their own stream and get reproducible, independent numbers in
// whatever order they run. There is no global generator: every random operation
// takes a Generator explicitly.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tensor/tensor.hpp"

namespace lambdahat {

// One Philox4x32-10 block.
std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> counter, std::array<std::uint32_t, 2> key);

class Generator {
 public:
  explicit Generator(std::uint64_t seed = 0, std::uint64_t stream = 0);

  std::uint64_t seed() const { return seed_; }
  std::uint64_t stream() const { return stream_; }
  std::uint64_t position() const { return position_; }  // blocks consumed so far

  // An independent generator for a sub-task (same seed, a stream derived from this
  // stream and `id`), starting at position 0.
  Generator derive(std::uint64_t id) const;

  std::uint32_t next_u32();
  std::uint64_t next_u64();
  double uniform();  // in [0, 1), 53 random bits
  double normal();   // standard normal
  std::int64_t randint(std::int64_t lo, std::int64_t hi);  // uniform in [lo, hi), unbiased

  // n raw 32-bit words from consecutive blocks (vectorised; for shuffles).
  void fill_u32(std::uint32_t* out, std::int64_t n);

  // Bulk fills, computed in chunks of 64 values from consecutive blocks (see
  // random.cpp), so the result does not depend on threading.
  void fill_uniform(float* out, std::int64_t n, float lo, float hi);
  void fill_uniform(double* out, std::int64_t n, double lo, double hi);
  void fill_normal(float* out, std::int64_t n, float mean, float std);
  void fill_normal(double* out, std::int64_t n, double mean, double std);

 private:
  std::array<std::uint32_t, 4> block(std::uint64_t position) const;
  std::uint64_t take_blocks(std::uint64_t count);  // returns the first position, discards buffered words

  std::uint64_t seed_, stream_, position_ = 0;
  std::array<std::uint32_t, 4> buffer_{};
  int buffered_ = 0;  // unused words left in buffer_ (taken from its end)
};

Tensor uniform(const Dims& shape, Generator& gen, double lo = 0, double hi = 1, DType dtype = kFloat32);
Tensor normal(const Dims& shape, Generator& gen, double mean = 0, double std = 1, DType dtype = kFloat32);
Tensor randint(std::int64_t lo, std::int64_t hi, const Dims& shape, Generator& gen);  // int64
Tensor randperm(std::int64_t n, Generator& gen);                                     // int64

// Fills an existing floating-point tensor in place (used by samplers to reuse buffers).
void normal_(Tensor& t, Generator& gen, double mean = 0, double std = 1);
void uniform_(Tensor& t, Generator& gen, double lo = 0, double hi = 1);

// A uniformly random permutation of 0..n-1 (Fisher–Yates).
std::vector<std::int64_t> permutation(std::int64_t n, Generator& gen);

}  // namespace lambdahat
