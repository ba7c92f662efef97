// Forward pass of BERT-family encoders for embeddings: learned absolute positions, post-norm layers (LayerNorm after
// each residual), bidirectional attention, GELU feed-forward, then mean or CLS pooling as the file says.
#pragma once

#include <cstdint>
#include <functional>
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
  // The embeddings of several sequences from one forward pass: every matrix product runs over all their tokens
  // (each weight is read once for the whole batch), attention stays within each sequence. `pause_point`, when set,
  // is called after every operation (a lower-priority caller may wait there while others use the cores).
  Result<std::vector<std::vector<float>>> embed_batch(std::span<const std::span<const int32_t>> sequences, bool normalize,
                                                      const std::function<void()>& pause_point = {});

 private:
  struct Span {
    int64_t first;  // row of the sequence's first token
    int64_t length;
  };
  void attention(std::span<const Span> sequences);

  const Model& model_;
  const ModelParams& p_;
  MatmulRunner& matmul_;
  // Sized for the longest sequence seen so far, then reused.
  std::vector<float> x_, h_, q_, k_, v_, attn_, ff_;
  std::vector<int64_t> first_run_;  // per sequence: its first run of queries among the attention tasks
};

}  // namespace parley::engine
