#include "engine/model-llama.h"

#include <cmath>
#include <cstring>

#include "engine/fp16.h"
#include "engine/ops.h"
#include "engine/quants.h"

namespace parley::engine {

LlamaForward::LlamaForward(const Model& model, KvCache& cache, MatmulRunner& matmul, int max_batch, int max_context)
    : model_(model), p_(model.params()), cache_(cache), matmul_(matmul), max_batch_(max_batch),
      max_context_(max_context) {
  const auto b = static_cast<std::size_t>(max_batch);
  x_.resize(b * static_cast<std::size_t>(p_.n_embd));
  h_.resize(b * static_cast<std::size_t>(std::max(p_.n_embd, p_.q_dim())));
  q_.resize(b * static_cast<std::size_t>(p_.q_dim()));
  k_.resize(b * static_cast<std::size_t>(p_.kv_dim()));
  v_.resize(b * static_cast<std::size_t>(p_.kv_dim()));
  attn_.resize(b * static_cast<std::size_t>(p_.q_dim()));
  gate_.resize(b * static_cast<std::size_t>(p_.n_ff));
  up_.resize(b * static_cast<std::size_t>(p_.n_ff));
  selected_.resize(b * static_cast<std::size_t>(p_.n_embd));
  head_scratch_.resize(static_cast<std::size_t>(matmul.pool().size()) * 2 * kernels::kMaxAttendHeads *
                       static_cast<std::size_t>(p_.head_dim));
}

Status LlamaForward::forward(std::span<const BatchToken> batch, float* logits) {
  const auto n = static_cast<int64_t>(batch.size());
  if (n == 0) return {};
  if (n > max_batch_) return make_error(ErrorCode::internal, "batch larger than the forward buffers");
  for (const auto& entry : batch) {
    if (entry.token < 0 || entry.token >= p_.n_vocab) {
      return make_error(ErrorCode::invalid_request, "token id " + std::to_string(entry.token) + " is outside the " +
                                                        "vocabulary of " + std::to_string(p_.n_vocab));
    }
    if (entry.pos < 0 || entry.pos >= max_context_) {
      return make_error(ErrorCode::invalid_request, "position " + std::to_string(entry.pos) + " exceeds the context");
    }
  }
  const int64_t n_embd = p_.n_embd;
  for (int64_t t = 0; t < n; ++t) {
    dequantize_row(model_.token_embd.type, model_.token_embd.row(batch[static_cast<std::size_t>(t)].token),
                   x_.data() + t * n_embd, n_embd);
  }

  auto& pool = matmul_.pool();
  for (int layer_index = 0; layer_index < p_.n_layer; ++layer_index) {
    const auto& layer = model_.layers[static_cast<std::size_t>(layer_index)];
    for (int64_t t = 0; t < n; ++t) {
      ops::rms_norm(x_.data() + t * n_embd, layer.attn_norm.data(), n_embd, p_.norm_eps, h_.data() + t * n_embd);
    }
    const MatmulTarget qkv[] = {
        {&layer.wq, q_.data(), layer.bq.empty() ? nullptr : layer.bq.data()},
        {&layer.wk, k_.data(), layer.bk.empty() ? nullptr : layer.bk.data()},
        {&layer.wv, v_.data(), layer.bv.empty() ? nullptr : layer.bv.data()},
    };
    matmul_.run(qkv, h_.data(), n);

    // Per-head norms (qwen3), rotary embedding, and the new keys/values into the cache.
    const bool neox = p_.rope_style == RopeStyle::neox;
    pool.parallel_for(n, 8, [&](int64_t begin, int64_t end, int) {
      for (int64_t t = begin; t < end; ++t) {
        const auto& entry = batch[static_cast<std::size_t>(t)];
        float* q = q_.data() + t * p_.q_dim();
        float* k = k_.data() + t * p_.kv_dim();
        for (int head = 0; head < p_.n_head; ++head) {
          float* qh = q + head * p_.head_dim;
          if (!layer.q_norm.empty()) ops::rms_norm(qh, layer.q_norm.data(), p_.head_dim, p_.norm_eps, qh);
          ops::rope(qh, p_.n_rot, entry.pos, p_.rope_base, neox);
        }
        for (int head = 0; head < p_.n_head_kv; ++head) {
          float* kh = k + head * p_.head_dim;
          if (!layer.k_norm.empty()) ops::rms_norm(kh, layer.k_norm.data(), p_.head_dim, p_.norm_eps, kh);
          ops::rope(kh, p_.n_rot, entry.pos, p_.rope_base, neox);
        }
        const int32_t block = entry.blocks[entry.pos / KvCache::kBlockTokens];
        const int slot = entry.pos % KvCache::kBlockTokens;
        uint16_t* key = cache_.key(block, layer_index, slot);
        uint16_t* value = cache_.value(block, layer_index, slot);
        const float* v = v_.data() + t * p_.kv_dim();
        for (int i = 0; i < p_.kv_dim(); ++i) {
          key[i] = fp32_to_fp16(k[i]);
          value[i] = fp32_to_fp16(v[i]);
        }
      }
    });

    attention(batch, layer_index);
    matmul_.run({&layer.wo, h_.data()}, attn_.data(), n);
    for (int64_t i = 0; i < n * n_embd; ++i) x_[static_cast<std::size_t>(i)] += h_[static_cast<std::size_t>(i)];

    for (int64_t t = 0; t < n; ++t) {
      ops::rms_norm(x_.data() + t * n_embd, layer.ffn_norm.data(), n_embd, p_.norm_eps, h_.data() + t * n_embd);
    }
    const MatmulTarget gate_up[] = {{&layer.gate, gate_.data()}, {&layer.up, up_.data()}};
    matmul_.run(gate_up, h_.data(), n);
    ops::silu_mul(gate_.data(), up_.data(), n * p_.n_ff, gate_.data());
    matmul_.run({&layer.down, h_.data()}, gate_.data(), n);
    for (int64_t i = 0; i < n * n_embd; ++i) x_[static_cast<std::size_t>(i)] += h_[static_cast<std::size_t>(i)];
  }

  int64_t n_selected = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (!batch[static_cast<std::size_t>(t)].logits) continue;
    ops::rms_norm(x_.data() + t * n_embd, model_.output_norm.data(), n_embd, p_.norm_eps,
                  selected_.data() + n_selected * n_embd);
    ++n_selected;
  }
  matmul_.run({&model_.output, logits}, selected_.data(), n_selected);
  return {};
}

void LlamaForward::attention(std::span<const BatchToken> batch, int layer) {
  const auto& kernels = matmul_.kernels();
  const int group = p_.n_head / p_.n_head_kv;
  const int heads_per_call = std::min(group, kernels::kMaxAttendHeads);
  const int calls_per_group = (group + heads_per_call - 1) / heads_per_call;
  const int head_dim = p_.head_dim;
  const auto q_dim = static_cast<std::size_t>(p_.q_dim());
  const auto kv_dim = static_cast<std::size_t>(p_.kv_dim());
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  // One task: one token, one key/value head, up to kMaxAttendHeads of its query heads.
  const auto n_tasks = static_cast<int64_t>(batch.size()) * p_.n_head_kv * calls_per_group;
  matmul_.pool().parallel_for(n_tasks, 2, [&](int64_t begin, int64_t end, int thread) {
    uint16_t* q16 = head_scratch_.data() + static_cast<std::size_t>(thread) * 2 * kernels::kMaxAttendHeads *
                                               static_cast<std::size_t>(head_dim);
    uint16_t* acc = q16 + kernels::kMaxAttendHeads * head_dim;
    kernels::AttentionState states[kernels::kMaxAttendHeads];
    for (int64_t task = begin; task < end; ++task) {
      const auto t = static_cast<std::size_t>(task / (p_.n_head_kv * calls_per_group));
      const int rest = static_cast<int>(task % (p_.n_head_kv * calls_per_group));
      const int kv_head = rest / calls_per_group;
      const int first_head = kv_head * group + rest % calls_per_group * heads_per_call;
      const int n_heads = std::min(heads_per_call, (kv_head + 1) * group - first_head);
      const auto& entry = batch[t];
      const float* q = q_.data() + t * q_dim + static_cast<std::size_t>(first_head * head_dim);
      for (int i = 0; i < n_heads * head_dim; ++i) q16[i] = fp32_to_fp16(q[i]);
      std::fill(acc, acc + n_heads * head_dim, uint16_t{0});
      for (int h = 0; h < n_heads; ++h) states[h] = {-INFINITY, 0.0f, acc + h * head_dim};
      const auto kv_offset = static_cast<std::size_t>(kv_head * head_dim);
      const int n_pos = entry.pos + 1;
      for (int start = 0; start < n_pos; start += KvCache::kBlockTokens) {
        const int32_t block = entry.blocks[start / KvCache::kBlockTokens];
        kernels.attend(head_dim, n_heads, q16, cache_.key(block, layer, 0) + kv_offset,
                       cache_.value(block, layer, 0) + kv_offset, kv_dim,
                       std::min(KvCache::kBlockTokens, n_pos - start), scale, states);
      }
      float* out = attn_.data() + t * q_dim + static_cast<std::size_t>(first_head * head_dim);
      for (int h = 0; h < n_heads; ++h) {
        const float inv_sum = 1.0f / states[h].sum;
        for (int i = 0; i < head_dim; ++i) out[h * head_dim + i] = fp16_to_fp32(acc[h * head_dim + i]) * inv_sum;
      }
    }
  });
}

}  // namespace parley::engine
