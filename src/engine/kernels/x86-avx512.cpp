// AVX-512 kernels with VNNI (vpdpbusd / vpdpwssd on 256-bit vectors through AVX-512VL: on current AMD and Intel
// cores the 256-bit forms run at full rate, and the 32 vector registers allow larger tiles), plus a BF16 dot product
// (vdpbf16ps) when the CPU has AVX512_BF16. Chosen at run time.
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
namespace avx512 {
namespace {

inline __m256i dot_u8s8(__m256i acc, __m256i u, __m256i s) { return _mm256_dpbusd_epi32(acc, u, s); }
inline __m256i madd_i16(__m256i acc, __m256i p, __m256i scale) { return _mm256_dpwssd_epi32(acc, p, scale); }

// The 32 bits of qh are a byte mask directly (AVX-512BW).
inline __m256i q5_high_bits(const uint8_t* qh_bytes) {
  uint32_t qh;
  std::memcpy(&qh, qh_bytes, 4);
  return _mm256_maskz_mov_epi8(qh, _mm256_set1_epi8(0x10));
}

constexpr bool kHasVnni = true;
constexpr bool kLaneKernels = true;  // 32 vector registers (and VNNI, which the q8_0 lane kernel needs)

#include "engine/kernels/x86-kernels.inc"
#include "engine/kernels/x86-encoder.inc"

// bf16 x bf16 with vdpbf16ps: 16 products per instruction, summed in pairs into f32 lanes.
void gemm_bf16(int64_t n, const uint8_t* w, std::size_t ws, int64_t n_rows, const uint8_t* a, std::size_t as,
               int64_t n_act, float* out, std::size_t os) {
  for (int64_t c = 0; c < n_act; ++c) {
    const auto* y = reinterpret_cast<const uint16_t*>(a + static_cast<std::size_t>(c) * as);
    for (int64_t r = 0; r < n_rows; ++r) {
      const auto* x = reinterpret_cast<const uint16_t*>(w + static_cast<std::size_t>(r) * ws);
      __m256 acc = _mm256_setzero_ps();
      int64_t i = 0;
      for (; i + 16 <= n; i += 16) {
        const __m256i xv = load256(x + i);
        const __m256i yv = load256(y + i);
        acc = _mm256_dpbf16_ps(acc, reinterpret_cast<const __m256bh&>(xv), reinterpret_cast<const __m256bh&>(yv));
      }
      float sum = hsum(acc);
      for (; i < n; ++i) sum += LoadBf16::one(x + i) * LoadBf16::one(y + i);
      out[static_cast<std::size_t>(c) * os + static_cast<std::size_t>(r)] = sum;
    }
  }
}

}  // namespace
}  // namespace avx512

void fill_avx512_kernels(KernelSet& set, bool with_bf16) {
  set.name = "avx512-vnni";
  avx512::fill_x86_kernels<4>(set);  // 32 vector registers: tiles of 4 rows x 4 activations
  avx512::fill_encoder_kernels(set);
  if (with_bf16) set.gemm[avx512::slot(TensorType::bf16)] = avx512::gemm_bf16;
}

}  // namespace parley::engine::kernels
