// Matrix-product kernels per weight type at decode (one activation row) and prefill (many rows) shapes, for every
// instruction set the CPU supports: `bench_engine_kernels --benchmark_filter=q4_k`.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/quants.h"

namespace parley::engine {
namespace {

struct Operands {
  std::vector<uint8_t> weights, activations;
  std::vector<float> out;
  std::size_t w_stride = 0, a_stride = 0;
};

Operands make_operands(TensorType type, int64_t n, int64_t rows, int64_t acts) {
  std::mt19937 rng(1);
  std::normal_distribution<float> dist;
  std::vector<float> row(static_cast<std::size_t>(n));
  Operands o;
  o.w_stride = static_cast<std::size_t>(*tensor_row_bytes(type, static_cast<uint64_t>(n)));
  const TensorType act = activation_type(type);
  o.a_stride = static_cast<std::size_t>(*tensor_row_bytes(act, static_cast<uint64_t>(n)));
  o.weights.resize(o.w_stride * static_cast<std::size_t>(rows));
  o.activations.resize(o.a_stride * static_cast<std::size_t>(acts));
  for (int64_t r = 0; r < rows; ++r) {
    for (auto& v : row) v = dist(rng);
    quantize_row(type, row.data(), o.weights.data() + static_cast<std::size_t>(r) * o.w_stride, n);
  }
  for (int64_t a = 0; a < acts; ++a) {
    for (auto& v : row) v = dist(rng);
    quantize_activation_row(act, row.data(), o.activations.data() + static_cast<std::size_t>(a) * o.a_stride, n);
  }
  o.out.resize(static_cast<std::size_t>(rows * acts));
  return o;
}

// `interleaved`: the weights rearranged at load (quants.h) and the set's kernel for that layout.
void gemm(benchmark::State& state, kernels::Isa isa, TensorType type, int64_t acts, bool interleaved) {
  if (!kernels::isa_supported(isa)) {
    state.SkipWithError("instruction set not supported");
    return;
  }
  const auto& set = kernels::kernels_for(isa);
  if (interleaved && set.gemm_interleaved[static_cast<int>(type)] == nullptr) {
    state.SkipWithError("no interleaved kernel for this type");
    return;
  }
  const int64_t n = 1024, rows = 256;
  auto o = make_operands(type, n, rows, acts);
  if (interleaved) {
    const int64_t group = interleaved_group_rows(type);
    std::vector<uint8_t> scratch(o.w_stride * static_cast<std::size_t>(group));
    for (int64_t r = 0; r < rows; r += group) {
      interleave_rows(type, o.weights.data() + static_cast<std::size_t>(r) * o.w_stride,
                      n / tensor_type_traits(type).block_elements, scratch.data());
    }
  }
  const auto fn = interleaved ? set.gemm_interleaved[static_cast<int>(type)] : set.gemm[static_cast<int>(type)];
  for (auto _ : state) {
    fn(n, o.weights.data(), o.w_stride, rows, o.activations.data(), o.a_stride, acts, o.out.data(),
       static_cast<std::size_t>(rows));
    benchmark::DoNotOptimize(o.out.data());
  }
  state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(n * rows * acts) * state.iterations() / 1e9,
                                                benchmark::Counter::kIsRate);
  state.counters["weight GB/s"] = benchmark::Counter(static_cast<double>(o.weights.size()) * state.iterations() / 1e9,
                                                     benchmark::Counter::kIsRate);
}

void register_all() {
  for (auto isa : {kernels::Isa::scalar, kernels::Isa::avx2, kernels::Isa::avx512}) {
    for (auto type : {TensorType::f16, TensorType::bf16, TensorType::q8_0, TensorType::q4_0, TensorType::q4_1,
                      TensorType::q5_0, TensorType::q5_1, TensorType::q4_k, TensorType::q5_k, TensorType::q6_k}) {
      for (bool interleaved : {false, true}) {
        if (interleaved && (isa != kernels::Isa::avx512 || interleaved_group_rows(type) == 0)) continue;
        for (int64_t acts : {1, 4, 8, 64, 128}) {
          const std::string name = "gemm/" + std::string(kernels::isa_name(isa)) + "/" +
                                   std::string(tensor_type_name(type)) + (interleaved ? "-interleaved" : "") +
                                   "/acts:" + std::to_string(acts);
          benchmark::RegisterBenchmark(name.c_str(),
                                       [=](benchmark::State& state) { gemm(state, isa, type, acts, interleaved); });
        }
      }
    }
  }
}

}  // namespace
}  // namespace parley::engine

int main(int argc, char** argv) {
  parley::engine::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
