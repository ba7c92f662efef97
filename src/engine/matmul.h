// Matrix products of weights with a batch of activation rows: the activations are converted once into the format
// each weight type's kernel expects, then rows of the outputs are computed in parallel chunks by the active kernel
// set. Several weights reading the same input (q/k/v, gate/up) run in one parallel pass.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/model.h"
#include "engine/thread-pool.h"

namespace parley::engine {

struct MatmulTarget {
  const WeightMatrix* weight;
  float* out;                   // [n_tokens][weight->n_out]
  const float* bias = nullptr;  // added to every output row when set
};

class MatmulRunner {
 public:
  MatmulRunner(ThreadPool& pool, const kernels::KernelSet& kernels) : pool_(pool), kernels_(kernels) {}

  // For every target: out[t][r] = dot(weight row r, x[t]) (+ bias[r]), for t < n_tokens. All targets share n_in.
  void run(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens);
  void run(const MatmulTarget& target, const float* x, int64_t n_tokens) { run({&target, 1}, x, n_tokens); }

  ThreadPool& pool() { return pool_; }
  const kernels::KernelSet& kernels() const { return kernels_; }

 private:
  ThreadPool& pool_;
  const kernels::KernelSet& kernels_;
  std::vector<uint8_t> scratch_;  // grows to the largest batch seen, then is reused
};

}  // namespace parley::engine
