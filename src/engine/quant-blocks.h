// Block layouts of the GGUF quantized types (as specified by the GGUF/ggml format) as plain structs whose sizes equal
// the on-disk block sizes. Declarations only: the SIMD kernel files include this without pulling in inline code.
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

}  // namespace parley::engine
