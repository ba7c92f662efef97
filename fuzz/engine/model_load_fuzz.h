// The model-loading fuzz property, shared by the libFuzzer target and the corpus replay test: arbitrary bytes as a
// model file go through the GGUF parser, the model loader's shape and type checks, and (for small decoder models)
// one forward pass of two tokens, so any shape the loader lets through must be safe to compute with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/gguf.h"
#include "engine/model-llama.h"

namespace parley::engine {

// Returns true when the input loaded as a model and a forward pass ran.
inline bool run_model_load_input(const uint8_t* data, std::size_t size) {
  auto file = GgufFile::from_bytes({data, size});
  if (!file.ok()) return false;
  auto model = Model::load(std::move(*file));
  if (!model.ok()) return false;
  const auto& p = (*model)->params();
  // Keep each run fast: compute only with small shapes.
  if (p.is_encoder() || p.n_embd > 256 || p.n_ff > 1024 || p.n_layer > 4 || p.q_dim() > 1024 || p.n_vocab > 4096) {
    return false;
  }
  ThreadPool pool(1);
  MatmulRunner matmul(pool, kernels::active_kernels());
  KvCache cache(p.n_layer, p.n_head_kv, p.head_dim, 1);
  LlamaForward forward(**model, cache, matmul, 2, KvCache::kBlockTokens);
  const int32_t block = *cache.allocate();
  const BatchToken batch[2] = {{0, 0, &block, false}, {p.n_vocab - 1, 1, &block, true}};
  std::vector<float> logits(static_cast<std::size_t>(p.n_vocab));
  return forward.forward(batch, logits.data()).ok();
}

}  // namespace parley::engine
