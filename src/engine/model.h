// A loaded model: hyper-parameters read from GGUF metadata and weights bound to the memory-mapped tensors, every
// shape and type checked against the hyper-parameters when loading (so the forward pass needs no checks).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/gguf.h"
#include "engine/tensor-type.h"

namespace parley::engine {

enum class Architecture { llama, qwen2, qwen3, bert };
enum class RopeStyle { normal, neox };  // rotate adjacent pairs (2i, 2i+1), or split halves (i, i + n_rot/2)
enum class Pooling { none, mean, cls };

struct ModelParams {
  Architecture arch = Architecture::llama;
  std::string arch_name;
  int n_vocab = 0;
  int n_embd = 0;
  int n_ff = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int n_rot = 0;
  float rope_base = 10000.0f;
  RopeStyle rope_style = RopeStyle::normal;
  float norm_eps = 1e-5f;
  int n_ctx_train = 0;
  bool causal = true;
  Pooling pooling = Pooling::none;
  bool tied_output = false;

  int q_dim() const { return n_head * head_dim; }
  int kv_dim() const { return n_head_kv * head_dim; }
  bool is_encoder() const { return arch == Architecture::bert; }
};

// A 2-D weight: n_out rows of n_in elements, each row `row_bytes` long in its block format.
struct WeightMatrix {
  TensorType type = TensorType::f32;
  const uint8_t* data = nullptr;
  int64_t n_in = 0;
  int64_t n_out = 0;
  std::size_t row_bytes = 0;
  // Rows interleaved in groups of interleaved_group_rows(type) (quants.h), for KernelSet::gemm_interleaved: row(r)
  // is then valid only for r a multiple of the group (its start), and dequantize_row reads the layout.
  bool interleaved = false;

  explicit operator bool() const { return data != nullptr; }
  const uint8_t* row(int64_t r) const { return data + static_cast<std::size_t>(r) * row_bytes; }
  // Row r as n_in floats (embedding lookups), in either layout.
  void dequantize_row(int64_t r, float* out) const;
};

struct LayerWeights {
  std::vector<float> attn_norm, attn_norm_bias;
  WeightMatrix wq, wk, wv, wo;
  std::vector<float> bq, bk, bv, bo;    // qwen2 q/k/v biases; bert all four
  std::vector<float> q_norm, k_norm;    // qwen3 per-head RMS norms
  std::vector<float> ffn_norm;          // decoders: pre-feed-forward RMS norm
  WeightMatrix gate, up, down;
  std::vector<float> up_bias, down_bias;                         // bert
  std::vector<float> attn_out_norm, attn_out_norm_bias;          // bert: post-attention layer norm
  std::vector<float> layer_out_norm, layer_out_norm_bias;        // bert: post-feed-forward layer norm
};

class Model {
 public:
  // Binds the weights of `file`; the model keeps (a copy of) the file, so the mapping lives as long as the model.
  static Result<std::shared_ptr<const Model>> load(GgufFile file);

  const ModelParams& params() const { return params_; }
  const GgufFile& file() const { return file_; }

  WeightMatrix token_embd;  // n_out = n_vocab rows of n_embd
  WeightMatrix output;      // the same matrix as token_embd when tied
  std::vector<float> output_norm, output_norm_bias;
  // bert
  WeightMatrix position_embd, token_types;
  std::vector<float> embd_norm, embd_norm_bias;
  std::vector<LayerWeights> layers;

 private:
  friend class ModelLoader;
  GgufFile file_;
  ModelParams params_;
};

std::string_view architecture_name(Architecture arch);

}  // namespace parley::engine
