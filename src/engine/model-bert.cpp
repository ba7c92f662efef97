#include "engine/model-bert.h"

#include <algorithm>
#include <cmath>

#include "engine/ops.h"

namespace parley::engine {

BertForward::BertForward(const Model& model, MatmulRunner& matmul) : model_(model), p_(model.params()), matmul_(matmul) {}

Result<std::vector<float>> BertForward::embed(std::span<const int32_t> tokens, bool normalize) {
  const std::span<const int32_t> one[] = {tokens};
  PARLEY_ASSIGN_OR_RETURN(auto pooled, embed_batch(one, normalize));
  return std::move(pooled.front());
}

Result<std::vector<std::vector<float>>> BertForward::embed_batch(std::span<const std::span<const int32_t>> sequences,
                                                                 bool normalize,
                                                                 const std::function<void()>& pause_point) {
  std::vector<Span> spans;
  spans.reserve(sequences.size());
  int64_t n = 0;
  for (const auto& tokens : sequences) {
    const auto length = static_cast<int64_t>(tokens.size());
    if (length == 0) return make_error(ErrorCode::invalid_request, "cannot embed an empty token sequence");
    if (length > p_.n_ctx_train) {
      return make_error(ErrorCode::invalid_request, std::to_string(length) + " tokens exceed the model's " +
                                                        std::to_string(p_.n_ctx_train) + "-token context");
    }
    for (const int32_t token : tokens) {
      if (token < 0 || token >= p_.n_vocab) {
        return make_error(ErrorCode::invalid_request, "token id " + std::to_string(token) + " is outside the vocabulary");
      }
    }
    spans.push_back({n, length});
    n += length;
  }
  std::vector<std::vector<float>> pooled(sequences.size());
  if (n == 0) return pooled;
  const int64_t n_embd = p_.n_embd;
  const auto rows = static_cast<std::size_t>(n);
  x_.resize(rows * static_cast<std::size_t>(n_embd));
  h_.resize(rows * static_cast<std::size_t>(n_embd));
  q_.resize(rows * static_cast<std::size_t>(p_.q_dim()));
  k_.resize(rows * static_cast<std::size_t>(p_.kv_dim()));
  v_.resize(rows * static_cast<std::size_t>(p_.kv_dim()));
  attn_.resize(rows * static_cast<std::size_t>(p_.q_dim()));
  ff_.resize(rows * static_cast<std::size_t>(p_.n_ff));

  std::vector<float> extra(static_cast<std::size_t>(n_embd));
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    for (int64_t t = 0; t < spans[s].length; ++t) {
      float* x = x_.data() + (spans[s].first + t) * n_embd;
      model_.token_embd.dequantize_row(sequences[s][static_cast<std::size_t>(t)], x);
      model_.position_embd.dequantize_row(t, extra.data());
      ops::add(x, extra.data(), n_embd);
      if (model_.token_types) {
        model_.token_types.dequantize_row(0, extra.data());
        ops::add(x, extra.data(), n_embd);
      }
      ops::layer_norm(x, model_.embd_norm.data(), model_.embd_norm_bias.data(), n_embd, p_.norm_eps, x);
    }
  }

  auto& pool = matmul_.pool();
  const auto& kernels = matmul_.kernels();
  // x = layer_norm(x + h) row by row, in parallel.
  const auto add_and_norm = [&](const std::vector<float>& weight, const std::vector<float>& bias) {
    pool.parallel_for(n, std::max<int64_t>(1, n / (4 * pool.size())), [&](int64_t begin, int64_t end, int) {
      for (int64_t t = begin; t < end; ++t) {
        float* x = x_.data() + t * n_embd;
        ops::add(x, h_.data() + t * n_embd, n_embd);
        ops::layer_norm(x, weight.data(), bias.data(), n_embd, p_.norm_eps, x);
      }
    });
  };
  const auto pause = [&] {
    if (pause_point) pause_point();
  };
  for (const auto& layer : model_.layers) {
    const MatmulTarget qkv[] = {{&layer.wq, q_.data(), layer.bq.data()},
                                {&layer.wk, k_.data(), layer.bk.data()},
                                {&layer.wv, v_.data(), layer.bv.data()}};
    matmul_.run(qkv, x_.data(), n);
    pause();
    attention(spans);
    pause();
    matmul_.run({&layer.wo, h_.data(), layer.bo.data()}, attn_.data(), n);
    add_and_norm(layer.attn_out_norm, layer.attn_out_norm_bias);
    pause();
    matmul_.run({&layer.up, ff_.data(), layer.up_bias.data()}, x_.data(), n);
    pool.parallel_for(n, std::max<int64_t>(1, n / (4 * pool.size())), [&](int64_t begin, int64_t end, int) {
      kernels.gelu(ff_.data() + begin * p_.n_ff, (end - begin) * p_.n_ff);
    });
    pause();
    matmul_.run({&layer.down, h_.data(), layer.down_bias.data()}, ff_.data(), n);
    add_and_norm(layer.layer_out_norm, layer.layer_out_norm_bias);
    pause();
  }

  for (std::size_t s = 0; s < sequences.size(); ++s) {
    auto& out = pooled[s];
    out.assign(static_cast<std::size_t>(n_embd), 0.0f);
    const float* first = x_.data() + spans[s].first * n_embd;
    if (p_.pooling == Pooling::cls) {
      std::copy(first, first + n_embd, out.begin());
    } else {
      for (int64_t t = 0; t < spans[s].length; ++t) ops::add(out.data(), first + t * n_embd, n_embd);
      ops::scale(out.data(), 1.0f / static_cast<float>(spans[s].length), n_embd);
    }
    if (normalize) {
      double norm = 0;
      for (const float value : out) norm += static_cast<double>(value) * value;
      if (norm > 0) ops::scale(out.data(), static_cast<float>(1.0 / std::sqrt(norm)), n_embd);
    }
  }
  return pooled;
}

void BertForward::attention(std::span<const Span> sequences) {
  // In f32, as the reference computes an encoder's attention (no cache). One task: a run of up to kQueryRun
  // queries of one sequence and one head; every query sees every token of its sequence.
  constexpr int64_t kQueryRun = 64;
  const int head_dim = p_.head_dim;
  const auto q_dim = static_cast<std::size_t>(p_.q_dim());
  const auto kv_dim = static_cast<std::size_t>(p_.kv_dim());
  const int group = p_.n_head / p_.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  std::vector<int64_t>& first_run = first_run_;
  first_run.assign(sequences.size() + 1, 0);
  for (std::size_t s = 0; s < sequences.size(); ++s) {
    first_run[s + 1] = first_run[s] + (sequences[s].length + kQueryRun - 1) / kQueryRun;
  }
  const auto& kernels = matmul_.kernels();
  matmul_.pool().parallel_for(first_run.back() * p_.n_head, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t run = task / p_.n_head;
      const int head = static_cast<int>(task % p_.n_head);
      const auto s = static_cast<std::size_t>(std::upper_bound(first_run.begin(), first_run.end(), run) -
                                              first_run.begin() - 1);
      const Span& sequence = sequences[s];
      const int64_t first = sequence.first + (run - first_run[s]) * kQueryRun;
      const int n_queries = static_cast<int>(std::min<int64_t>(kQueryRun, sequence.first + sequence.length - first));
      const auto q_offset = static_cast<std::size_t>(head * head_dim);
      const auto kv_offset = static_cast<std::size_t>(head / group * head_dim);
      const auto row = static_cast<std::size_t>(sequence.first);
      kernels.attend_encoder(head_dim, n_queries, static_cast<int>(sequence.length),
                             q_.data() + static_cast<std::size_t>(first) * q_dim + q_offset, q_dim,
                             k_.data() + row * kv_dim + kv_offset, v_.data() + row * kv_dim + kv_offset, kv_dim, scale,
                             attn_.data() + static_cast<std::size_t>(first) * q_dim + q_offset, q_dim);
    }
  });
}

}  // namespace parley::engine
