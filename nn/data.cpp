#include "nn/data.hpp"

#include <cmath>

#include "tensor/elementwise.hpp"
#include "tensor/indexing.hpp"
#include "tensor/matmul.hpp"
#include "tensor/reduction.hpp"

namespace lambdahat {

Dataset::Dataset(Tensor inputs, Tensor targets) : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  check(inputs_.defined() && targets_.defined(), "Dataset", "inputs and targets must be defined");
  check(inputs_.dim() >= 1 && targets_.dim() >= 1 && inputs_.size(0) == targets_.size(0), "Dataset",
        "inputs of shape ", inputs_.shape(), " and targets of shape ", targets_.shape(),
        " do not have the same number of rows");
}

Batch Dataset::get(const Tensor& indices) const {
  Tensor x = index_select(inputs_, 0, indices);
  // autoencoding data sets hold one tensor as inputs and targets: gather it once
  const bool same = targets_.storage() == inputs_.storage() && targets_.offset() == inputs_.offset() &&
                    targets_.shape() == inputs_.shape() && targets_.strides() == inputs_.strides() &&
                    targets_.dtype() == inputs_.dtype();
  return {x, same ? x : index_select(targets_, 0, indices)};
}

Batch Dataset::get(const std::vector<std::int64_t>& indices) const { return get(from_vector(indices)); }

DataLoader::DataLoader(const Dataset& data, LoaderOptions options) : data_(&data), options_(options) {
  check(data.size() > 0, "DataLoader", "the data set is empty");
  check(options.batch_size > 0, "DataLoader", "batch size must be positive, got ", options.batch_size);
  check(!options.drop_last || options.batch_size <= data.size(), "DataLoader", "batch size ", options.batch_size,
        " exceeds the data set size ", data.size(), " with drop_last");
  start_epoch();
}

std::int64_t DataLoader::batches_per_epoch() const {
  const std::int64_t n = data_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::seek(std::int64_t epoch) {
  epoch_ = epoch;
  start_epoch();
}

void DataLoader::start_epoch() {
  position_ = 0;
  if (options_.shuffle) {
    // epoch e of seed s: stream e, so any epoch can be reproduced on its own
    Generator gen(options_.seed, static_cast<std::uint64_t>(epoch_));
    order_ = permutation(data_->size(), gen);
  } else if (order_.empty()) {
    order_.resize(static_cast<std::size_t>(data_->size()));
    for (std::int64_t i = 0; i < data_->size(); ++i) order_[i] = i;
  }
}

Batch DataLoader::next() {
  const std::int64_t n = data_->size();
  std::int64_t take = std::min(options_.batch_size, n - position_);
  if (take <= 0 || (options_.drop_last && take < options_.batch_size)) {
    ++epoch_;
    start_epoch();
    take = std::min(options_.batch_size, n);
  }
  if (!index_buffer_.defined() || index_buffer_.size(0) != take) index_buffer_ = Tensor::empty({take}, kInt64);
  std::copy(order_.begin() + position_, order_.begin() + position_ + take, index_buffer_.data<std::int64_t>());
  position_ += take;
  return data_->get(index_buffer_);
}

ModularData modular_arithmetic(std::int64_t p, double train_fraction, std::uint64_t seed, char op,
                               double label_noise) {
  check(p >= 2, "modular_arithmetic", "modulus must be >= 2, got ", p);
  check(train_fraction > 0 && train_fraction < 1, "modular_arithmetic", "train fraction must be in (0, 1), got ",
        train_fraction);
  check(op == '+' || op == '-' || op == '*', "modular_arithmetic", "operation must be +, - or *, got ", op);
  check(label_noise >= 0 && label_noise <= 1, "modular_arithmetic", "label noise must be in [0, 1], got ", label_noise);
  const std::int64_t n = p * p;
  std::vector<std::int64_t> pairs(static_cast<std::size_t>(2 * n)), labels(static_cast<std::size_t>(n));
  for (std::int64_t a = 0; a < p; ++a)
    for (std::int64_t b = 0; b < p; ++b) {
      const std::int64_t i = a * p + b;
      pairs[2 * i] = a;
      pairs[2 * i + 1] = b;
      const std::int64_t v = op == '+' ? a + b : op == '-' ? a - b + p : a * b;
      labels[i] = v % p;
    }
  Generator split(seed, 0);
  const std::vector<std::int64_t> order = permutation(n, split);
  const auto n_train = static_cast<std::int64_t>(std::floor(train_fraction * static_cast<double>(n)));
  auto subset = [&](std::int64_t from, std::int64_t to, bool noisy) {
    std::vector<std::int64_t> x, y;
    Generator noise(seed, 1);
    for (std::int64_t k = from; k < to; ++k) {
      const std::int64_t i = order[k];
      x.push_back(pairs[2 * i]);
      x.push_back(pairs[2 * i + 1]);
      std::int64_t label = labels[i];
      if (noisy && label_noise > 0 && noise.uniform() < label_noise) label = noise.randint(0, p);
      y.push_back(label);
    }
    return Dataset(from_vector(x, {to - from, 2}), from_vector(y));
  };
  return {subset(0, n_train, true), subset(n_train, n, false)};
}

Dataset sparse_features(const SparseFeatureOptions& o, std::uint64_t seed, DType dtype) {
  check(o.n > 0 && o.features > 0, "sparse_features", "sizes must be positive");
  check(o.active >= 0 && o.active <= o.features, "sparse_features", "active count ", o.active, " must be in [0, ",
        o.features, "]");
  check(o.active > 0 || (o.probability >= 0 && o.probability <= 1), "sparse_features",
        "feature probability must be in [0, 1], got ", o.probability);
  Generator gen(seed);
  std::vector<double> x(static_cast<std::size_t>(o.n * o.features), 0.0);
  for (std::int64_t i = 0; i < o.n; ++i) {
    double* row = x.data() + i * o.features;
    if (o.active > 0) {
      // a uniformly random subset of `active` features (partial Fisher–Yates)
      std::vector<std::int64_t> idx(static_cast<std::size_t>(o.features));
      for (std::int64_t j = 0; j < o.features; ++j) idx[j] = j;
      for (std::int64_t j = 0; j < o.active; ++j) {
        std::swap(idx[j], idx[gen.randint(j, o.features)]);
        row[idx[j]] = o.binary ? 1.0 : gen.uniform();
      }
    } else {
      for (std::int64_t j = 0; j < o.features; ++j)
        if (gen.uniform() < o.probability) row[j] = o.binary ? 1.0 : gen.uniform();
    }
  }
  const Tensor t = from_vector(x, {o.n, o.features}, dtype);
  return Dataset(t, t);
}

TeacherStudent teacher_student(std::int64_t n, std::int64_t in, std::int64_t out, std::int64_t rank, double noise,
                               std::uint64_t seed, bool gaussian_inputs, DType dtype) {
  check(n > 0 && in > 0 && out > 0, "teacher_student", "sizes must be positive");
  check(rank >= 0 && rank <= std::min(in, out), "teacher_student", "rank ", rank, " must be in [0, min(", in, ", ",
        out, ")]");
  check(noise >= 0, "teacher_student", "noise must be >= 0, got ", noise);
  Generator gen(seed);
  // T = U V / sqrt(rank): entries of order 1 for any rank
  Tensor teacher = zeros({out, in}, kFloat64);
  if (rank > 0) {
    const Tensor u = normal({out, rank}, gen, 0, 1, kFloat64), v = normal({rank, in}, gen, 0, 1, kFloat64);
    teacher = mul(matmul(u, v), 1.0 / std::sqrt(static_cast<double>(rank)));
  }
  const Tensor x = gaussian_inputs ? normal({n, in}, gen, 0, 1, kFloat64) : uniform({n, in}, gen, -1, 1, kFloat64);
  Tensor y = matmul(x, teacher.t());
  if (noise > 0) add_(y, normal({n, out}, gen, 0, noise, kFloat64));
  return {Dataset(x.to(dtype), y.to(dtype)), teacher.to(dtype)};
}

Dataset low_rank_data(std::int64_t n, std::int64_t d, std::int64_t s, std::uint64_t seed, DType dtype) {
  check(n > 0 && d > 0, "low_rank_data", "sizes must be positive");
  check(s >= 1 && s <= d, "low_rank_data", "subspace dimension ", s, " must be in [1, ", d, "]");
  Generator gen(seed);
  // orthonormal basis by Gram–Schmidt on Gaussian vectors (columns of B)
  std::vector<std::vector<double>> basis;
  while (static_cast<std::int64_t>(basis.size()) < s) {
    std::vector<double> v = normal({d}, gen, 0, 1, kFloat64).to_vector<double>();
    for (const auto& b : basis) {
      double dot = 0;
      for (std::int64_t k = 0; k < d; ++k) dot += v[k] * b[k];
      for (std::int64_t k = 0; k < d; ++k) v[k] -= dot * b[k];
    }
    double norm = 0;
    for (double e : v) norm += e * e;
    norm = std::sqrt(norm);
    if (norm < 1e-6) continue;
    for (double& e : v) e /= norm;
    basis.push_back(v);
  }
  std::vector<double> flat;
  for (std::int64_t k = 0; k < d; ++k)
    for (const auto& b : basis) flat.push_back(b[k]);
  const Tensor B = from_vector(flat, {d, s}, kFloat64);
  std::vector<double> scale(static_cast<std::size_t>(s));
  for (std::int64_t j = 0; j < s; ++j) scale[j] = s > 1 ? 1.0 - 0.5 * static_cast<double>(j) / static_cast<double>(s - 1) : 1.0;
  const Tensor z = mul(normal({n, s}, gen, 0, 1, kFloat64), from_vector(scale, {s}, kFloat64));
  const Tensor x = matmul(z, B.t()).to(dtype);
  return Dataset(x, x);
}

Dataset polynomial_data(std::int64_t n, std::uint64_t seed, double x_std, double y_std, DType dtype) {
  check(n > 0, "polynomial_data", "n must be positive, got ", n);
  Generator gen(seed);
  const Tensor x = normal({n, 1}, gen, 0, x_std, dtype);
  const Tensor y = normal({n, 1}, gen, 0, y_std, dtype);
  return Dataset(x, y);
}

}  // namespace lambdahat
