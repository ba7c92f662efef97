// Forward pass of the decoder-only transformers (llama, qwen2, qwen3): RMSNorm, grouped-query attention with rotary
// embeddings over the paged KV cache, SwiGLU feed-forward. One call runs a batch that may mix tokens of several
// sequences (prefill chunks and single decode steps alike); each token attends to its own sequence's cache.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "engine/forward-profile.h"
#include "engine/kv-cache.h"
#include "engine/matmul.h"
#include "engine/model.h"

namespace parley::engine {

struct BatchToken {
  int32_t token = 0;
  int32_t pos = 0;                 // position in its sequence
  const int32_t* blocks = nullptr;  // its sequence's KV block table, covering positions 0..pos
  bool logits = false;             // whether to compute this token's logits
};

class LlamaForward {
 public:
  // Buffers for up to `max_batch` tokens per call and `max_context` positions per sequence, allocated once here.
  LlamaForward(const Model& model, KvCache& cache, MatmulRunner& matmul, int max_batch, int max_context);

  // Writes the logits of the tokens with logits=true, in batch order, as rows of n_vocab floats.
  Status forward(std::span<const BatchToken> batch, float* logits);

  int max_batch() const { return max_batch_; }
  // Accumulates the wall time of every operation of later passes into `profile` (null: off, the default).
  void set_profile(ForwardProfile* profile) { profile_ = profile; }

 private:
  void attention(std::span<const BatchToken> batch, int layer);
  // Runs the matrix products of `targets` (one parallel pass), timed under `op` and their weight types when profiling.
  void matmul(std::string_view op, std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens);

  const Model& model_;
  const ModelParams& p_;
  KvCache& cache_;
  MatmulRunner& matmul_;
  int max_batch_;
  int max_context_;
  std::vector<float> x_, h_, q_, k_, v_, gate_, up_, selected_;  // q_ also receives the attention output
  std::vector<float> rope_cos_, rope_sin_;  // per token: n_rot / 2 values
  std::vector<uint16_t> kv16_;              // per token: its key and value in f16, on their way to the cache
  struct QueryRun {
    std::size_t begin, end;  // batch entries
  };
  std::vector<QueryRun> runs_;
  std::vector<float> head_scratch_;  // per thread: accumulators of one query run's heads of one group
  ForwardProfile* profile_ = nullptr;
};

}  // namespace parley::engine
