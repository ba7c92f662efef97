// Forward pass of BERT-family encoders for embeddings: learned absolute positions, post-norm layers (LayerNorm after
// each residual), bidirectional attention, GELU feed-forward, then mean or CLS pooling as the file says.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.h"
#include "engine/matmul.h"
#include "engine/model.h"

namespace parley::engine {

class BertForward {
 public:
  BertForward(const Model& model, MatmulRunner& matmul);

  // The pooled embedding of one token sequence (n_embd floats), scaled to unit length when `normalize`.
  Result<std::vector<float>> embed(std::span<const int32_t> tokens, bool normalize);

 private:
  void attention(int64_t n_tokens);

  const Model& model_;
  const ModelParams& p_;
  MatmulRunner& matmul_;
  // Sized for the longest sequence seen so far, then reused.
  std::vector<float> x_, h_, q_, k_, v_, attn_, ff_;
  std::vector<uint16_t> k16_, v16_;
  std::vector<float> acc_scratch_;  // per thread: accumulators of one run of queries
};

}  // namespace parley::engine
