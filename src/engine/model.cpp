#include "engine/model.h"

#include <cmath>

#include "engine/kernels/kernels.h"
#include "engine/quants.h"

namespace parley::engine {
namespace {

// Generous limits on hyper-parameters: anything larger is a broken or hostile file, refused before it can size
// buffers.
constexpr int kMaxEmbd = 1 << 16;
constexpr int kMaxLayers = 1024;
constexpr int kMaxHeads = 1024;
constexpr int kMaxVocab = 1 << 22;
constexpr int kMaxFf = 1 << 18;
constexpr int kMaxContext = 1 << 22;

Error invalid(const std::string& message) { return make_error(ErrorCode::unprocessable, "model: " + message); }

// Whether the active kernels read `tensor` interleaved (quants.h): they have a kernel for its type, and its rows
// form whole groups.
bool interleavable(const GgufTensor& tensor) {
  const int group = interleaved_group_rows(tensor.type);
  return group > 0 && kernels::active_kernels().gemm_interleaved[static_cast<int>(tensor.type)] != nullptr &&
         tensor.n_dims <= 2 && tensor.rows() % static_cast<uint64_t>(group) == 0;
}

// Rearranges every interleavable tensor of the file's private copy, if it has one, into groups of rows.
bool interleave_tensors(const GgufFile& file) {
  std::vector<uint8_t> scratch;
  return file.rearrange_tensor_data_once([&](const GgufTensor& tensor, uint8_t* data) {
    if (!interleavable(tensor)) return;
    const int64_t nb = tensor.ne[0] / static_cast<int64_t>(tensor_type_traits(tensor.type).block_elements);
    const std::size_t group_bytes =
        static_cast<std::size_t>(interleaved_group_rows(tensor.type)) * static_cast<std::size_t>(tensor.row_bytes());
    scratch.resize(group_bytes);
    for (std::size_t at = 0; at < tensor.n_bytes; at += group_bytes) {
      interleave_rows(tensor.type, data + at, nb, scratch.data());
    }
  });
}

}  // namespace

void WeightMatrix::dequantize_row(int64_t r, float* out) const {
  if (!interleaved) return parley::engine::dequantize_row(type, row(r), out, n_in);
  const int group = interleaved_group_rows(type);
  dequantize_interleaved_row(type, row(r / group * group), static_cast<int>(r % group), out, n_in);
}

std::string_view architecture_name(Architecture arch) {
  switch (arch) {
    case Architecture::llama: return "llama";
    case Architecture::qwen2: return "qwen2";
    case Architecture::qwen3: return "qwen3";
    case Architecture::bert: return "bert";
  }
  return "unknown";
}

class ModelLoader {
 public:
  explicit ModelLoader(Model& model) : model_(model), file_(model.file_), p_(model.params_) {}

  Status load() {
    PARLEY_TRY(read_params());
    // Kernels that read rows interleaved get them so, when the data is the process's own copy.
    interleaved_ = interleave_tensors(file_);
    PARLEY_TRY(bind_weights());
    return {};
  }

 private:
  Result<int> bounded(std::string_view suffix, int lo, int hi, std::optional<int> fallback = std::nullopt) {
    const std::string key = p_.arch_name + "." + std::string(suffix);
    if (!file_.has(key)) {
      if (fallback) return *fallback;
      return invalid("missing metadata '" + key + "'");
    }
    PARLEY_ASSIGN_OR_RETURN(const uint32_t value, file_.get_u32(key));
    if (static_cast<int64_t>(value) < lo || static_cast<int64_t>(value) > hi) {
      return invalid("metadata '" + key + "' = " + std::to_string(value) + " is outside [" + std::to_string(lo) +
                     ", " + std::to_string(hi) + "]");
    }
    return static_cast<int>(value);
  }

  Status read_params() {
    PARLEY_ASSIGN_OR_RETURN(p_.arch_name, file_.architecture());
    if (p_.arch_name == "llama") {
      p_.arch = Architecture::llama;
    } else if (p_.arch_name == "qwen2") {
      p_.arch = Architecture::qwen2;
    } else if (p_.arch_name == "qwen3") {
      p_.arch = Architecture::qwen3;
    } else if (p_.arch_name == "bert") {
      p_.arch = Architecture::bert;
    } else {
      return invalid("unsupported architecture '" + p_.arch_name + "' (llama, qwen2, qwen3 and bert are supported)");
    }
    PARLEY_ASSIGN_OR_RETURN(p_.n_embd, bounded("embedding_length", 1, kMaxEmbd));
    PARLEY_ASSIGN_OR_RETURN(p_.n_ff, bounded("feed_forward_length", 1, kMaxFf));
    PARLEY_ASSIGN_OR_RETURN(p_.n_layer, bounded("block_count", 1, kMaxLayers));
    PARLEY_ASSIGN_OR_RETURN(p_.n_head, bounded("attention.head_count", 1, kMaxHeads));
    PARLEY_ASSIGN_OR_RETURN(p_.n_head_kv, bounded("attention.head_count_kv", 1, kMaxHeads, p_.n_head));
    PARLEY_ASSIGN_OR_RETURN(p_.n_ctx_train, bounded("context_length", 1, kMaxContext, 2048));
    if (p_.n_head % p_.n_head_kv != 0) {
      return invalid(std::to_string(p_.n_head) + " heads cannot share " + std::to_string(p_.n_head_kv) + " KV heads");
    }
    const int default_head_dim = p_.n_embd % p_.n_head == 0 ? p_.n_embd / p_.n_head : 0;
    PARLEY_ASSIGN_OR_RETURN(p_.head_dim, bounded("attention.key_length", 1, kMaxEmbd,
                                                 default_head_dim > 0 ? std::optional<int>(default_head_dim)
                                                                      : std::nullopt));
    if (p_.head_dim > kernels::kMaxHeadDim) {
      return invalid("head size " + std::to_string(p_.head_dim) + " exceeds the supported " +
                     std::to_string(kernels::kMaxHeadDim));
    }
    PARLEY_ASSIGN_OR_RETURN(const int value_dim, bounded("attention.value_length", 1, kMaxEmbd, p_.head_dim));
    if (value_dim != p_.head_dim) return invalid("different key and value head sizes are not supported");
    if (p_.is_encoder()) {
      PARLEY_ASSIGN_OR_RETURN(p_.norm_eps, file_.get_f32_or(p_.arch_name + ".attention.layer_norm_epsilon", 1e-12f));
      PARLEY_ASSIGN_OR_RETURN(p_.causal, file_.get_bool_or(p_.arch_name + ".attention.causal", false));
      PARLEY_ASSIGN_OR_RETURN(const uint32_t pooling, file_.get_u32_or(p_.arch_name + ".pooling_type", 1));
      // GGUF numbering: 0 none, 1 mean, 2 cls (others, e.g. last-token or rank, are not supported here).
      if (pooling == 1) {
        p_.pooling = Pooling::mean;
      } else if (pooling == 2) {
        p_.pooling = Pooling::cls;
      } else {
        return invalid("unsupported pooling type " + std::to_string(pooling) + " (mean or cls)");
      }
      if (p_.causal) return invalid("causal bert models are not supported");
    } else {
      PARLEY_ASSIGN_OR_RETURN(p_.norm_eps, file_.get_f32_or(p_.arch_name + ".attention.layer_norm_rms_epsilon", 1e-5f));
      PARLEY_ASSIGN_OR_RETURN(p_.rope_base, file_.get_f32_or(p_.arch_name + ".rope.freq_base", 10000.0f));
      PARLEY_ASSIGN_OR_RETURN(p_.n_rot, bounded("rope.dimension_count", 2, p_.head_dim, p_.head_dim));
      if (p_.n_rot % 2 != 0) return invalid("odd rope dimension count");
      if (!(p_.rope_base > 0.0f) || !std::isfinite(p_.rope_base)) return invalid("invalid rope.freq_base");
      p_.rope_style = p_.arch == Architecture::llama ? RopeStyle::normal : RopeStyle::neox;
    }
    if (!(p_.norm_eps > 0.0f) || !(p_.norm_eps < 1.0f)) return invalid("invalid normalization epsilon");
    const auto* embd = file_.find_tensor("token_embd.weight");
    if (embd == nullptr) return invalid("missing tensor 'token_embd.weight'");
    if (embd->ne[1] < 1 || embd->ne[1] > kMaxVocab) return invalid("vocabulary size out of range");
    p_.n_vocab = static_cast<int>(embd->ne[1]);
    return {};
  }

  Result<WeightMatrix> matrix(const std::string& name, int64_t n_in, int64_t n_out, bool required = true) {
    const auto* tensor = file_.find_tensor(name);
    if (tensor == nullptr) {
      if (!required) return WeightMatrix{};
      return invalid("missing tensor '" + name + "'");
    }
    if (tensor->n_dims > 2 || tensor->ne[0] != n_in || tensor->ne[1] != n_out) {
      return invalid("tensor '" + name + "' has shape [" + std::to_string(tensor->ne[0]) + ", " +
                     std::to_string(tensor->ne[1]) + "], expected [" + std::to_string(n_in) + ", " +
                     std::to_string(n_out) + "]");
    }
    if (!tensor_type_traits(tensor->type).computable) {
      return invalid("tensor '" + name + "' has type " + std::string(tensor_type_name(tensor->type)) +
                     ", which this engine cannot compute with");
    }
    WeightMatrix w;
    w.type = tensor->type;
    w.data = tensor->data;
    w.n_in = n_in;
    w.n_out = n_out;
    w.row_bytes = static_cast<std::size_t>(*tensor_row_bytes(tensor->type, static_cast<uint64_t>(n_in)));
    w.interleaved = interleaved_ && interleavable(*tensor);
    return w;
  }

  // A 1-D weight (norms, biases) converted to floats.
  Result<std::vector<float>> vector(const std::string& name, int64_t n, bool required = true) {
    const auto* tensor = file_.find_tensor(name);
    if (tensor == nullptr) {
      if (!required) return std::vector<float>{};
      return invalid("missing tensor '" + name + "'");
    }
    if (static_cast<int64_t>(tensor->n_elements) != n || tensor->ne[0] != n) {
      return invalid("tensor '" + name + "' has " + std::to_string(tensor->n_elements) + " elements, expected " +
                     std::to_string(n));
    }
    if (!tensor_type_traits(tensor->type).computable) {
      return invalid("tensor '" + name + "' has unsupported type " + std::string(tensor_type_name(tensor->type)));
    }
    std::vector<float> values(static_cast<std::size_t>(n));
    dequantize_row(tensor->type, tensor->data, values.data(), n);
    return values;
  }

  Status bind_weights() {
    const int64_t n_embd = p_.n_embd;
    PARLEY_ASSIGN_OR_RETURN(model_.token_embd, matrix("token_embd.weight", n_embd, p_.n_vocab));
    if (p_.is_encoder()) return bind_encoder();

    PARLEY_ASSIGN_OR_RETURN(model_.output_norm, vector("output_norm.weight", n_embd));
    PARLEY_ASSIGN_OR_RETURN(model_.output, matrix("output.weight", n_embd, p_.n_vocab, false));
    if (!model_.output) {
      model_.output = model_.token_embd;
      p_.tied_output = true;
    }
    const bool qkv_bias = p_.arch == Architecture::qwen2;
    const bool qk_norm = p_.arch == Architecture::qwen3;
    model_.layers.resize(static_cast<std::size_t>(p_.n_layer));
    for (int i = 0; i < p_.n_layer; ++i) {
      auto& layer = model_.layers[static_cast<std::size_t>(i)];
      const std::string prefix = "blk." + std::to_string(i) + ".";
      PARLEY_ASSIGN_OR_RETURN(layer.attn_norm, vector(prefix + "attn_norm.weight", n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.wq, matrix(prefix + "attn_q.weight", n_embd, p_.q_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.wk, matrix(prefix + "attn_k.weight", n_embd, p_.kv_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.wv, matrix(prefix + "attn_v.weight", n_embd, p_.kv_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.wo, matrix(prefix + "attn_output.weight", p_.q_dim(), n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.bq, vector(prefix + "attn_q.bias", p_.q_dim(), qkv_bias));
      PARLEY_ASSIGN_OR_RETURN(layer.bk, vector(prefix + "attn_k.bias", p_.kv_dim(), qkv_bias));
      PARLEY_ASSIGN_OR_RETURN(layer.bv, vector(prefix + "attn_v.bias", p_.kv_dim(), qkv_bias));
      PARLEY_ASSIGN_OR_RETURN(layer.q_norm, vector(prefix + "attn_q_norm.weight", p_.head_dim, qk_norm));
      PARLEY_ASSIGN_OR_RETURN(layer.k_norm, vector(prefix + "attn_k_norm.weight", p_.head_dim, qk_norm));
      PARLEY_ASSIGN_OR_RETURN(layer.ffn_norm, vector(prefix + "ffn_norm.weight", n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.gate, matrix(prefix + "ffn_gate.weight", n_embd, p_.n_ff));
      PARLEY_ASSIGN_OR_RETURN(layer.up, matrix(prefix + "ffn_up.weight", n_embd, p_.n_ff));
      PARLEY_ASSIGN_OR_RETURN(layer.down, matrix(prefix + "ffn_down.weight", p_.n_ff, n_embd));
    }
    return {};
  }

  Status bind_encoder() {
    const int64_t n_embd = p_.n_embd;
    PARLEY_ASSIGN_OR_RETURN(model_.position_embd, matrix("position_embd.weight", n_embd, p_.n_ctx_train));
    const auto* types = file_.find_tensor("token_types.weight");
    if (types != nullptr) {
      PARLEY_ASSIGN_OR_RETURN(model_.token_types, matrix("token_types.weight", n_embd, types->ne[1]));
    }
    PARLEY_ASSIGN_OR_RETURN(model_.embd_norm, vector("token_embd_norm.weight", n_embd));
    PARLEY_ASSIGN_OR_RETURN(model_.embd_norm_bias, vector("token_embd_norm.bias", n_embd));
    model_.layers.resize(static_cast<std::size_t>(p_.n_layer));
    for (int i = 0; i < p_.n_layer; ++i) {
      auto& layer = model_.layers[static_cast<std::size_t>(i)];
      const std::string prefix = "blk." + std::to_string(i) + ".";
      PARLEY_ASSIGN_OR_RETURN(layer.wq, matrix(prefix + "attn_q.weight", n_embd, p_.q_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.wk, matrix(prefix + "attn_k.weight", n_embd, p_.kv_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.wv, matrix(prefix + "attn_v.weight", n_embd, p_.kv_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.wo, matrix(prefix + "attn_output.weight", p_.q_dim(), n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.bq, vector(prefix + "attn_q.bias", p_.q_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.bk, vector(prefix + "attn_k.bias", p_.kv_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.bv, vector(prefix + "attn_v.bias", p_.kv_dim()));
      PARLEY_ASSIGN_OR_RETURN(layer.bo, vector(prefix + "attn_output.bias", n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.attn_out_norm, vector(prefix + "attn_output_norm.weight", n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.attn_out_norm_bias, vector(prefix + "attn_output_norm.bias", n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.up, matrix(prefix + "ffn_up.weight", n_embd, p_.n_ff));
      PARLEY_ASSIGN_OR_RETURN(layer.up_bias, vector(prefix + "ffn_up.bias", p_.n_ff));
      PARLEY_ASSIGN_OR_RETURN(layer.down, matrix(prefix + "ffn_down.weight", p_.n_ff, n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.down_bias, vector(prefix + "ffn_down.bias", n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.layer_out_norm, vector(prefix + "layer_output_norm.weight", n_embd));
      PARLEY_ASSIGN_OR_RETURN(layer.layer_out_norm_bias, vector(prefix + "layer_output_norm.bias", n_embd));
    }
    return {};
  }

  Model& model_;
  const GgufFile& file_;
  ModelParams& p_;
  bool interleaved_ = false;
};

Result<std::shared_ptr<const Model>> Model::load(GgufFile file) {
  auto model = std::shared_ptr<Model>(new Model());
  model->file_ = std::move(file);
  ModelLoader loader(*model);
  PARLEY_TRY(loader.load());
  return std::shared_ptr<const Model>(std::move(model));
}

}  // namespace parley::engine
