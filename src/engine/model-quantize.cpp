#include "engine/model-quantize.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <span>
#include <vector>

#include "engine/gguf-writer.h"
#include "engine/gguf.h"
#include "engine/quants.h"

namespace parley::engine {
namespace {

bool is_k_quant(TensorType type) {
  return type == TensorType::q4_k || type == TensorType::q5_k || type == TensorType::q6_k;
}

// What llama.cpp uses when a k-quant does not fit the row length.
TensorType k_quant_fallback(TensorType type) {
  switch (type) {
    case TensorType::q4_k: return TensorType::q5_0;
    case TensorType::q5_k: return TensorType::q5_1;
    case TensorType::q6_k: return TensorType::q8_0;
    default: return type;
  }
}

// The layer number in "blk.N.…", or -1.
int layer_of(std::string_view name) {
  if (!name.starts_with("blk.")) return -1;
  int layer = 0;
  std::size_t i = 4;
  if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) layer = layer * 10 + (name[i++] - '0');
  return layer;
}

// llama.cpp's "use more bits" layers of the _M mixes: the first and last eighth, and every third in between.
bool more_bits_layer(int layer, int n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// Cheap reproducible normal-ish numbers (sum of uniforms) for random weights.
class WeightRng {
 public:
  explicit WeightRng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float next() {
    float sum = 0;
    for (int i = 0; i < 4; ++i) sum += static_cast<float>(step() >> 40) * (1.0f / 16777216.0f);
    return (sum - 2.0f) * 1.7320508f;  // unit variance
  }

 private:
  uint64_t step() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  uint64_t state_;
};

// Quantizes n_out rows of n_in elements into `out` in `type`; fill_row(r, floats) provides each row's values (one row
// buffer at a time, so a large matrix never exists in f32).
template <typename FillRow>
void quantize_matrix(TensorType type, int64_t n_in, int64_t n_out, FillRow fill_row, std::span<uint8_t> out) {
  const auto row_bytes = static_cast<std::size_t>(*tensor_row_bytes(type, static_cast<uint64_t>(n_in)));
  std::vector<float> row(static_cast<std::size_t>(n_in));
  for (int64_t r = 0; r < n_out; ++r) {
    fill_row(r, row.data());
    quantize_row(type, row.data(), out.data() + static_cast<std::size_t>(r) * row_bytes, n_in);
  }
}

// GGUF general.file_type numbers (llama.cpp's LLAMA_FTYPE_*), recorded for tools that show them.
uint32_t file_type_of(const QuantMix& mix) {
  switch (mix.base) {
    case TensorType::f32: return 0;
    case TensorType::f16: return 1;
    case TensorType::q4_0: return 2;
    case TensorType::q4_1: return 3;
    case TensorType::q8_0: return 7;
    case TensorType::q5_0: return 8;
    case TensorType::q5_1: return 9;
    case TensorType::q4_k: return mix.medium ? 15 : 14;
    case TensorType::q5_k: return mix.medium ? 17 : 16;
    case TensorType::q6_k: return 18;
    case TensorType::bf16: return 32;
    default: return 0;
  }
}

}  // namespace

std::optional<QuantMix> parse_quant_mix(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  QuantMix mix;
  mix.name = lower;
  std::string base = lower;
  if (lower == "q4_k_m" || lower == "q5_k_m") {
    mix.medium = true;
    base = lower.substr(0, 4);
  } else if (lower == "q4_k_s" || lower == "q5_k_s") {
    base = lower.substr(0, 4);
  }
  const auto type = tensor_type_from_name(base);
  if (!type || !tensor_type_traits(*type).computable) return std::nullopt;
  mix.base = *type;
  return mix;
}

TensorType plan_tensor_type(const QuantMix& mix, std::string_view name, int64_t n_in, int n_layers, bool tied_output) {
  TensorType type = mix.base;
  const bool quantized = tensor_type_traits(mix.base).block_elements > 1;
  const bool output = name == "output.weight" || (tied_output && name == "token_embd.weight");
  if (quantized && mix.base != TensorType::q8_0 && output) {
    type = TensorType::q6_k;
  } else if (mix.medium) {
    const int layer = layer_of(name);
    const bool value_or_down = name.ends_with("attn_v.weight") || name.ends_with("ffn_down.weight");
    if (value_or_down && layer >= 0 && more_bits_layer(layer, n_layers)) type = TensorType::q6_k;
  }
  if (is_k_quant(type) && n_in % 256 != 0) type = k_quant_fallback(type);
  if (n_in % static_cast<int64_t>(tensor_type_traits(type).block_elements) != 0) type = TensorType::f16;
  return type;
}

Status quantize_model(const std::string& input, const std::string& output, const QuantMix& mix) {
  PARLEY_ASSIGN_OR_RETURN(auto file, GgufFile::open(input));
  PARLEY_ASSIGN_OR_RETURN(const auto arch, file.architecture());
  PARLEY_ASSIGN_OR_RETURN(const uint32_t n_layers, file.get_u32(arch + ".block_count"));
  const bool tied = file.find_tensor("output.weight") == nullptr;
  GgufWriter writer;
  for (const auto& kv : file.metadata()) {
    if (kv.key == "general.file_type" || kv.key == "general.alignment") continue;
    writer.copy_metadata(kv);
  }
  writer.set_u32("general.file_type", file_type_of(mix));
  for (const auto& tensor : file.tensors()) {
    if (!tensor_type_traits(tensor.type).computable) {
      return make_error(ErrorCode::unprocessable, "tensor '" + std::string(tensor.name) + "' has type " +
                                                      std::string(tensor_type_name(tensor.type)) +
                                                      ", which cannot be re-quantized");
    }
    const std::vector<int64_t> dims(tensor.ne, tensor.ne + tensor.n_dims);
    if (tensor.n_dims != 2) {
      PARLEY_TRY(writer.add_tensor(tensor.name, tensor.type, dims, {tensor.data, tensor.n_bytes}));
      continue;
    }
    const TensorType type = plan_tensor_type(mix, tensor.name, tensor.ne[0], static_cast<int>(n_layers), tied);
    // Quantized while the file is written (the input stays mapped until then), one tensor in memory at a time.
    PARLEY_TRY(writer.add_tensor(tensor.name, type, dims, [&tensor, type](std::span<uint8_t> out) -> Status {
      const auto row_bytes = tensor.row_bytes();
      quantize_matrix(type, tensor.ne[0], tensor.rows(), [&](int64_t r, float* row) {
        dequantize_row(tensor.type, tensor.data + static_cast<std::size_t>(r) * row_bytes, row, tensor.ne[0]);
      }, out);
      return {};
    }));
  }
  return writer.write(output);
}

Status synthesize_model(const SynthShape& shape, const std::string& vocab_file, const QuantMix& mix,
                        const std::string& output) {
  if (shape.arch != "llama" && shape.arch != "qwen2" && shape.arch != "qwen3" && shape.arch != "bert") {
    return make_error(ErrorCode::invalid_request, "synth supports the llama, qwen2, qwen3 and bert architectures");
  }
  if (shape.dim <= 0 || shape.ff <= 0 || shape.layers <= 0 || shape.heads <= 0 || shape.kv_heads <= 0 ||
      shape.dim % shape.heads != 0 || shape.heads % shape.kv_heads != 0 || (shape.dim / shape.heads) % 2 != 0) {
    return make_error(ErrorCode::invalid_request,
                      "synth needs positive sizes, dim divisible by heads (even head size) and heads by kv-heads");
  }
  PARLEY_ASSIGN_OR_RETURN(auto vocab, GgufFile::open(vocab_file));
  PARLEY_ASSIGN_OR_RETURN(const uint64_t n_tokens, vocab.get_array_size("tokenizer.ggml.tokens"));
  // Real models often pad their embedding past the tokenizer (Qwen2.5-7B: 152,064 rows for 151,665 tokens).
  if (shape.vocab_size != 0 && static_cast<uint64_t>(shape.vocab_size) < n_tokens) {
    return make_error(ErrorCode::invalid_request, "synth: the vocabulary size is smaller than the tokenizer's " +
                                                      std::to_string(n_tokens) + " tokens");
  }
  const uint64_t n_vocab = shape.vocab_size != 0 ? static_cast<uint64_t>(shape.vocab_size) : n_tokens;
  const int head_dim = shape.dim / shape.heads;
  const std::string a = shape.arch;

  const bool encoder = a == "bert";
  if (encoder && shape.kv_heads != shape.heads) {
    return make_error(ErrorCode::invalid_request, "a bert encoder has as many key/value heads as heads");
  }

  GgufWriter writer;
  writer.set_string("general.architecture", a);
  writer.set_string("general.name", "synthetic-" + a);
  writer.set_u32(a + ".context_length", static_cast<uint32_t>(shape.context_length));
  writer.set_u32(a + ".embedding_length", static_cast<uint32_t>(shape.dim));
  writer.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(shape.ff));
  writer.set_u32(a + ".block_count", static_cast<uint32_t>(shape.layers));
  writer.set_u32(a + ".attention.head_count", static_cast<uint32_t>(shape.heads));
  if (encoder) {
    // BERT-family sentence encoders (bge, MiniLM): LayerNorm, bidirectional attention, mean pooling.
    writer.set_f32(a + ".attention.layer_norm_epsilon", 1e-12f);
    writer.set_bool(a + ".attention.causal", false);
    writer.set_u32(a + ".pooling_type", 1);
  } else {
    writer.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(shape.kv_heads));
    writer.set_f32(a + ".attention.layer_norm_rms_epsilon", 1e-6f);
    writer.set_f32(a + ".rope.freq_base", a == "llama" ? 10000.0f : 1000000.0f);
    writer.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(head_dim));
    writer.set_u32(a + ".vocab_size", static_cast<uint32_t>(n_vocab));
  }
  writer.set_u32("general.file_type", file_type_of(mix));
  for (const auto& kv : vocab.metadata()) {
    if (kv.key.starts_with("tokenizer.")) writer.copy_metadata(kv);
  }

  // Each matrix is generated (from a seed of its own) and quantized while the file is written, one at a time, so
  // that a model of several GB never has to be in memory.
  uint64_t matrix_seed = shape.seed * 0x100000001B3ull;
  auto add_matrix = [&](const std::string& name, int64_t n_in, int64_t n_out, float scale) -> Status {
    const TensorType type = plan_tensor_type(mix, name, n_in, shape.layers, shape.tied_output);
    const std::vector<int64_t> dims{n_in, n_out};
    return writer.add_tensor(name, type, dims, [=, seed = ++matrix_seed](std::span<uint8_t> out) -> Status {
      WeightRng rng(seed);
      quantize_matrix(type, n_in, n_out, [&](int64_t, float* row) {
        for (int64_t i = 0; i < n_in; ++i) row[i] = rng.next() * scale;
      }, out);
      return {};
    });
  };
  auto add_vector = [&](const std::string& name, int64_t n, float value) -> Status {
    std::vector<float> v(static_cast<std::size_t>(n), value);
    const std::vector<int64_t> dims{n};
    return writer.add_tensor(name, TensorType::f32, dims,
                             {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(float)});
  };
  const int64_t dim = shape.dim, kv_dim = static_cast<int64_t>(shape.kv_heads) * head_dim, ff = shape.ff;
  const float in_scale = 1.0f / std::sqrt(static_cast<float>(dim));
  PARLEY_TRY(add_matrix("token_embd.weight", dim, static_cast<int64_t>(n_vocab), 1.0f));
  if (encoder) {
    // Position and token-type tables stay f32, as llama.cpp's converter and quantizer leave them.
    const auto add_f32_matrix = [&](const std::string& name, int64_t n_in, int64_t n_out) -> Status {
      std::vector<float> values(static_cast<std::size_t>(n_in * n_out));
      WeightRng rng(++matrix_seed);
      for (float& value : values) value = rng.next() * 0.1f;
      const std::vector<int64_t> dims{n_in, n_out};
      return writer.add_tensor(name, TensorType::f32, dims,
                               {reinterpret_cast<const uint8_t*>(values.data()), values.size() * sizeof(float)});
    };
    PARLEY_TRY(add_f32_matrix("position_embd.weight", dim, shape.context_length));
    PARLEY_TRY(add_f32_matrix("token_types.weight", dim, 2));
    PARLEY_TRY(add_vector("token_embd_norm.weight", dim, 1.0f));
    PARLEY_TRY(add_vector("token_embd_norm.bias", dim, 0.0f));
    for (int l = 0; l < shape.layers; ++l) {
      const std::string p = "blk." + std::to_string(l) + ".";
      for (const char* part : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
        PARLEY_TRY(add_matrix(p + part + ".weight", dim, dim, in_scale));
        PARLEY_TRY(add_vector(p + part + ".bias", dim, 0.0f));
      }
      PARLEY_TRY(add_vector(p + "attn_output_norm.weight", dim, 1.0f));
      PARLEY_TRY(add_vector(p + "attn_output_norm.bias", dim, 0.0f));
      PARLEY_TRY(add_matrix(p + "ffn_up.weight", dim, ff, in_scale));
      PARLEY_TRY(add_vector(p + "ffn_up.bias", ff, 0.0f));
      PARLEY_TRY(add_matrix(p + "ffn_down.weight", ff, dim, 1.0f / std::sqrt(static_cast<float>(ff))));
      PARLEY_TRY(add_vector(p + "ffn_down.bias", dim, 0.0f));
      PARLEY_TRY(add_vector(p + "layer_output_norm.weight", dim, 1.0f));
      PARLEY_TRY(add_vector(p + "layer_output_norm.bias", dim, 0.0f));
    }
    return writer.write(output);
  }
  PARLEY_TRY(add_vector("output_norm.weight", dim, 1.0f));
  if (!shape.tied_output) PARLEY_TRY(add_matrix("output.weight", dim, static_cast<int64_t>(n_vocab), in_scale));
  for (int l = 0; l < shape.layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    PARLEY_TRY(add_vector(p + "attn_norm.weight", dim, 1.0f));
    PARLEY_TRY(add_matrix(p + "attn_q.weight", dim, dim, in_scale));
    PARLEY_TRY(add_matrix(p + "attn_k.weight", dim, kv_dim, in_scale));
    PARLEY_TRY(add_matrix(p + "attn_v.weight", dim, kv_dim, in_scale));
    PARLEY_TRY(add_matrix(p + "attn_output.weight", dim, dim, in_scale));
    if (a == "qwen2") {
      PARLEY_TRY(add_vector(p + "attn_q.bias", dim, 0.0f));
      PARLEY_TRY(add_vector(p + "attn_k.bias", kv_dim, 0.0f));
      PARLEY_TRY(add_vector(p + "attn_v.bias", kv_dim, 0.0f));
    }
    if (a == "qwen3") {
      PARLEY_TRY(add_vector(p + "attn_q_norm.weight", head_dim, 1.0f));
      PARLEY_TRY(add_vector(p + "attn_k_norm.weight", head_dim, 1.0f));
    }
    PARLEY_TRY(add_vector(p + "ffn_norm.weight", dim, 1.0f));
    PARLEY_TRY(add_matrix(p + "ffn_gate.weight", dim, ff, in_scale));
    PARLEY_TRY(add_matrix(p + "ffn_up.weight", dim, ff, in_scale));
    PARLEY_TRY(add_matrix(p + "ffn_down.weight", ff, dim, 1.0f / std::sqrt(static_cast<float>(ff))));
  }
  return writer.write(output);
}

}  // namespace parley::engine
