#include "engine/quants.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "engine/fp16.h"

namespace parley::engine {
namespace {

// Round half away from zero, as the format's reference quantizers do.
int round_to_int(float value) { return static_cast<int>(std::lround(value)); }

// The element of largest magnitude, keeping its sign.
float signed_absmax(const float* x, int n) {
  float best = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > std::fabs(best)) best = x[i];
  }
  return best;
}

// ---- q4_0 / q4_1 / q5_0 / q5_1 / q8_0 / q8_1 ----

void dequantize_q4_0(const BlockQ4_0* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(blocks[i].d);
    for (int j = 0; j < kQk / 2; ++j) {
      y[j] = static_cast<float>((blocks[i].qs[j] & 0xF) - 8) * d;
      y[j + kQk / 2] = static_cast<float>((blocks[i].qs[j] >> 4) - 8) * d;
    }
    y += kQk;
  }
}

void dequantize_q4_1(const BlockQ4_1* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(blocks[i].d);
    const float m = fp16_to_fp32(blocks[i].m);
    for (int j = 0; j < kQk / 2; ++j) {
      y[j] = static_cast<float>(blocks[i].qs[j] & 0xF) * d + m;
      y[j + kQk / 2] = static_cast<float>(blocks[i].qs[j] >> 4) * d + m;
    }
    y += kQk;
  }
}

uint32_t load_qh(const uint8_t qh[4]) {
  uint32_t bits;
  std::memcpy(&bits, qh, 4);
  return bits;
}

// The 5-bit values of a q5 block (0..31), in element order.
void unpack_q5(const uint8_t qs[16], const uint8_t qh_bytes[4], int values[kQk]) {
  const uint32_t qh = load_qh(qh_bytes);
  for (int j = 0; j < kQk / 2; ++j) {
    values[j] = (qs[j] & 0xF) | static_cast<int>(((qh >> j) & 1u) << 4);
    values[j + kQk / 2] = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
  }
}

void dequantize_q5_0(const BlockQ5_0* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(blocks[i].d);
    int values[kQk];
    unpack_q5(blocks[i].qs, blocks[i].qh, values);
    for (int j = 0; j < kQk; ++j) y[j] = static_cast<float>(values[j] - 16) * d;
    y += kQk;
  }
}

void dequantize_q5_1(const BlockQ5_1* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(blocks[i].d);
    const float m = fp16_to_fp32(blocks[i].m);
    int values[kQk];
    unpack_q5(blocks[i].qs, blocks[i].qh, values);
    for (int j = 0; j < kQk; ++j) y[j] = static_cast<float>(values[j]) * d + m;
    y += kQk;
  }
}

void dequantize_q8_0(const BlockQ8_0* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(blocks[i].d);
    for (int j = 0; j < kQk; ++j) y[j] = static_cast<float>(blocks[i].qs[j]) * d;
    y += kQk;
  }
}

void dequantize_q8_1(const BlockQ8_1* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(blocks[i].d);
    for (int j = 0; j < kQk; ++j) y[j] = static_cast<float>(blocks[i].qs[j]) * d;
    y += kQk;
  }
}

void quantize_q4_0(const float* x, BlockQ4_0* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    // The extreme element maps to -8, so the full range [-8, 7] is used on its side.
    const float d = signed_absmax(x, kQk) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQk / 2; ++j) {
      const int lo = std::clamp(static_cast<int>(x[j] * id + 8.5f), 0, 15);
      const int hi = std::clamp(static_cast<int>(x[j + kQk / 2] * id + 8.5f), 0, 15);
      blocks[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void block_min_max(const float* x, int n, float& lo, float& hi) {
  lo = x[0];
  hi = x[0];
  for (int j = 1; j < n; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
}

void quantize_q4_1(const float* x, BlockQ4_1* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    float lo, hi;
    block_min_max(x, kQk, lo, hi);
    const float d = (hi - lo) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[i].d = fp32_to_fp16(d);
    blocks[i].m = fp32_to_fp16(lo);
    for (int j = 0; j < kQk / 2; ++j) {
      const int q0 = std::clamp(static_cast<int>((x[j] - lo) * id + 0.5f), 0, 15);
      const int q1 = std::clamp(static_cast<int>((x[j + kQk / 2] - lo) * id + 0.5f), 0, 15);
      blocks[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

// Packs 32 five-bit values into q5 nibbles and high bits.
void pack_q5(const int values[kQk], uint8_t qs[16], uint8_t qh_bytes[4]) {
  uint32_t qh = 0;
  for (int j = 0; j < kQk / 2; ++j) {
    const int lo = values[j];
    const int hi = values[j + kQk / 2];
    qs[j] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
    qh |= static_cast<uint32_t>((lo >> 4) & 1) << j;
    qh |= static_cast<uint32_t>((hi >> 4) & 1) << (j + 16);
  }
  std::memcpy(qh_bytes, &qh, 4);
}

void quantize_q5_0(const float* x, BlockQ5_0* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    const float d = signed_absmax(x, kQk) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[i].d = fp32_to_fp16(d);
    int values[kQk];
    for (int j = 0; j < kQk; ++j) values[j] = std::clamp(static_cast<int>(x[j] * id + 16.5f), 0, 31);
    pack_q5(values, blocks[i].qs, blocks[i].qh);
  }
}

void quantize_q5_1(const float* x, BlockQ5_1* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    float lo, hi;
    block_min_max(x, kQk, lo, hi);
    const float d = (hi - lo) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[i].d = fp32_to_fp16(d);
    blocks[i].m = fp32_to_fp16(lo);
    int values[kQk];
    for (int j = 0; j < kQk; ++j) values[j] = std::clamp(static_cast<int>((x[j] - lo) * id + 0.5f), 0, 31);
    pack_q5(values, blocks[i].qs, blocks[i].qh);
  }
}

// Round half to even (the rounding of the reference implementation's activation quantizers).
int round_to_even(float value) { return static_cast<int>(std::nearbyint(value)); }

// Two roundings of the same 8-bit format, to reproduce the reference implementation in both places: model files
// use x * (1 / d) rounded half away from zero, activations x * (127 / amax) rounded half to even (as its SIMD code).
enum class Rounding { file, activation };

template <Rounding kRounding, typename Block>
float quantize_symmetric_8bit(const float* x, Block& block) {
  float amax = 0;
  for (int j = 0; j < kQk; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  int sum = 0;
  if constexpr (kRounding == Rounding::file) {
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < kQk; ++j) block.qs[j] = static_cast<int8_t>(round_to_int(x[j] * id));
  } else {
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    for (int j = 0; j < kQk; ++j) block.qs[j] = static_cast<int8_t>(round_to_even(x[j] * id));
  }
  for (int j = 0; j < kQk; ++j) sum += block.qs[j];
  block.d = fp32_to_fp16(d);
  return static_cast<float>(sum) * d;
}

template <Rounding kRounding>
void quantize_q8_0(const float* x, BlockQ8_0* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) quantize_symmetric_8bit<kRounding>(x, blocks[i]);
}

template <Rounding kRounding>
void quantize_q8_1(const float* x, BlockQ8_1* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQk) {
    blocks[i].s = fp32_to_fp16(quantize_symmetric_8bit<kRounding>(x, blocks[i]));
  }
}

// ---- k-quants ----

void dequantize_q4_k(const BlockQ4_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(blocks[i].d);
    const float dmin = fp16_to_fp32(blocks[i].dmin);
    const uint8_t* q = blocks[i].qs;
    for (int chunk = 0; chunk < 4; ++chunk, q += 32) {
      uint8_t sc_lo, m_lo, sc_hi, m_hi;
      unpack_k_scale_min(2 * chunk, blocks[i].scales, sc_lo, m_lo);
      unpack_k_scale_min(2 * chunk + 1, blocks[i].scales, sc_hi, m_hi);
      for (int l = 0; l < 32; ++l) {
        *y++ = d * sc_lo * static_cast<float>(q[l] & 0xF) - dmin * m_lo;
      }
      for (int l = 0; l < 32; ++l) {
        *y++ = d * sc_hi * static_cast<float>(q[l] >> 4) - dmin * m_hi;
      }
    }
  }
}

void dequantize_q5_k(const BlockQ5_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = fp16_to_fp32(blocks[i].d);
    const float dmin = fp16_to_fp32(blocks[i].dmin);
    const uint8_t* q = blocks[i].qs;
    const uint8_t* qh = blocks[i].qh;
    for (int chunk = 0; chunk < 4; ++chunk, q += 32) {
      uint8_t sc_lo, m_lo, sc_hi, m_hi;
      unpack_k_scale_min(2 * chunk, blocks[i].scales, sc_lo, m_lo);
      unpack_k_scale_min(2 * chunk + 1, blocks[i].scales, sc_hi, m_hi);
      const uint8_t bit_lo = static_cast<uint8_t>(1u << (2 * chunk));
      const uint8_t bit_hi = static_cast<uint8_t>(2u << (2 * chunk));
      for (int l = 0; l < 32; ++l) {
        const int value = (q[l] & 0xF) + ((qh[l] & bit_lo) ? 16 : 0);
        *y++ = d * sc_lo * static_cast<float>(value) - dmin * m_lo;
      }
      for (int l = 0; l < 32; ++l) {
        const int value = (q[l] >> 4) + ((qh[l] & bit_hi) ? 16 : 0);
        *y++ = d * sc_hi * static_cast<float>(value) - dmin * m_hi;
      }
    }
  }
}

// The signed 6-bit values (-32..31) of a q6_k block, in element order.
void unpack_q6_k(const BlockQ6_K& block, int values[kQkK]) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = block.ql + 64 * half;
    const uint8_t* qh = block.qh + 32 * half;
    int* v = values + 128 * half;
    for (int l = 0; l < 32; ++l) {
      v[l] = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      v[l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      v[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      v[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
    }
  }
}

void dequantize_q6_k(const BlockQ6_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQkK) {
    const float d = fp16_to_fp32(blocks[i].d);
    int values[kQkK];
    unpack_q6_k(blocks[i], values);
    for (int j = 0; j < kQkK; ++j) y[j] = d * blocks[i].scales[j / 16] * static_cast<float>(values[j]);
  }
}

void dequantize_q8_k(const BlockQ8_K* blocks, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQkK) {
    for (int j = 0; j < kQkK; ++j) y[j] = blocks[i].d * static_cast<float>(blocks[i].qs[j]);
  }
}

// Affine fit of one sub-block to levels 0..n_levels-1: x ≈ scale * q - offset with offset >= 0 (the k-quant
// minimums are stored as positive numbers subtracted). Starts from the range and refines by least squares.
void fit_affine(const float* x, int n, int n_levels, float& scale, float& offset) {
  float lo, hi;
  block_min_max(x, n, lo, hi);
  lo = std::min(lo, 0.0f);
  scale = (hi - lo) / static_cast<float>(n_levels - 1);
  offset = -lo;
  if (scale == 0.0f) return;
  for (int iteration = 0; iteration < 2; ++iteration) {
    // Least squares of x = scale * q - offset over the current assignment.
    double sq = 0, sqq = 0, sx = 0, sqx = 0;
    for (int j = 0; j < n; ++j) {
      const int q = std::clamp(round_to_int((x[j] + offset) / scale), 0, n_levels - 1);
      sq += q;
      sqq += static_cast<double>(q) * q;
      sx += x[j];
      sqx += q * static_cast<double>(x[j]);
    }
    const double det = n * sqq - sq * sq;
    if (det <= 0) return;
    const double new_scale = (n * sqx - sq * sx) / det;
    const double new_offset = -(sx - new_scale * sq) / n;
    if (new_scale <= 0 || new_offset < 0) return;
    scale = static_cast<float>(new_scale);
    offset = static_cast<float>(new_offset);
  }
}

// Shared by q4_k and q5_k: per-sub-block affine fits, 6-bit scales and minimums, then the quantized levels.
template <int kLevels>
void quantize_k_affine(const float* x, float& d_out, float& dmin_out, uint8_t packed[12], uint8_t levels[kQkK]) {
  float scales[8], offsets[8];
  float max_scale = 0, max_offset = 0;
  for (int j = 0; j < 8; ++j) {
    fit_affine(x + 32 * j, 32, kLevels, scales[j], offsets[j]);
    max_scale = std::max(max_scale, scales[j]);
    max_offset = std::max(max_offset, offsets[j]);
  }
  const float d = max_scale / 63.0f;
  const float dmin = max_offset / 63.0f;
  uint8_t q_scale[8], q_min[8];
  for (int j = 0; j < 8; ++j) {
    q_scale[j] = static_cast<uint8_t>(d > 0 ? std::clamp(round_to_int(scales[j] / d), 0, 63) : 0);
    q_min[j] = static_cast<uint8_t>(dmin > 0 ? std::clamp(round_to_int(offsets[j] / dmin), 0, 63) : 0);
  }
  pack_k_scales_mins(q_scale, q_min, packed);
  // Quantize against the scales as they will be decoded (fp16 super-scales, 6-bit sub-scales).
  const float d_stored = fp16_to_fp32(fp32_to_fp16(d));
  const float dmin_stored = fp16_to_fp32(fp32_to_fp16(dmin));
  for (int j = 0; j < 8; ++j) {
    const float scale = d_stored * q_scale[j];
    const float offset = dmin_stored * q_min[j];
    for (int l = 0; l < 32; ++l) {
      const float value = x[32 * j + l];
      levels[32 * j + l] =
          static_cast<uint8_t>(scale > 0 ? std::clamp(round_to_int((value + offset) / scale), 0, kLevels - 1) : 0);
    }
  }
  d_out = d;
  dmin_out = dmin;
}

void quantize_q4_k(const float* x, BlockQ4_K* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    float d, dmin;
    uint8_t levels[kQkK];
    quantize_k_affine<16>(x, d, dmin, blocks[i].scales, levels);
    blocks[i].d = fp32_to_fp16(d);
    blocks[i].dmin = fp32_to_fp16(dmin);
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        blocks[i].qs[32 * chunk + l] =
            static_cast<uint8_t>(levels[64 * chunk + l] | (levels[64 * chunk + 32 + l] << 4));
      }
    }
  }
}

void quantize_q5_k(const float* x, BlockQ5_K* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    float d, dmin;
    uint8_t levels[kQkK];
    quantize_k_affine<32>(x, d, dmin, blocks[i].scales, levels);
    blocks[i].d = fp32_to_fp16(d);
    blocks[i].dmin = fp32_to_fp16(dmin);
    std::memset(blocks[i].qh, 0, sizeof blocks[i].qh);
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        const int lo = levels[64 * chunk + l];
        const int hi = levels[64 * chunk + 32 + l];
        blocks[i].qs[32 * chunk + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        blocks[i].qh[l] = static_cast<uint8_t>(blocks[i].qh[l] | (((lo >> 4) & 1) << (2 * chunk)) |
                                               (((hi >> 4) & 1) << (2 * chunk + 1)));
      }
    }
  }
}

void quantize_q6_k(const float* x, BlockQ6_K* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    // Each sub-block of 16 maps its extreme element to -32; the int8 sub-scales share one fp16 super-scale.
    float sub_scales[16];
    float max_scale = 0;
    for (int j = 0; j < 16; ++j) {
      sub_scales[j] = signed_absmax(x + 16 * j, 16) / -32.0f;
      if (std::fabs(sub_scales[j]) > std::fabs(max_scale)) max_scale = sub_scales[j];
    }
    const float d = max_scale / -128.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[i].d = fp32_to_fp16(d);
    const float d_stored = fp16_to_fp32(blocks[i].d);
    int values[kQkK];
    for (int j = 0; j < 16; ++j) {
      blocks[i].scales[j] = static_cast<int8_t>(std::clamp(round_to_int(id * sub_scales[j]), -128, 127));
      const float scale = d_stored * blocks[i].scales[j];
      for (int l = 0; l < 16; ++l) {
        values[16 * j + l] = scale != 0.0f ? std::clamp(round_to_int(x[16 * j + l] / scale), -32, 31) : 0;
      }
    }
    std::memset(blocks[i].qh, 0, sizeof blocks[i].qh);
    for (int half = 0; half < 2; ++half) {
      uint8_t* ql = blocks[i].ql + 64 * half;
      uint8_t* qh = blocks[i].qh + 32 * half;
      const int* v = values + 128 * half;
      for (int l = 0; l < 32; ++l) {
        const int q1 = v[l] + 32, q2 = v[l + 32] + 32, q3 = v[l + 64] + 32, q4 = v[l + 96] + 32;
        ql[l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((q2 & 0xF) | ((q4 & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
      }
    }
  }
}

void quantize_q8_k(const float* x, BlockQ8_K* blocks, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQkK) {
    const float extreme = signed_absmax(x, kQkK);
    if (extreme == 0.0f) {
      std::memset(&blocks[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    // The extreme element maps to -127 (both signs fit int8).
    const float iscale = -127.0f / extreme;
    for (int j = 0; j < kQkK; ++j) blocks[i].qs[j] = static_cast<int8_t>(std::min(127, round_to_even(iscale * x[j])));
    for (int g = 0; g < kQkK / 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += blocks[i].qs[16 * g + l];
      blocks[i].bsums[g] = static_cast<int16_t>(sum);
    }
    blocks[i].d = 1.0f / iscale;
  }
}

template <typename Block>
const Block* as_blocks(const void* p) {
  return static_cast<const Block*>(p);
}
template <typename Block>
Block* as_blocks(void* p) {
  return static_cast<Block*>(p);
}

}  // namespace

void pack_k_scales_mins(const uint8_t scale[8], const uint8_t min[8], uint8_t out[12]) {
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>((scale[j] & 63) | ((scale[j + 4] >> 4) << 6));
    out[j + 4] = static_cast<uint8_t>((min[j] & 63) | ((min[j + 4] >> 4) << 6));
    out[j + 8] = static_cast<uint8_t>((scale[j + 4] & 0xF) | ((min[j + 4] & 0xF) << 4));
  }
}

void dequantize_row(TensorType type, const void* src, float* dst, int64_t n) {
  const int64_t nb = n / tensor_type_traits(type).block_elements;
  switch (type) {
    case TensorType::f32: std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float)); return;
    case TensorType::f16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
      return;
    }
    case TensorType::bf16: {
      const auto* b = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(b[i]);
      return;
    }
    case TensorType::q4_0: dequantize_q4_0(as_blocks<BlockQ4_0>(src), dst, nb); return;
    case TensorType::q4_1: dequantize_q4_1(as_blocks<BlockQ4_1>(src), dst, nb); return;
    case TensorType::q5_0: dequantize_q5_0(as_blocks<BlockQ5_0>(src), dst, nb); return;
    case TensorType::q5_1: dequantize_q5_1(as_blocks<BlockQ5_1>(src), dst, nb); return;
    case TensorType::q8_0: dequantize_q8_0(as_blocks<BlockQ8_0>(src), dst, nb); return;
    case TensorType::q8_1: dequantize_q8_1(as_blocks<BlockQ8_1>(src), dst, nb); return;
    case TensorType::q4_k: dequantize_q4_k(as_blocks<BlockQ4_K>(src), dst, nb); return;
    case TensorType::q5_k: dequantize_q5_k(as_blocks<BlockQ5_K>(src), dst, nb); return;
    case TensorType::q6_k: dequantize_q6_k(as_blocks<BlockQ6_K>(src), dst, nb); return;
    case TensorType::q8_k: dequantize_q8_k(as_blocks<BlockQ8_K>(src), dst, nb); return;
    case TensorType::q2_k:
    case TensorType::q3_k: break;
  }
  std::memset(dst, 0, static_cast<std::size_t>(n) * sizeof(float));  // unreachable for loadable tensors
}

void quantize_row(TensorType type, const float* src, void* dst, int64_t n) {
  const int64_t nb = n / tensor_type_traits(type).block_elements;
  switch (type) {
    case TensorType::f32: std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float)); return;
    case TensorType::f16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
      return;
    }
    case TensorType::bf16: {
      auto* b = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) b[i] = fp32_to_bf16(src[i]);
      return;
    }
    case TensorType::q4_0: quantize_q4_0(src, as_blocks<BlockQ4_0>(dst), nb); return;
    case TensorType::q4_1: quantize_q4_1(src, as_blocks<BlockQ4_1>(dst), nb); return;
    case TensorType::q5_0: quantize_q5_0(src, as_blocks<BlockQ5_0>(dst), nb); return;
    case TensorType::q5_1: quantize_q5_1(src, as_blocks<BlockQ5_1>(dst), nb); return;
    case TensorType::q8_0: quantize_q8_0<Rounding::file>(src, as_blocks<BlockQ8_0>(dst), nb); return;
    case TensorType::q8_1: quantize_q8_1<Rounding::file>(src, as_blocks<BlockQ8_1>(dst), nb); return;
    case TensorType::q4_k: quantize_q4_k(src, as_blocks<BlockQ4_K>(dst), nb); return;
    case TensorType::q5_k: quantize_q5_k(src, as_blocks<BlockQ5_K>(dst), nb); return;
    case TensorType::q6_k: quantize_q6_k(src, as_blocks<BlockQ6_K>(dst), nb); return;
    case TensorType::q8_k: quantize_q8_k(src, as_blocks<BlockQ8_K>(dst), nb); return;
    case TensorType::q2_k:
    case TensorType::q3_k: break;
  }
}

void quantize_activation_row(TensorType type, const float* src, void* dst, int64_t n) {
  if (type == TensorType::q8_0) return quantize_q8_0<Rounding::activation>(src, as_blocks<BlockQ8_0>(dst), n / kQk);
  if (type == TensorType::q8_1) return quantize_q8_1<Rounding::activation>(src, as_blocks<BlockQ8_1>(dst), n / kQk);
  quantize_row(type, src, dst, n);
}

TensorType activation_type(TensorType weight) {
  switch (weight) {
    case TensorType::f16: return TensorType::f16;
    case TensorType::bf16: return TensorType::bf16;
    case TensorType::q4_0:
    case TensorType::q5_0:
    case TensorType::q8_0: return TensorType::q8_0;
    case TensorType::q4_1:
    case TensorType::q5_1: return TensorType::q8_1;
    case TensorType::q4_k:
    case TensorType::q5_k:
    case TensorType::q6_k: return TensorType::q8_k;
    default: return TensorType::f32;
  }
}

void interleave_q8_0_rows(uint8_t* rows, int64_t nb, uint8_t* scratch) {
  constexpr std::size_t kGroupBlockBytes = kInterleavedRows * sizeof(BlockQ8_0);
  std::memcpy(scratch, rows, static_cast<std::size_t>(nb) * kGroupBlockBytes);
  for (int64_t b = 0; b < nb; ++b) {
    uint8_t* out = rows + static_cast<std::size_t>(b) * kGroupBlockBytes;
    for (int r = 0; r < kInterleavedRows; ++r) {
      const auto* block = reinterpret_cast<const BlockQ8_0*>(scratch) + r * nb + b;
      std::memcpy(out + 2 * r, &block->d, 2);
      for (int k = 0; k < kQk / 4; ++k) {
        uint32_t group;
        std::memcpy(&group, block->qs + 4 * k, 4);
        group ^= 0x80808080u;  // q + 128 in every byte
        std::memcpy(out + 16 + 32 * k + 4 * r, &group, 4);
      }
    }
  }
}

void dequantize_interleaved_q8_0_row(const uint8_t* group, int r, float* dst, int64_t n) {
  constexpr std::size_t kGroupBlockBytes = kInterleavedRows * sizeof(BlockQ8_0);
  for (int64_t b = 0; b < n / kQk; ++b) {
    const uint8_t* block = group + static_cast<std::size_t>(b) * kGroupBlockBytes;
    uint16_t d;
    std::memcpy(&d, block + 2 * r, 2);
    const float scale = fp16_to_fp32(d);
    for (int i = 0; i < kQk; ++i) {
      const auto q = static_cast<int8_t>(block[16 + (i / 4) * 32 + r * 4 + i % 4] ^ 0x80u);
      dst[b * kQk + i] = scale * static_cast<float>(q);
    }
  }
}

namespace {

// ---- k-quant rows interleaved by 16 (layouts in quants.h) ----

constexpr int kG = kInterleavedKRows;

// The scale (or minimum) word of q4_k/q5_k row data: eight 6-bit values, then an f16 in bits 48..63.
uint64_t k_scale_word(const uint8_t packed[12], bool minimums, uint16_t half) {
  uint64_t word = static_cast<uint64_t>(half) << 48;
  for (int j = 0; j < 8; ++j) {
    uint8_t scale, min;
    unpack_k_scale_min(j, packed, scale, min);
    word |= static_cast<uint64_t>(minimums ? min : scale) << (6 * j);
  }
  return word;
}

template <typename Block>
void interleave_affine_k(const Block* rows, int64_t nb, uint8_t* out) {
  constexpr bool kFifthBit = std::is_same_v<Block, BlockQ5_K>;
  for (int64_t b = 0; b < nb; ++b, out += kG * sizeof(Block)) {
    for (int r = 0; r < kG; ++r) {
      const Block& x = rows[r * nb + b];
      const uint64_t a = k_scale_word(x.scales, false, x.d);
      const uint64_t m = k_scale_word(x.scales, true, x.dmin);
      std::memcpy(out + 8 * r, &a, 8);
      std::memcpy(out + 128 + 8 * r, &m, 8);
      for (int v = 0; v < 32; ++v) std::memcpy(out + 256 + 64 * v + 4 * r, x.qs + 4 * v, 4);
      if constexpr (kFifthBit) {
        for (int k = 0; k < 8; ++k) std::memcpy(out + 256 + 2048 + 64 * k + 4 * r, x.qh + 4 * k, 4);
      }
    }
  }
}

template <typename Block>
Block extract_affine_k(const uint8_t* group_block, int r) {
  constexpr bool kFifthBit = std::is_same_v<Block, BlockQ5_K>;
  Block x{};
  uint64_t a, m;
  std::memcpy(&a, group_block + 8 * r, 8);
  std::memcpy(&m, group_block + 128 + 8 * r, 8);
  uint8_t scales[8], mins[8];
  for (int j = 0; j < 8; ++j) {
    scales[j] = static_cast<uint8_t>((a >> (6 * j)) & 63);
    mins[j] = static_cast<uint8_t>((m >> (6 * j)) & 63);
  }
  pack_k_scales_mins(scales, mins, x.scales);
  x.d = static_cast<uint16_t>(a >> 48);
  x.dmin = static_cast<uint16_t>(m >> 48);
  for (int v = 0; v < 32; ++v) std::memcpy(x.qs + 4 * v, group_block + 256 + 64 * v + 4 * r, 4);
  if constexpr (kFifthBit) {
    for (int k = 0; k < 8; ++k) std::memcpy(x.qh + 4 * k, group_block + 256 + 2048 + 64 * k + 4 * r, 4);
  }
  return x;
}

// The stored 6-bit levels (value + 32) of a q6_k block in element order, and back.
void q6_k_levels(const BlockQ6_K& x, uint8_t levels[kQkK]) {
  int values[kQkK];
  unpack_q6_k(x, values);
  for (int i = 0; i < kQkK; ++i) levels[i] = static_cast<uint8_t>(values[i] + 32);
}

void pack_q6_k_levels(const uint8_t levels[kQkK], BlockQ6_K& x) {
  for (int half = 0; half < 2; ++half) {
    uint8_t* ql = x.ql + 64 * half;
    uint8_t* qh = x.qh + 32 * half;
    const uint8_t* l = levels + 128 * half;
    for (int i = 0; i < 32; ++i) {
      ql[i] = static_cast<uint8_t>((l[i] & 0xF) | ((l[i + 64] & 0xF) << 4));
      ql[i + 32] = static_cast<uint8_t>((l[i + 32] & 0xF) | ((l[i + 96] & 0xF) << 4));
      qh[i] = static_cast<uint8_t>((l[i] >> 4) | ((l[i + 32] >> 4) << 2) | ((l[i + 64] >> 4) << 4) |
                                   ((l[i + 96] >> 4) << 6));
    }
  }
}

void interleave_q6_k(const BlockQ6_K* rows, int64_t nb, uint8_t* out) {
  for (int64_t b = 0; b < nb; ++b, out += kG * sizeof(BlockQ6_K)) {
    for (int r = 0; r < kG; ++r) {
      const BlockQ6_K& x = rows[r * nb + b];
      std::memcpy(out + 2 * r, &x.d, 2);
      for (int g = 0; g < 16; ++g) out[32 + 16 * g + r] = static_cast<uint8_t>(x.scales[g]);
      uint8_t levels[kQkK];
      q6_k_levels(x, levels);
      for (int t = 0; t < 16; ++t) {
        for (int s = 0; s < 3; ++s) {
          uint8_t chunk[4];
          for (int i = 0; i < 4; ++i) {
            const int level = levels[4 * (t + 16 * s) + i];
            const int last = levels[4 * (t + 48) + i];
            chunk[i] = static_cast<uint8_t>((level << 2) | ((last >> (2 * s)) & 3));
          }
          std::memcpy(out + 288 + 192 * t + 64 * s + 4 * r, chunk, 4);
        }
      }
    }
  }
}

BlockQ6_K extract_q6_k(const uint8_t* group_block, int r) {
  BlockQ6_K x{};
  std::memcpy(&x.d, group_block + 2 * r, 2);
  for (int g = 0; g < 16; ++g) x.scales[g] = static_cast<int8_t>(group_block[32 + 16 * g + r]);
  uint8_t levels[kQkK];
  for (int t = 0; t < 16; ++t) {
    for (int i = 0; i < 4; ++i) {
      int last = 0;
      for (int s = 0; s < 3; ++s) {
        const uint8_t byte = group_block[288 + 192 * t + 64 * s + 4 * r + i];
        levels[4 * (t + 16 * s) + i] = static_cast<uint8_t>(byte >> 2);
        last |= (byte & 3) << (2 * s);
      }
      levels[4 * (t + 48) + i] = static_cast<uint8_t>(last);
    }
  }
  pack_q6_k_levels(levels, x);
  return x;
}

}  // namespace

int interleaved_group_rows(TensorType type) {
  switch (type) {
    case TensorType::q8_0: return kInterleavedRows;
    case TensorType::q4_k:
    case TensorType::q5_k:
    case TensorType::q6_k: return kInterleavedKRows;
    default: return 0;
  }
}

void interleave_rows(TensorType type, uint8_t* rows, int64_t nb, uint8_t* scratch) {
  switch (type) {
    case TensorType::q8_0: return interleave_q8_0_rows(rows, nb, scratch);
    case TensorType::q4_k:
      std::memcpy(scratch, rows, static_cast<std::size_t>(nb) * kG * sizeof(BlockQ4_K));
      return interleave_affine_k(as_blocks<BlockQ4_K>(scratch), nb, rows);
    case TensorType::q5_k:
      std::memcpy(scratch, rows, static_cast<std::size_t>(nb) * kG * sizeof(BlockQ5_K));
      return interleave_affine_k(as_blocks<BlockQ5_K>(scratch), nb, rows);
    case TensorType::q6_k:
      std::memcpy(scratch, rows, static_cast<std::size_t>(nb) * kG * sizeof(BlockQ6_K));
      return interleave_q6_k(as_blocks<BlockQ6_K>(scratch), nb, rows);
    default: return;
  }
}

void dequantize_interleaved_row(TensorType type, const uint8_t* group, int r, float* dst, int64_t n) {
  const int64_t nb = n / kQkK;
  switch (type) {
    case TensorType::q8_0: return dequantize_interleaved_q8_0_row(group, r, dst, n);
    case TensorType::q4_k:
      for (int64_t b = 0; b < nb; ++b) {
        const auto x = extract_affine_k<BlockQ4_K>(group + static_cast<std::size_t>(b) * kG * sizeof(BlockQ4_K), r);
        dequantize_q4_k(&x, dst + b * kQkK, 1);
      }
      return;
    case TensorType::q5_k:
      for (int64_t b = 0; b < nb; ++b) {
        const auto x = extract_affine_k<BlockQ5_K>(group + static_cast<std::size_t>(b) * kG * sizeof(BlockQ5_K), r);
        dequantize_q5_k(&x, dst + b * kQkK, 1);
      }
      return;
    case TensorType::q6_k:
      for (int64_t b = 0; b < nb; ++b) {
        const auto x = extract_q6_k(group + static_cast<std::size_t>(b) * kG * sizeof(BlockQ6_K), r);
        dequantize_q6_k(&x, dst + b * kQkK, 1);
      }
      return;
    default: std::memset(dst, 0, static_cast<std::size_t>(n) * sizeof(float));
  }
}

}  // namespace parley::engine
