// Elementwise ops and reductions on large contiguous tensors, against the memory
// bandwidth baseline of memcpy. Bytes counters count what must move: inputs read
// plus outputs written. Elementwise ops use all threads, like memcpy here.
#include <benchmark/benchmark.h>

#include <cstring>

#include "lambdahat.hpp"

namespace {

using namespace lambdahat;

constexpr std::int64_t kSmall = 1 << 16;   // 256 KiB per float32 tensor: fits in L2
constexpr std::int64_t kLarge = 1 << 24;   // 64 MiB: beyond L2; stays in a large L3
constexpr std::int64_t kHuge = 1 << 27;    // 512 MiB: beyond any L3, bound by main memory

void set_bytes(benchmark::State& state, std::int64_t n, int tensors_moved) {
  state.SetBytesProcessed(state.iterations() * n * 4 * tensors_moved);
}

void BM_memcpy(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const Tensor a = ones({n}), b = zeros({n});
  const auto* src = a.data<float>();
  auto* dst = b.data<float>();
  for (auto _ : state) {
    parallel_for(0, n, 1, [&](std::int64_t lo, std::int64_t hi) {
      std::memcpy(dst + lo, src + lo, static_cast<std::size_t>(hi - lo) * 4);
    }, 1024);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n, 2);
}

// memcpy into a fresh tensor each time: the baseline for the out-of-place ops on
// tensors too large for the block cache (over 64 MiB), whose first touch of every
// page of the fresh result goes through the kernel, which zeroes it.
void BM_memcpy_fresh(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const Tensor a = ones({n});
  const auto* src = a.data<float>();
  zeros({n});  // untimed: the process's first huge pages are the slowest
  for (auto _ : state) {
    Tensor b = Tensor::empty({n});
    auto* dst = b.data<float>();
    parallel_for(0, n, 1, [&](std::int64_t lo, std::int64_t hi) {
      std::memcpy(dst + lo, src + lo, static_cast<std::size_t>(hi - lo) * 4);
    }, 1024);
    benchmark::DoNotOptimize(dst);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n, 2);
}

// Out-of-place ops allocate their result; up to 64 MiB the block cache makes that
// cheap after the first iteration, so these figures include what users pay. The
// _out forms write into a tensor the caller keeps.
void BM_add(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = uniform({n}, gen), b = uniform({n}, gen);
  benchmark::DoNotOptimize(add(a, b));  // untimed: the process's first huge pages are the slowest
  for (auto _ : state) benchmark::DoNotOptimize(add(a, b));
  set_bytes(state, n, 3);
}

void BM_add_out(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = uniform({n}, gen), b = uniform({n}, gen);
  Tensor out = zeros({n});
  for (auto _ : state) {
    add(a, b, out);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n, 3);
}

void BM_add_inplace(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Generator gen(1);
  Tensor a = uniform({n}, gen);
  const Tensor b = uniform({n}, gen);
  for (auto _ : state) {
    add_(a, b, 1e-9);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n, 3);
}

void BM_mul_scalar(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Generator gen(1);
  Tensor a = uniform({n}, gen);
  for (auto _ : state) {
    mul_(a, 1.0000001);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n, 2);
}

// A unary op that returns a fresh result (one untimed call first: the process's
// first huge pages are the slowest), and one that writes into a tensor kept across
// iterations.
template <class Op>
void run_unary(benchmark::State& state, Op op) {
  const std::int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = uniform({n}, gen);
  benchmark::DoNotOptimize(op(a));
  for (auto _ : state) benchmark::DoNotOptimize(op(a));
  set_bytes(state, n, 2);
}

template <class Op>
void run_unary_out(benchmark::State& state, Op op) {
  const std::int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = uniform({n}, gen);
  Tensor out = zeros({n});
  for (auto _ : state) {
    op(a, out);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n, 2);
}

void BM_exp(benchmark::State& state) {
  run_unary(state, [](const Tensor& a) { return exp(a); });
}
void BM_exp_out(benchmark::State& state) {
  run_unary_out(state, [](const Tensor& a, Tensor& out) { exp(a, out); });
}
void BM_gelu(benchmark::State& state) {
  run_unary(state, [](const Tensor& a) { return gelu(a); });
}
void BM_gelu_out(benchmark::State& state) {
  run_unary_out(state, [](const Tensor& a, Tensor& out) { gelu(a, out); });
}

void BM_sum(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = uniform({n}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(sum(a));
  set_bytes(state, n, 1);
}

void BM_sum_rows(benchmark::State& state) {  // (n/64, 64) summed over dim 1
  const std::int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = uniform({n / 64, 64}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(sum(a, {1}));
  set_bytes(state, n, 1);
}

void BM_sum_columns(benchmark::State& state) {  // (n/64, 64) summed over dim 0
  const std::int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = uniform({n / 64, 64}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(sum(a, {0}));
  set_bytes(state, n, 1);
}

// softmax of the grokking model's logits, batch 128 of 53 classes: by rows, and
// class-major (53 × 128 down its columns, as the model computes them)
void BM_softmax_rows(benchmark::State& state) {
  Generator gen(0);
  const Tensor x = normal({128, 53}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(softmax_and_logsumexp(x, 1).probs.data<float>());
}
void BM_softmax_columns(benchmark::State& state) {
  Generator gen(0);
  const Tensor x = normal({53, 128}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(softmax_and_logsumexp(x, 0).probs.data<float>());
}

void BM_normal_fill(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  Generator gen(1);
  Tensor a = zeros({n});
  for (auto _ : state) {
    normal_(a, gen);
    benchmark::ClobberMemory();
  }
  set_bytes(state, n, 1);
}

#define SIZES ->Arg(kSmall)->Arg(kLarge)->Arg(kHuge)->UseRealTime()
BENCHMARK(BM_memcpy) SIZES;
BENCHMARK(BM_memcpy_fresh) SIZES;
BENCHMARK(BM_add) SIZES;
BENCHMARK(BM_add_out) SIZES;
BENCHMARK(BM_add_inplace) SIZES;
BENCHMARK(BM_mul_scalar) SIZES;
BENCHMARK(BM_exp) SIZES;
BENCHMARK(BM_exp_out) SIZES;
BENCHMARK(BM_gelu) SIZES;
BENCHMARK(BM_gelu_out) SIZES;
BENCHMARK(BM_sum) SIZES;
BENCHMARK(BM_sum_rows) SIZES;
BENCHMARK(BM_sum_columns) SIZES;
BENCHMARK(BM_normal_fill) SIZES;
BENCHMARK(BM_softmax_rows);
BENCHMARK(BM_softmax_columns);

}  // namespace

BENCHMARK_MAIN();
