// Matmul speed: lambdahat's blocked GEMM, the naive reference kernel and, when
// available, OpenBLAS, side by side in one run.
//
//   BM_matmul/<impl>/N            square N×N·N×N on all threads
//   BM_peak/fma_one_core          the arithmetic peak of one core (FMAs, no memory)
//   BM_matmul_small/<impl>/MxKxN  the seed study's small shapes, one thread (_At: A
//                                 a transposed view, the layout of weight gradients;
//                                 _Bt: B a transposed view, as in x·Wᵀ or in the
//                                 weight gradients of feature-major activations)
//   BM_matmul_batch/<impl>/MxKxN  the same layers over 16 000 rows, one thread
//   BM_matmul_layers/<impl>/MxKxN the products of one SGLD step of bench_sgld's
//                                 large networks (dln256, mlp), one thread
//
// The FLOPS counter is 2·M·N·K per iteration.
#include <benchmark/benchmark.h>

#include "lambdahat.hpp"
#include "tensor/detail/gemm.hpp"
#include "tensor/detail/simd.hpp"

#ifdef LAMBDAHAT_HAVE_OPENBLAS
#include <cblas.h>
extern "C" void openblas_set_num_threads(int);
#endif

namespace {

using namespace lambdahat;

enum class Impl { lambdahat, naive, blas };

enum class Layout { plain, a_t, b_t };

// a_t: A stored transposed (K × M in memory), as in a weight gradient gᵀ·x; b_t: B
// stored transposed (N × K in memory), as in g·hᵀ with h stored feature-major.
void run(benchmark::State& state, Impl impl, std::int64_t M, std::int64_t K, std::int64_t N, int threads,
         Layout layout = Layout::plain) {
  Generator gen(1);
  const Tensor a = uniform({M, K}, gen, -1, 1), b = uniform({K, N}, gen, -1, 1);
  const bool a_t = layout == Layout::a_t, b_t = layout == Layout::b_t;
  const std::int64_t rsa = a_t ? 1 : K, csa = a_t ? M : 1;
  const std::int64_t rsb = b_t ? 1 : N, csb = b_t ? K : 1;
  Tensor c = zeros({M, N});
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = c.data<float>();
  set_num_threads(threads);
#ifdef LAMBDAHAT_HAVE_OPENBLAS
  openblas_set_num_threads(threads);
#endif
  for (auto _ : state) {
    switch (impl) {
      case Impl::lambdahat: detail::gemm<float>(M, N, K, 1, pa, rsa, csa, pb, rsb, csb, 0, pc, N, 1); break;
      case Impl::naive: detail::gemm_reference<float>(M, N, K, 1, pa, rsa, csa, pb, rsb, csb, 0, pc, N, 1); break;
      case Impl::blas:
#ifdef LAMBDAHAT_HAVE_OPENBLAS
        cblas_sgemm(CblasRowMajor, a_t ? CblasTrans : CblasNoTrans, b_t ? CblasTrans : CblasNoTrans,
                    static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), 1.0f, pa,
                    static_cast<int>(a_t ? M : K), pb, static_cast<int>(b_t ? K : N), 0.0f, pc,
                    static_cast<int>(N));
#endif
        break;
    }
    benchmark::DoNotOptimize(pc);
    benchmark::ClobberMemory();
  }
  state.counters["FLOPS"] =
      benchmark::Counter(2.0 * double(M) * double(N) * double(K), benchmark::Counter::kIsIterationInvariantRate);
}

// The arithmetic peak of one core: 16 independent chains of fused multiply-adds
// on whole vectors (enough to cover the FMA latency on two FMA units), nothing
// loaded or stored. FLOPS counts 2 per lane per FMA.
void BM_fma_peak(benchmark::State& state) {
  using V = simd::Vec<float>;
  constexpr int kChains = 16;
  constexpr std::int64_t kSteps = 1 << 16;
  V acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = V(1.0f + 1e-3f * static_cast<float>(c));
  const V b(0.999999f), d(1e-7f);
  for (auto _ : state) {
    for (std::int64_t i = 0; i < kSteps; ++i) {
#pragma GCC unroll 16
      for (int c = 0; c < kChains; ++c) acc[c] = simd::fma(acc[c], b, d);
    }
    benchmark::DoNotOptimize(acc);
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * kChains * kSteps * static_cast<double>(simd::kLanes<float>),
                                               benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_fma_peak)->Name("BM_peak/fma_one_core")->Unit(benchmark::kMicrosecond);

// A product shape and the layout of its operands.
struct Shape {
  std::int64_t M, K, N;
  Layout layout = Layout::plain;
};

// Registers `group`/<impl>/MxKxN[_At|_Bt] for every shape, one thread.
void register_one_thread(const char* group, Impl impl, const char* impl_name, const std::vector<Shape>& shapes) {
  for (const Shape& b : shapes) {
    const char* suffix = b.layout == Layout::a_t ? "_At" : b.layout == Layout::b_t ? "_Bt" : "";
    benchmark::RegisterBenchmark((std::string(group) + "/" + impl_name + "/" + std::to_string(b.M) + "x" +
                                  std::to_string(b.K) + "x" + std::to_string(b.N) + suffix)
                                     .c_str(),
                                 [=](benchmark::State& s) { run(s, impl, b.M, b.K, b.N, 1, b.layout); })
        ->Unit(benchmark::kMicrosecond);
  }
}

int register_all() {
  std::vector<std::pair<const char*, Impl>> impls = {{"lambdahat", Impl::lambdahat}, {"naive", Impl::naive}};
#ifdef LAMBDAHAT_HAVE_OPENBLAS
  impls.push_back({"blas", Impl::blas});
#endif
  const int all = num_threads();
  for (auto [name, impl] : impls)
    for (std::int64_t n : {64, 128, 256, 512, 1024}) {
      if (impl == Impl::naive && n > 512) continue;  // minutes per iteration, and the point is made
      benchmark::RegisterBenchmark((std::string("BM_matmul/") + name + "/" + std::to_string(n)).c_str(),
                                   [=](benchmark::State& s) { run(s, impl, n, n, n, all); })
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
  const std::vector<Shape> small = {
      // the seed study's products, forward and backward (MxKxN)
      {128, 12, 48}, {128, 48, 53}, {48, 128, 53}, {128, 53, 48},              // grokking MLP
      {512, 8, 8},   {8, 512, 8},   {512, 8, 2},   {512, 2, 8},   {2, 512, 8},  // toy model
      {1000, 10, 10}, {10, 1000, 10}, {10, 10, 1000},                           // deep linear network
      // weight gradients gᵀ·x, with A a transposed view (suffix _At)
      {8, 512, 8, Layout::a_t}, {2, 512, 8, Layout::a_t}, {10, 1000, 10, Layout::a_t}, {48, 128, 53, Layout::a_t},
      // B a transposed view (suffix _Bt): linear layers x·Wᵀ, a feature-major first
      // layer W·xᵀ, weight gradients g·hᵀ of feature-major activations
      {128, 12, 48, Layout::b_t}, {128, 48, 53, Layout::b_t}, {10, 10, 1000, Layout::b_t},
      {10, 1000, 10, Layout::b_t}};
  // the same layers over a large batch (16000 rows): one operand small, the other
  // streamed
  const std::vector<Shape> batched = {
      {16000, 10, 10, Layout::b_t}, {10, 16000, 10, Layout::a_t},  // deep linear network in rows: x·Wᵀ, gᵀ·x
      {10, 10, 16000, Layout::plain}, {10, 16000, 10, Layout::b_t},  // feature-major: W·h, g·hᵀ
      {16000, 8, 2, Layout::b_t},   {2, 16000, 8, Layout::a_t},    // toy model: x·Wᵀ, gᵀ·x
      {16000, 48, 53, Layout::b_t}, {53, 4000, 48, Layout::a_t}};  // grokking MLP's output layer
  // the products of one step of the large networks of bench_sgld, batch 256: forward
  // x·Wᵀ, weight gradients gᵀ·x, input gradients g·W
  const std::vector<Shape> layers = {
      {256, 256, 256, Layout::b_t}, {256, 256, 256, Layout::a_t}, {256, 256, 256, Layout::plain},  // dln256
      {256, 784, 256, Layout::b_t}, {256, 256, 784, Layout::a_t},                                  // mlp 784→256
      {256, 256, 10, Layout::b_t},  {10, 256, 256, Layout::a_t},  {256, 10, 256, Layout::plain}};  // mlp 256→10
  for (auto [name, impl] : impls) register_one_thread("BM_matmul_small", impl, name, small);
  for (auto [name, impl] : impls) {
    if (impl == Impl::naive) continue;
    register_one_thread("BM_matmul_batch", impl, name, batched);
    register_one_thread("BM_matmul_layers", impl, name, layers);
  }
  return 0;
}

const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
