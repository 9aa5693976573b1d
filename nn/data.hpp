// Data sets held in memory, a loader that serves minibatches, and the generators of
// the seed study's data.
//
// Every random choice takes a seed: the split, the shuffling order of each epoch
// (epoch e uses stream e of the loader's seed) and the generated values are pure
// functions of it.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/random.hpp"
#include "tensor/tensor.hpp"

namespace lambdahat {

struct Batch {
  Tensor inputs;
  Tensor targets;
};

// Rows i of `inputs` and `targets` form example i.
class Dataset {
 public:
  Dataset() = default;
  Dataset(Tensor inputs, Tensor targets);
  std::int64_t size() const { return inputs_.defined() ? inputs_.size(0) : 0; }
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }
  Batch all() const { return {inputs_, targets_}; }
  Batch get(const std::vector<std::int64_t>& indices) const;
  Batch get(const Tensor& indices) const;

 private:
  Tensor inputs_, targets_;
};

struct LoaderOptions {
  std::int64_t batch_size = 32;
  bool shuffle = true;
  bool drop_last = false;  // skip a last, smaller batch of each epoch
  std::uint64_t seed = 0;
};

// Cycles through the data set without end: next() returns the next batch, and a new
// epoch (reshuffled) starts when one is used up.
class DataLoader {
 public:
  DataLoader(const Dataset& data, LoaderOptions options);
  Batch next();
  std::int64_t batches_per_epoch() const;
  std::int64_t epoch() const { return epoch_; }
  // Restarts at the first batch of epoch `epoch`.
  void seek(std::int64_t epoch);

 private:
  void start_epoch();
  const Dataset* data_;
  LoaderOptions options_;
  std::vector<std::int64_t> order_;
  std::int64_t epoch_ = 0, position_ = 0;
  Tensor index_buffer_;
};

// ---- generators ----

// All pairs (a, b) with a, b < p, label (a op b) mod p, op one of '+', '-', '*'.
// A `train_fraction` of the pairs (rounded down), chosen by `seed`, form the
// training set, the rest the validation set. `label_noise` replaces that fraction
// of training labels by uniformly random ones.
struct ModularData {
  Dataset train, validation;
};
ModularData modular_arithmetic(std::int64_t p, double train_fraction, std::uint64_t seed, char op = '+',
                               double label_noise = 0);

// Sparse feature vectors for the toy model of superposition: `n` rows of `features`
// values; each row has exactly `active` non-zero features (active > 0), or each
// feature is active with probability `probability` (active == 0). Active values are
// 1 (binary) or uniform in [0, 1). Targets equal inputs.
struct SparseFeatureOptions {
  std::int64_t n = 1000;
  std::int64_t features = 8;
  std::int64_t active = 1;
  double probability = 0.1;
  bool binary = true;
};
Dataset sparse_features(const SparseFeatureOptions& options, std::uint64_t seed, DType dtype = kFloat32);

// Teacher–student regression: y = x Tᵀ + noise with a random teacher T (out, in) of
// rank `rank` (T = U V with Gaussian factors, scaled so its entries are O(1)),
// inputs Gaussian N(0,1) or uniform in [−1, 1], output noise N(0, noise²).
struct TeacherStudent {
  Dataset data;
  Tensor teacher;  // (out, in)
};
TeacherStudent teacher_student(std::int64_t n, std::int64_t in, std::int64_t out, std::int64_t rank, double noise,
                               std::uint64_t seed, bool gaussian_inputs = true, DType dtype = kFloat32);

// n points spanning a random s-dimensional subspace of R^d: x = z Bᵀ with B a random
// d × s orthonormal basis and z_j ~ N(0, σ_j²), σ_j falling linearly from 1 to 0.5.
// The distinct scales make the principal directions unique (a "generic spectrum");
// with equal scales every h-dimensional subspace of the data would be an equally
// good bottleneck, a flat valley that lowers the learning coefficient. Targets
// equal inputs (autoencoders).
Dataset low_rank_data(std::int64_t n, std::int64_t d, std::int64_t s, std::uint64_t seed, DType dtype = kFloat32);

// The polynomial regression data of docs/theory.md ("Known learning coefficients"): x ~ N(0, x_std²) and, independently,
// y ~ N(0, y_std²), both (n, 1). The true parameter is w* = 0.
Dataset polynomial_data(std::int64_t n, std::uint64_t seed, double x_std = 2.0, double y_std = 0.25,
                        DType dtype = kFloat32);

}  // namespace lambdahat
