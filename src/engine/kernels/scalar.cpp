// Scalar reference kernels: the definition of every dot product, against which the SIMD kernels are tested.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/fp16.h"
#include "engine/kernels/kernels.h"
#include "engine/ops.h"
#include "engine/quants.h"

namespace parley::engine::kernels {
namespace {

void attend(int head_dim, int n_queries, int n_heads, const float* q, std::size_t q_stride, const uint16_t* keys,
            const uint16_t* values, std::size_t value_stride, int n_keys, const int* n_valid, float scale,
            AttentionState* states) {
  float scores[kAttendBlock];
  for (int i = 0; i < n_queries; ++i) {
    const int n = std::min(n_valid[i], n_keys);
    if (n <= 0) continue;
    for (int h = 0; h < n_heads; ++h) {
      const float* qh = q + static_cast<std::size_t>(i) * q_stride + static_cast<std::size_t>(h * head_dim);
      AttentionState& state = states[i * n_heads + h];
      float block_max = -INFINITY;
      for (int j = 0; j < n; ++j) {
        float dot = 0;
        for (int d = 0; d < head_dim; ++d) dot += qh[d] * fp16_to_fp32(keys[d * kAttendBlock + j]);
        scores[j] = dot * scale;
        block_max = std::max(block_max, scores[j]);
      }
      const float new_max = std::max(state.max, block_max);
      const float rescale = std::exp(state.max - new_max);  // 0 for the first block (max -inf)
      state.max = new_max;
      state.sum *= rescale;
      for (int d = 0; d < head_dim; ++d) state.acc[d] *= rescale;
      for (int j = 0; j < n; ++j) {
        const float weight = std::exp(scores[j] - new_max);
        state.sum += weight;
        const uint16_t* value = values + static_cast<std::size_t>(j) * value_stride;
        for (int d = 0; d < head_dim; ++d) state.acc[d] += weight * fp16_to_fp32(value[d]);
      }
    }
  }
}

void attend_encoder(int head_dim, int n_queries, int n_keys, const float* q, std::size_t q_stride, const float* k,
                    const float* v, std::size_t kv_stride, float scale, float* out, std::size_t out_stride) {
  std::vector<float> weights(static_cast<std::size_t>(std::max(n_keys, 0)));
  for (int i = 0; i < n_queries; ++i) {
    const float* qi = q + static_cast<std::size_t>(i) * q_stride;
    float max = -INFINITY;
    for (int j = 0; j < n_keys; ++j) {
      const float* kj = k + static_cast<std::size_t>(j) * kv_stride;
      float dot = 0;
      for (int d = 0; d < head_dim; ++d) dot += qi[d] * kj[d];
      weights[static_cast<std::size_t>(j)] = dot * scale;
      max = std::max(max, dot * scale);
    }
    float sum = 0;
    for (auto& weight : weights) {
      weight = std::exp(weight - max);
      sum += weight;
    }
    float* o = out + static_cast<std::size_t>(i) * out_stride;
    for (int d = 0; d < head_dim; ++d) {
      float acc = 0;
      for (int j = 0; j < n_keys; ++j) acc += weights[static_cast<std::size_t>(j)] * v[static_cast<std::size_t>(j) * kv_stride + static_cast<std::size_t>(d)];
      o[d] = acc / sum;
    }
  }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += fp16_to_fp32(x[i]) * fp16_to_fp32(y[i]);
  return sum;
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += bf16_to_fp32(x[i]) * bf16_to_fp32(y[i]);
  return sum;
}

float vec_dot_q4_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      sumi += ((x[i].qs[j] & 0xF) - 8) * y[i].qs[j] + ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + kQk / 2];
    }
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
  }
  return sum;
}

float vec_dot_q4_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQk / 2; ++j) {
      sumi += (x[i].qs[j] & 0xF) * y[i].qs[j] + (x[i].qs[j] >> 4) * y[i].qs[j + kQk / 2];
    }
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) +
           fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sum;
}

// Sum over a block of (5-bit value) * activation, the 5-bit values taken as stored (0..31).
int q5_block_sum(const uint8_t qs[16], const uint8_t qh_bytes[4], const int8_t* act) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  int sumi = 0;
  for (int j = 0; j < kQk / 2; ++j) {
    const int lo = (qs[j] & 0xF) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    sumi += lo * act[j] + hi * act[j + kQk / 2];
  }
  return sumi;
}

int block_sum_i8(const int8_t* q, int n) {
  int sum = 0;
  for (int j = 0; j < n; ++j) sum += q[j];
  return sum;
}

float vec_dot_q5_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    // Stored values are offset by 16: sum((v - 16) * a) = sum(v * a) - 16 * sum(a).
    const int sumi = q5_block_sum(x[i].qs, x[i].qh, y[i].qs) - 16 * block_sum_i8(y[i].qs, kQk);
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
  }
  return sum;
}

float vec_dot_q5_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    const int sumi = q5_block_sum(x[i].qs, x[i].qh, y[i].qs);
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d)) +
           fp16_to_fp32(x[i].m) * fp16_to_fp32(y[i].s);
  }
  return sum;
}

float vec_dot_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQk; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQk; ++j) sumi += x[i].qs[j] * y[i].qs[j];
    sum += static_cast<float>(sumi) * (fp16_to_fp32(x[i].d) * fp16_to_fp32(y[i].d));
  }
  return sum;
}

// q4_k and q5_k: level(l) is the unsigned value of element l; scaled by 6-bit sub-scales, minus 6-bit minimums
// times the activation group sums.
template <typename Block, typename LevelFn>
float vec_dot_k_affine(int64_t n, const Block* x, const BlockQ8_K* y, LevelFn level) {
  float sum = 0;
  for (int64_t i = 0; i < n / kQkK; ++i) {
    int sum_scaled = 0;
    int sum_mins = 0;
    for (int sub = 0; sub < 8; ++sub) {
      uint8_t scale, min;
      unpack_k_scale_min(sub, x[i].scales, scale, min);
      int sumi = 0;
      for (int l = 0; l < 32; ++l) sumi += level(x[i], 32 * sub + l) * y[i].qs[32 * sub + l];
      sum_scaled += scale * sumi;
      sum_mins += min * (y[i].bsums[2 * sub] + y[i].bsums[2 * sub + 1]);
    }
    sum += y[i].d * (fp16_to_fp32(x[i].d) * static_cast<float>(sum_scaled) -
                     fp16_to_fp32(x[i].dmin) * static_cast<float>(sum_mins));
  }
  return sum;
}

// Element e of a q4_k block: 64-element chunk e/64, low nibbles for its first 32 elements, high for the rest.
int q4_k_level(const BlockQ4_K& block, int e) {
  const uint8_t byte = block.qs[32 * (e / 64) + e % 32];
  return (e % 64) < 32 ? (byte & 0xF) : (byte >> 4);
}

int q5_k_level(const BlockQ5_K& block, int e) {
  const int chunk = e / 64;
  const bool high = (e % 64) >= 32;
  const uint8_t byte = block.qs[32 * chunk + e % 32];
  const int bit = (block.qh[e % 32] >> (2 * chunk + (high ? 1 : 0))) & 1;
  return (high ? (byte >> 4) : (byte & 0xF)) | (bit << 4);
}

float vec_dot_q4_k(int64_t n, const void* w, const void* a) {
  return vec_dot_k_affine(n, static_cast<const BlockQ4_K*>(w), static_cast<const BlockQ8_K*>(a), q4_k_level);
}

float vec_dot_q5_k(int64_t n, const void* w, const void* a) {
  return vec_dot_k_affine(n, static_cast<const BlockQ5_K*>(w), static_cast<const BlockQ8_K*>(a), q5_k_level);
}

// Element e of a q6_k block as stored (0..63); see quants.h for the layout.
int q6_k_level(const BlockQ6_K& block, int e) {
  const int half = e / 128;
  const int r = e % 128;
  const int quarter = r / 32;
  const int l = r % 32;
  const uint8_t low_byte = block.ql[64 * half + l + (quarter & 1) * 32];
  const int low = quarter < 2 ? (low_byte & 0xF) : (low_byte >> 4);
  const int high = (block.qh[32 * half + l] >> (2 * quarter)) & 3;
  return low | (high << 4);
}

float vec_dot_q6_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQkK; ++i) {
    int total = 0;
    for (int group = 0; group < 16; ++group) {
      int sumi = 0;
      for (int l = 0; l < 16; ++l) sumi += (q6_k_level(x[i], 16 * group + l) - 32) * y[i].qs[16 * group + l];
      total += x[i].scales[group] * sumi;
    }
    sum += fp16_to_fp32(x[i].d) * y[i].d * static_cast<float>(total);
  }
  return sum;
}

using VecDotFn = float (*)(int64_t, const void*, const void*);

template <VecDotFn kDot>
void gemm_by_dots(int64_t n, const uint8_t* w, std::size_t w_stride, int64_t n_rows, const uint8_t* a,
                  std::size_t a_stride, int64_t n_act, float* out, std::size_t out_stride) {
  for (int64_t j = 0; j < n_act; ++j) {
    for (int64_t r = 0; r < n_rows; ++r) {
      out[static_cast<std::size_t>(j) * out_stride + static_cast<std::size_t>(r)] =
          kDot(n, w + static_cast<std::size_t>(r) * w_stride, a + static_cast<std::size_t>(j) * a_stride);
    }
  }
}

template <TensorType kType>
void quantize_as(const float* x, void* out, int64_t n) {
  quantize_activation_row(kType, x, out, n);
}

constexpr std::size_t slot(TensorType type) { return static_cast<std::size_t>(type); }

}  // namespace

void fill_scalar_kernels(KernelSet& set) {
  set.name = "scalar";
  set.gemm[slot(TensorType::f32)] = gemm_by_dots<vec_dot_f32>;
  set.gemm[slot(TensorType::f16)] = gemm_by_dots<vec_dot_f16>;
  set.gemm[slot(TensorType::bf16)] = gemm_by_dots<vec_dot_bf16>;
  set.gemm[slot(TensorType::q4_0)] = gemm_by_dots<vec_dot_q4_0>;
  set.gemm[slot(TensorType::q4_1)] = gemm_by_dots<vec_dot_q4_1>;
  set.gemm[slot(TensorType::q5_0)] = gemm_by_dots<vec_dot_q5_0>;
  set.gemm[slot(TensorType::q5_1)] = gemm_by_dots<vec_dot_q5_1>;
  set.gemm[slot(TensorType::q8_0)] = gemm_by_dots<vec_dot_q8_0>;
  set.gemm[slot(TensorType::q4_k)] = gemm_by_dots<vec_dot_q4_k>;
  set.gemm[slot(TensorType::q5_k)] = gemm_by_dots<vec_dot_q5_k>;
  set.gemm[slot(TensorType::q6_k)] = gemm_by_dots<vec_dot_q6_k>;
  set.quantize[slot(TensorType::f32)] = quantize_as<TensorType::f32>;
  set.quantize[slot(TensorType::f16)] = quantize_as<TensorType::f16>;
  set.quantize[slot(TensorType::bf16)] = quantize_as<TensorType::bf16>;
  set.quantize[slot(TensorType::q8_0)] = quantize_as<TensorType::q8_0>;
  set.quantize[slot(TensorType::q8_1)] = quantize_as<TensorType::q8_1>;
  set.quantize[slot(TensorType::q8_k)] = quantize_as<TensorType::q8_k>;
  set.attend = attend;
  set.silu_mul = silu_mul;
  set.attend_encoder = attend_encoder;
  set.gelu = ops::gelu;
}

}  // namespace parley::engine::kernels
