// Writing quantized models: the per-tensor type plan of llama.cpp's mixes (the output matrix at Q6_K for every
// quantized type below 8 bits; the _M mixes also keep some attention-value and feed-forward-down matrices at Q6_K;
// k-quant rows that are not whole 256-element blocks fall
// back to 32-element types), `parley model quantize` (re-quantize a GGUF file) and `parley model synth`
// (a random-weight model of any shape, for benchmarks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "engine/tensor-type.h"

namespace parley::engine {

// A target of `model quantize` / `model synth`: one type everywhere, or a k-quant mix.
struct QuantMix {
  TensorType base = TensorType::f16;
  bool medium = false;  // the _M mixes: more bits for output, attn_v and half of ffn_down
  std::string name;     // as given ("q4_k_m", "q8_0", ...)
};

// Parses f32, f16, bf16, q4_0, q4_1, q5_0, q5_1, q8_0, q4_k (= q4_k_s), q5_k (= q5_k_s), q6_k, q4_k_m, q5_k_m.
std::optional<QuantMix> parse_quant_mix(std::string_view name);

// The type of 2-D weight `name` (GGUF tensor name) with rows of n_in elements, in a model of n_layers layers;
// `tied_output` when token_embd doubles as the output matrix.
TensorType plan_tensor_type(const QuantMix& mix, std::string_view name, int64_t n_in, int n_layers, bool tied_output);

// Re-quantizes every 2-D weight of `input` into `output` per the plan; other tensors and all metadata are copied.
Status quantize_model(const std::string& input, const std::string& output, const QuantMix& mix);

struct SynthShape {
  std::string arch = "llama";  // llama, qwen2, qwen3 or bert
  int dim = 0;
  int ff = 0;
  int layers = 0;
  int heads = 0;
  int kv_heads = 0;
  bool tied_output = true;
  int vocab_size = 0;  // rows of the embedding (and output) matrix, at least the tokenizer's tokens; 0: exactly those
  int context_length = 4096;
  uint64_t seed = 1;
};

// Writes a model of `shape` with random weights and the tokenizer (all tokenizer.* metadata) of `vocab_file`.
Status synthesize_model(const SynthShape& shape, const std::string& vocab_file, const QuantMix& mix,
                        const std::string& output);

}  // namespace parley::engine
