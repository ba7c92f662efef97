#include "engine/model-bert.h"

#include <cmath>

#include "engine/fp16.h"
#include "engine/ops.h"
#include "engine/quants.h"

namespace parley::engine {

BertForward::BertForward(const Model& model, MatmulRunner& matmul)
    : model_(model), p_(model.params()), matmul_(matmul) {
  acc_scratch_.resize(static_cast<std::size_t>(matmul.pool().size()) * kernels::kAttendBlock *
                      static_cast<std::size_t>(p_.head_dim));
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
  v16_.resize(v_.size());
  attn_.resize(rows * static_cast<std::size_t>(p_.q_dim()));
  ff_.resize(rows * static_cast<std::size_t>(p_.n_ff));

  std::vector<float> extra(static_cast<std::size_t>(n_embd));
  for (int64_t t = 0; t < n; ++t) {
    float* x = x_.data() + t * n_embd;
    model_.token_embd.dequantize_row(tokens[static_cast<std::size_t>(t)], x);
    model_.position_embd.dequantize_row(t, extra.data());
    ops::add(x, extra.data(), n_embd);
    if (model_.token_types) {
      model_.token_types.dequantize_row(0, extra.data());
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
  // Keys and values in f16 and in the KV cache's block layout (keys transposed per block of kAttendBlock positions),
  // so encoders share the decoders' attention kernel.
  constexpr int kBlock = kernels::kAttendBlock;
  const int head_dim = p_.head_dim;
  const auto kv_dim = static_cast<std::size_t>(p_.kv_dim());
  const int64_t n_blocks = (n_tokens + kBlock - 1) / kBlock;
  k16_.assign(static_cast<std::size_t>(n_blocks) * kv_dim * kBlock, 0);
  for (int64_t t = 0; t < n_tokens; ++t) {
    uint16_t* block = k16_.data() + static_cast<std::size_t>(t / kBlock) * kv_dim * kBlock;
    const float* k = k_.data() + static_cast<std::size_t>(t) * kv_dim;
    for (std::size_t i = 0; i < kv_dim; ++i) block[i * kBlock + static_cast<std::size_t>(t % kBlock)] = fp32_to_fp16(k[i]);
  }
  for (std::size_t i = 0; i < v_.size(); ++i) v16_[i] = fp32_to_fp16(v_[i]);

  const auto& kernels = matmul_.kernels();
  const int group = p_.n_head / p_.n_head_kv;
  const auto q_dim = static_cast<std::size_t>(p_.q_dim());
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int64_t n_runs = (n_tokens + kBlock - 1) / kBlock;
  // One task: up to kAttendBlock consecutive queries and one query head; every query sees every token.
  matmul_.pool().parallel_for(n_runs * p_.n_head, 1, [&](int64_t begin, int64_t end, int thread) {
    float* acc = acc_scratch_.data() + static_cast<std::size_t>(thread) * kBlock * static_cast<std::size_t>(head_dim);
    kernels::AttentionState states[kBlock];
    int n_valid[kBlock];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t first = task / p_.n_head * kBlock;
      const int head = static_cast<int>(task % p_.n_head);
      const int n_queries = static_cast<int>(std::min<int64_t>(kBlock, n_tokens - first));
      std::fill(acc, acc + static_cast<std::size_t>(n_queries * head_dim), 0.0f);
      for (int i = 0; i < n_queries; ++i) states[i] = {-INFINITY, 0.0f, acc + i * head_dim};
      const auto kv_offset = static_cast<std::size_t>(head / group * head_dim);
      for (int64_t b = 0; b < n_blocks; ++b) {
        const int n_keys = static_cast<int>(std::min<int64_t>(kBlock, n_tokens - b * kBlock));
        std::fill(n_valid, n_valid + n_queries, n_keys);
        kernels.attend(head_dim, n_queries, 1,
                       q_.data() + static_cast<std::size_t>(first) * q_dim + static_cast<std::size_t>(head * head_dim),
                       q_dim, k16_.data() + static_cast<std::size_t>(b) * kv_dim * kBlock + kv_offset * kBlock,
                       v16_.data() + static_cast<std::size_t>(b * kBlock) * kv_dim + kv_offset, kv_dim, n_keys, n_valid,
                       scale, states);
      }
      for (int i = 0; i < n_queries; ++i) {
        float* out = attn_.data() + static_cast<std::size_t>(first + i) * q_dim + static_cast<std::size_t>(head * head_dim);
        const float inv_sum = 1.0f / states[i].sum;
        for (int d = 0; d < head_dim; ++d) out[d] = states[i].acc[d] * inv_sum;
      }
    }
  });
}

}  // namespace parley::engine
