#include "engine/model-bert.h"

#include <cmath>

#include "engine/fp16.h"
#include "engine/ops.h"
#include "engine/quants.h"

namespace parley::engine {

BertForward::BertForward(const Model& model, MatmulRunner& matmul)
    : model_(model), p_(model.params()), matmul_(matmul) {
  head_scratch_.resize(static_cast<std::size_t>(matmul.pool().size()) * 2 * static_cast<std::size_t>(p_.head_dim));
}

Result<std::vector<float>> BertForward::embed(std::span<const int32_t> tokens, bool normalize) {
  const auto n = static_cast<int64_t>(tokens.size());
  if (n == 0) return make_error(ErrorCode::invalid_request, "cannot embed an empty token sequence");
  if (n > p_.n_ctx_train) {
    return make_error(ErrorCode::invalid_request, std::to_string(n) + " tokens exceed the model's " +
                                                      std::to_string(p_.n_ctx_train) + "-token context");
  }
  for (const int32_t token : tokens) {
    if (token < 0 || token >= p_.n_vocab) {
      return make_error(ErrorCode::invalid_request, "token id " + std::to_string(token) + " is outside the vocabulary");
    }
  }
  const int64_t n_embd = p_.n_embd;
  const auto rows = static_cast<std::size_t>(n);
  x_.resize(rows * static_cast<std::size_t>(n_embd));
  h_.resize(rows * static_cast<std::size_t>(n_embd));
  q_.resize(rows * static_cast<std::size_t>(p_.q_dim()));
  k_.resize(rows * static_cast<std::size_t>(p_.kv_dim()));
  v_.resize(rows * static_cast<std::size_t>(p_.kv_dim()));
  k16_.resize(k_.size());
  v16_.resize(v_.size());
  attn_.resize(rows * static_cast<std::size_t>(p_.q_dim()));
  ff_.resize(rows * static_cast<std::size_t>(p_.n_ff));

  std::vector<float> extra(static_cast<std::size_t>(n_embd));
  for (int64_t t = 0; t < n; ++t) {
    float* x = x_.data() + t * n_embd;
    dequantize_row(model_.token_embd.type, model_.token_embd.row(tokens[static_cast<std::size_t>(t)]), x, n_embd);
    dequantize_row(model_.position_embd.type, model_.position_embd.row(t), extra.data(), n_embd);
    ops::add(x, extra.data(), n_embd);
    if (model_.token_types) {
      dequantize_row(model_.token_types.type, model_.token_types.row(0), extra.data(), n_embd);
      ops::add(x, extra.data(), n_embd);
    }
    ops::layer_norm(x, model_.embd_norm.data(), model_.embd_norm_bias.data(), n_embd, p_.norm_eps, x);
  }

  for (const auto& layer : model_.layers) {
    const MatmulTarget qkv[] = {{&layer.wq, q_.data(), layer.bq.data()},
                                {&layer.wk, k_.data(), layer.bk.data()},
                                {&layer.wv, v_.data(), layer.bv.data()}};
    matmul_.run(qkv, x_.data(), n);
    attention(n);
    matmul_.run({&layer.wo, h_.data(), layer.bo.data()}, attn_.data(), n);
    for (int64_t t = 0; t < n; ++t) {
      float* x = x_.data() + t * n_embd;
      ops::add(x, h_.data() + t * n_embd, n_embd);
      ops::layer_norm(x, layer.attn_out_norm.data(), layer.attn_out_norm_bias.data(), n_embd, p_.norm_eps, x);
    }
    matmul_.run({&layer.up, ff_.data(), layer.up_bias.data()}, x_.data(), n);
    ops::gelu(ff_.data(), n * p_.n_ff);
    matmul_.run({&layer.down, h_.data(), layer.down_bias.data()}, ff_.data(), n);
    for (int64_t t = 0; t < n; ++t) {
      float* x = x_.data() + t * n_embd;
      ops::add(x, h_.data() + t * n_embd, n_embd);
      ops::layer_norm(x, layer.layer_out_norm.data(), layer.layer_out_norm_bias.data(), n_embd, p_.norm_eps, x);
    }
  }

  std::vector<float> pooled(static_cast<std::size_t>(n_embd), 0.0f);
  if (p_.pooling == Pooling::cls) {
    std::copy(x_.begin(), x_.begin() + n_embd, pooled.begin());
  } else {
    for (int64_t t = 0; t < n; ++t) ops::add(pooled.data(), x_.data() + t * n_embd, n_embd);
    ops::scale(pooled.data(), 1.0f / static_cast<float>(n), n_embd);
  }
  if (normalize) {
    double norm = 0;
    for (const float value : pooled) norm += static_cast<double>(value) * value;
    if (norm > 0) ops::scale(pooled.data(), static_cast<float>(1.0 / std::sqrt(norm)), n_embd);
  }
  return pooled;
}

void BertForward::attention(int64_t n_tokens) {
  // Keys and values in f16, as the decoders' cache holds them, so both share the attention kernel.
  for (std::size_t i = 0; i < k_.size(); ++i) {
    k16_[i] = fp32_to_fp16(k_[i]);
    v16_[i] = fp32_to_fp16(v_[i]);
  }
  const auto& kernels = matmul_.kernels();
  const int head_dim = p_.head_dim;
  const int group = p_.n_head / p_.n_head_kv;
  const auto q_dim = static_cast<std::size_t>(p_.q_dim());
  const auto kv_dim = static_cast<std::size_t>(p_.kv_dim());
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  // One task: one token and one query head (encoders have as many key/value heads as query heads).
  matmul_.pool().parallel_for(n_tokens * p_.n_head, 4, [&](int64_t begin, int64_t end, int thread) {
    uint16_t* q16 = head_scratch_.data() + static_cast<std::size_t>(thread) * 2 * static_cast<std::size_t>(head_dim);
    uint16_t* acc = q16 + head_dim;
    for (int64_t task = begin; task < end; ++task) {
      const auto t = static_cast<std::size_t>(task / p_.n_head);
      const int head = static_cast<int>(task % p_.n_head);
      const auto kv_offset = static_cast<std::size_t>(head / group * head_dim);
      const float* q = q_.data() + t * q_dim + static_cast<std::size_t>(head * head_dim);
      for (int i = 0; i < head_dim; ++i) q16[i] = fp32_to_fp16(q[i]);
      std::fill(acc, acc + head_dim, uint16_t{0});
      kernels::AttentionState state{-INFINITY, 0.0f, acc};
      kernels.attend(head_dim, 1, q16, k16_.data() + kv_offset, v16_.data() + kv_offset, kv_dim,
                     static_cast<int>(n_tokens), scale, &state);
      float* out = attn_.data() + t * q_dim + static_cast<std::size_t>(head * head_dim);
      const float inv_sum = 1.0f / state.sum;
      for (int i = 0; i < head_dim; ++i) out[i] = fp16_to_fp32(acc[i]) * inv_sum;
    }
  });
}

}  // namespace parley::engine
