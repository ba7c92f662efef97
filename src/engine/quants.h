// Block layouts of the GGUF quantized types (as specified by the GGUF/ggml format) and their scalar reference
// quantization and dequantization. Every block type is a plain struct whose size equals the on-disk block size.
//
// Element order inside a block, as the format defines it:
// - q4_0/q4_1: element j (0..15) is the low nibble of qs[j], element j+16 the high nibble.
// - q5_0/q5_1: like q4, with bit 4 of element j taken from bit j of the 32-bit little-endian qh.
// - q8_0/q8_1: qs[j] is element j.
// - q4_k: 8 sub-blocks of 32 with 6-bit scales and mins packed in 12 bytes; each 64 elements use 32 bytes of qs,
//   low nibbles first (sub-block 2i) then high nibbles (sub-block 2i+1).
// - q5_k: q4_k plus qh: bit (2i) and (2i+1) of qh[l] extend element l of sub-blocks 2i and 2i+1.
// - q6_k: 16 sub-blocks of 16 with int8 scales; each half of 128 elements uses 64 bytes of ql (low 4 bits) and
//   32 bytes of qh (2 high bits each), stored value minus 32.
// - q8_k: float scale, 256 int8, and the sums of each group of 16 (the activation format of the k-quants).
#pragma once

#include <cstdint>
#include <span>

#include "common/result.h"
#include "engine/tensor-type.h"

namespace parley::engine {

inline constexpr int kQk = 32;    // elements per block of the q4_0 .. q8_1 family
inline constexpr int kQkK = 256;  // elements per super-block of the k-quants

struct BlockQ4_0 {
  uint16_t d;  // fp16 scale
  uint8_t qs[kQk / 2];
};
struct BlockQ4_1 {
  uint16_t d;  // fp16 scale
  uint16_t m;  // fp16 minimum
  uint8_t qs[kQk / 2];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kQk / 2];
};
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQk / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQk];
};
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;  // fp16 of d * sum(qs)
  int8_t qs[kQk];
};
struct BlockQ4_K {
  uint16_t d;     // fp16 super-block scale of the sub-block scales
  uint16_t dmin;  // fp16 super-block scale of the sub-block minimums
  uint8_t scales[12];
  uint8_t qs[kQkK / 2];
};
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kQkK / 8];
  uint8_t qs[kQkK / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQkK / 2];
  uint8_t qh[kQkK / 4];
  int8_t scales[kQkK / 16];
  uint16_t d;
};
struct BlockQ8_K {
  float d;
  int8_t qs[kQkK];
  int16_t bsums[kQkK / 16];
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20 && sizeof(BlockQ5_0) == 22 &&
              sizeof(BlockQ5_1) == 24 && sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36 &&
              sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210 &&
              sizeof(BlockQ8_K) == 292);

// Scale and minimum of sub-block j (0..7) of a q4_k/q5_k block, unpacked from its 12 scale bytes.
inline void unpack_k_scale_min(int j, const uint8_t* scales, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = scales[j] & 63;
    min = scales[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
  }
}

// The inverse: packs eight 6-bit scales and minimums.
void pack_k_scales_mins(const uint8_t scale[8], const uint8_t min[8], uint8_t out[12]);

// Converts `n` elements of a row of `type` to floats (n a multiple of the type's block size).
void dequantize_row(TensorType type, const void* src, float* dst, int64_t n);

// Quantizes `n` floats into `type` (every type of tensor_type_traits with computable=true, plus q8_1 and q8_k).
// The k-quants use a simple search for good scales; quality is close to, not identical with, llama-quantize.
void quantize_row(TensorType type, const float* src, void* dst, int64_t n);

// The activation format a weight type's dot product expects: f32 for f32, f16 for f16, bf16 for bf16, q8_0 for
// q4_0/q5_0/q8_0, q8_1 for q4_1/q5_1 and q8_k for the k-quants (this mirrors the reference implementation, whose
// logits the tests compare against).
TensorType activation_type(TensorType weight);

}  // namespace parley::engine
