// One forward + backward pass of the seed study's small graphs, built directly on
// Variables (no nn layer in between), float32, one thread:
//   BM_grok_forward_backward  modular-addition MLP, p = 53, embed 12, hidden 48, batch 128
//   BM_tms_forward_backward   toy model of superposition, 8 features, 2 hidden, batch 512
//   BM_op_overhead            a chain of 16 tiny ops, to see the per-op cost
#include <benchmark/benchmark.h>

#include "lambdahat.hpp"

namespace {

using namespace lambdahat;

void BM_grok_forward_backward(benchmark::State& state) {
  set_num_threads(1);
  const std::int64_t p = 53, e = 12, h = 48, batch = 128;
  Generator gen(1);
  Variable embed(normal({p, e}, gen), true), w_left(normal({e, h}, gen, 0, 0.3), true),
      b_left(zeros({h}), true), w_right(normal({e, h}, gen, 0, 0.3), true), b_right(zeros({h}), true),
      w_out(normal({h, p}, gen, 0, 0.15), true);
  const Tensor a = randint(0, p, {batch}, gen), b = randint(0, p, {batch}, gen);
  const Tensor labels = randint(0, p, {batch}, gen);
  for (auto _ : state) {
    const Variable hidden = gelu(matmul(embedding(embed, a), w_left) + b_left + matmul(embedding(embed, b), w_right) + b_right);
    const Variable loss = cross_entropy(matmul(hidden, w_out), labels);
    loss.backward();
    for (auto* v : {&embed, &w_left, &b_left, &w_right, &b_right, &w_out}) v->zero_grad();
  }
}

void BM_tms_forward_backward(benchmark::State& state) {
  set_num_threads(1);
  const std::int64_t c = 8, r = 2, batch = 512;
  Generator gen(2);
  Variable w(normal({r, c}, gen, 0, 0.5), true), bias(zeros({c}), true);
  const Tensor x = one_hot(randint(0, c, {batch}, gen), c);
  for (auto _ : state) {
    const Variable out = relu(matmul(matmul(Variable(x), transpose(w, 0, 1)), w) + bias);
    const Variable loss = mse_loss(out, Variable(x));
    loss.backward();
    w.zero_grad();
    bias.zero_grad();
  }
}

void BM_op_overhead(benchmark::State& state) {
  set_num_threads(1);
  Variable x(ones({4}), true);
  for (auto _ : state) {
    Variable y = x;
    for (int i = 0; i < 16; ++i) y = y * x;
    sum(y).backward();
    x.zero_grad();
  }
  state.counters["ns_per_op"] = benchmark::Counter(17, benchmark::Counter::kIsIterationInvariantRate |
                                                           benchmark::Counter::kInvert);
}

BENCHMARK(BM_grok_forward_backward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_tms_forward_backward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_op_overhead)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
