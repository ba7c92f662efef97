// AVX-512 kernels with VNNI (vpdpbusd / vpdpwssd on 256-bit vectors through AVX-512VL: on current AMD and Intel
// cores the 256-bit forms run at full rate, and the 32 vector registers allow larger tiles), plus a BF16 dot product
// (vdpbf16ps) when the CPU has AVX512_BF16. Chosen at run time.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>
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

// ---- attention for decoding: a few (query, head) pairs ----
//
// The shared kernel converts a block's keys and values to f32 buffers once for every query and head (a prompt
// chunk has up to 32 queries times the heads of a group). A decode step has one query per sequence: there the
// buffers cost more than the arithmetic (at a 4,096-token context, attention took as long as all the weights), so
// up to kMaxDecodePairs pairs are computed together straight from the f16 cache in 512-bit vectors: each key row
// and value row converted once, nothing written but the states.
constexpr int kMaxDecodePairs = 8;

// GCC 12 reports the undefined pass-through operand inside its own AVX-512 intrinsics as maybe-uninitialized.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// e^x for 16 floats, as exp8 (x86-kernels.inc).
inline __m512 exp16(__m512 x) {
  const __mmask16 too_small = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.7f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145752f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.42860677e-6f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(static_cast<__mmask16>(~too_small), p, _mm512_castsi512_ps(bits));
}

inline __m512 load16_f16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

template <int P>
void attend_pairs(int head_dim, int n_heads, const float* q, std::size_t q_stride, const uint16_t* keys,
                  const uint16_t* values, std::size_t value_stride, int n_keys, const int* n_valid, float scale,
                  AttentionState* states) {
  const float* qp[P];
  int valid[P];
  for (int p = 0; p < P; ++p) {
    const int i = p / n_heads, h = p % n_heads;
    qp[p] = q + static_cast<std::size_t>(i) * q_stride + static_cast<std::size_t>(h * head_dim);
    valid[p] = std::min(n_valid[i], n_keys);
  }
  // Scores of the 32 positions (two vectors) for every pair; with one or two pairs, even and odd dimensions in
  // separate sums so that the FMA chains overlap.
  constexpr int kSplit = P < 3 ? 2 : 1;
  __m512 s[kSplit][P][2];
  for (int k = 0; k < kSplit; ++k) {
    for (int p = 0; p < P; ++p) s[k][p][0] = s[k][p][1] = _mm512_setzero_ps();
  }
  for (int d = 0; d < head_dim; ++d) {
    const __m512 k0 = load16_f16(keys + d * kAttendBlock), k1 = load16_f16(keys + d * kAttendBlock + 16);
    for (int p = 0; p < P; ++p) {
      const __m512 qd = _mm512_set1_ps(qp[p][d]);
      s[d % kSplit][p][0] = _mm512_fmadd_ps(qd, k0, s[d % kSplit][p][0]);
      s[d % kSplit][p][1] = _mm512_fmadd_ps(qd, k1, s[d % kSplit][p][1]);
    }
  }
  alignas(64) float weights[P][kAttendBlock];
  float rescale[P];
  for (int p = 0; p < P; ++p) {
    AttentionState& state = states[p];
    if (valid[p] <= 0) {
      rescale[p] = 1.0f;
      _mm512_store_ps(weights[p], _mm512_setzero_ps());
      _mm512_store_ps(weights[p] + 16, _mm512_setzero_ps());
      continue;
    }
    __m512 v[2];
    for (int h = 0; h < 2; ++h) {
      v[h] = _mm512_mul_ps(kSplit > 1 ? _mm512_add_ps(s[0][p][h], s[kSplit - 1][p][h]) : s[0][p][h],
                           _mm512_set1_ps(scale));
      // Positions past the valid ones (later than the query, or past the block's end) are masked out.
      const int in_half = std::clamp(valid[p] - 16 * h, 0, 16);
      const auto keep = static_cast<__mmask16>((1u << in_half) - 1u);
      v[h] = _mm512_mask_blend_ps(keep, _mm512_set1_ps(-INFINITY), v[h]);
    }
    const float new_max = std::max(state.max, _mm512_reduce_max_ps(_mm512_max_ps(v[0], v[1])));
    rescale[p] = std::exp(state.max - new_max);  // 0 for the first block (max -inf)
    state.max = new_max;
    const __m512 w0 = exp16(_mm512_sub_ps(v[0], _mm512_set1_ps(new_max)));
    const __m512 w1 = exp16(_mm512_sub_ps(v[1], _mm512_set1_ps(new_max)));
    _mm512_store_ps(weights[p], w0);
    _mm512_store_ps(weights[p] + 16, w1);
    state.sum = state.sum * rescale[p] + _mm512_reduce_add_ps(_mm512_add_ps(w0, w1));
  }
  // acc = acc * rescale + sum_j weights[j] * value_j, 32 dimensions at a time for every pair.
  for (int d = 0; d < head_dim; d += 32) {
    __m512 a[P][2];
    for (int p = 0; p < P; ++p) {
      const __m512 r = _mm512_set1_ps(rescale[p]);
      a[p][0] = _mm512_mul_ps(_mm512_loadu_ps(states[p].acc + d), r);
      a[p][1] = _mm512_mul_ps(_mm512_loadu_ps(states[p].acc + d + 16), r);
    }
    int n = 0;
    for (int p = 0; p < P; ++p) n = std::max(n, valid[p]);
    for (int j = 0; j < n; ++j) {
      const uint16_t* row = values + static_cast<std::size_t>(j) * value_stride + d;
      const __m512 v0 = load16_f16(row), v1 = load16_f16(row + 16);
      for (int p = 0; p < P; ++p) {
        const __m512 w = _mm512_set1_ps(weights[p][j]);
        a[p][0] = _mm512_fmadd_ps(w, v0, a[p][0]);
        a[p][1] = _mm512_fmadd_ps(w, v1, a[p][1]);
      }
    }
    for (int p = 0; p < P; ++p) {
      _mm512_storeu_ps(states[p].acc + d, a[p][0]);
      _mm512_storeu_ps(states[p].acc + d + 16, a[p][1]);
    }
  }
}

void attend_block_avx512(int head_dim, int n_queries, int n_heads, const float* q, std::size_t q_stride,
                         const uint16_t* keys, const uint16_t* values, std::size_t value_stride, int n_keys,
                         const int* n_valid, float scale, AttentionState* states) {
  const int pairs = n_queries * n_heads;
  if (pairs > kMaxDecodePairs || head_dim % 32 != 0) {
    return attend_block(head_dim, n_queries, n_heads, q, q_stride, keys, values, value_stride, n_keys, n_valid, scale,
                        states);
  }
  [&]<int... kP>(std::integer_sequence<int, kP...>) {
    ((pairs == kP + 1 ? attend_pairs<kP + 1>(head_dim, n_heads, q, q_stride, keys, values, value_stride, n_keys,
                                             n_valid, scale, states)
                      : void()),
     ...);
  }(std::make_integer_sequence<int, kMaxDecodePairs>());
}
#pragma GCC diagnostic pop

}  // namespace
}  // namespace avx512

void fill_avx512_kernels(KernelSet& set, bool with_bf16) {
  set.name = "avx512-vnni";
  avx512::fill_x86_kernels<4>(set);  // 32 vector registers: tiles of 4 rows x 4 activations
  avx512::fill_encoder_kernels(set);
  if (with_bf16) set.gemm[avx512::slot(TensorType::bf16)] = avx512::gemm_bf16;
  set.attend = avx512::attend_block_avx512;
}

}  // namespace parley::engine::kernels
