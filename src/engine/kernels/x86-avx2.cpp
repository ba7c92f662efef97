// AVX2 + FMA + F16C kernels (compiled with those flags only; chosen at run time when the CPU has them).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "engine/kernels/kernels.h"
#include "engine/ops.h"
#include "engine/quant-blocks.h"

namespace parley::engine::kernels {
namespace avx2 {
namespace {

// u8 x s8 products summed in pairs to int16 (no overflow for the level ranges used: |u| <= 127 or u <= 63), then in
// pairs again to int32.
inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}

inline __m256i madd_i16(__m256i acc, __m256i p, __m256i scale) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(p, scale));
}

// Each bit of qh becomes a byte: broadcast, pick the byte holding bit i for lane i, test the bit.
inline __m256i q5_high_bits(const uint8_t* qh_bytes) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  const __m256i broadcast = _mm256_set1_epi32(static_cast<int>(qh));
  const __m256i pick = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
  const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  const __m256i bytes = _mm256_shuffle_epi8(broadcast, pick);
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
  return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

constexpr bool kHasVnni = false;
constexpr bool kLaneKernels = false;  // 16 registers: the column-lane kernel would spill

#include "engine/kernels/x86-kernels.inc"
#include "engine/kernels/x86-encoder.inc"

}  // namespace
}  // namespace avx2

void fill_avx2_kernels(KernelSet& set) {
  set.name = "avx2";
  avx2::fill_x86_kernels<2>(set);  // 16 vector registers: tiles of 4 rows x 2 activations
  avx2::fill_encoder_kernels(set);
}

}  // namespace parley::engine::kernels
