// AVX2 kernels for q4_k, q5_k and q6_k weights interleaved by 16 rows at load (layouts in quants.h, the same as the
// AVX-512 kernels'), for CPUs without AVX-512 (Zen 2/3, older Intel cores). A 256-bit vector holds 8 of the 16 rows
// of a group (the first or second half of each 64-byte vector), so each 4 bytes of an activation block, broadcast,
// meet 8 rows: `vpmaddubsw` gives int16 sums of pairs, which add up over a sub-block without overflowing and meet
// the per-row scales as int16 pairs in one `vpmaddwd`. Each super-block of 8 rows is unpacked once (levels to a small
// buffer, scales with scalar code: AVX2 has no `vpmultishiftqb`) for all the activation rows, two at a time.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "engine/kernels/kernels.h"
#include "engine/quant-blocks.h"

namespace parley::engine::kernels {
namespace avx2_kquant {
namespace {

constexpr int kGroupRows = 16;  // rows per interleaved group (kInterleavedKRows)
constexpr int kRows = 8;        // rows per vector
constexpr int kCols = 2;        // activation rows per tile (16 vector registers)

#include "engine/kernels/x86-scratch.inc"

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

inline __m256i broadcast32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

inline __m256i bytes(int v) { return _mm256_set1_epi8(static_cast<char>(v)); }

// Each super-block requests its lines this far ahead as it starts (the hardware prefetchers alone left the
// AVX-512 kernels' streams at about half the bandwidth).
constexpr std::size_t kPrefetchBytes = 4096;

inline void prefetch_lines(const uint8_t* p, std::size_t bytes) {
  for (std::size_t at = 0; at < bytes; at += 64) _mm_prefetch(reinterpret_cast<const char*>(p + at), _MM_HINT_T0);
}

const BlockQ8_K* activation_block(const uint8_t* a, std::size_t as, int c, int64_t b) {
  return reinterpret_cast<const BlockQ8_K*>(a + static_cast<std::size_t>(c) * as) + b;
}

// Eight rows of one super-block, unpacked: levels as vectors of 8 rows x 4 elements (vector v: elements 4v..4v+3,
// the true levels), the per-row scales as int16 pairs with the same value twice (they multiply the pair sums of
// `vpmaddubsw`), int16 pairs of two neighbouring scales that meet the activations' group sums (q4_k/q5_k: the
// minimums of sub-blocks 2i, 2i + 1; q6_k: the scales of groups 2i, 2i + 1, for the offset of its stored levels),
// and the f16 scales as floats.
struct HalfBlock {
  __m256i levels[64];
  __m256i scales[16];       // q4_k/q5_k: sub-block j (8); q6_k: group g (16)
  __m256i pair_scales[8];   // q4_k/q5_k: 4 pairs of minimums; q6_k: 8 pairs of group scales
  __m256 d, dmin;
};

inline __m256 halves_to_float(const uint16_t (&h)[kRows]) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)));
}

inline int32_t int16_pair(int lo, int hi) {
  return static_cast<int32_t>((static_cast<uint32_t>(lo) & 0xFFFFu) | (static_cast<uint32_t>(hi) << 16));
}

// ---- q4_k / q5_k ----

template <bool kFifthBit>
struct AffineFormat {
  static constexpr std::size_t kBlockBytes = kGroupRows * (kFifthBit ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
  static constexpr int kScales = 8;
  static constexpr int kPairs = 4;
  static constexpr bool kMins = true;
  // Level vectors whose int16 pair sums may be added before they meet the scale: 2 * 15 * 127 (q4) or 2 * 31 * 127
  // (q5) per vector stays below 32,767 for 8 (4) of them.
  static constexpr int kRun = kFifthBit ? 4 : 8;

  // Per activation row and super-block: the sums of sub-blocks 2i, 2i + 1 as int16 pairs.
  static void prepare(const BlockQ8_K& y, int32_t* out) {
    for (int i = 0; i < 4; ++i) {
      out[i] = int16_pair(y.bsums[4 * i] + y.bsums[4 * i + 1], y.bsums[4 * i + 2] + y.bsums[4 * i + 3]);
    }
  }

  // Rows 8h..8h+7 of the super-block at `block`.
  static void unpack(const uint8_t* block, int h, HalfBlock& u) {
    alignas(32) int32_t scales[8][kRows], mins[4][kRows];
    uint16_t d[kRows], dmin[kRows];
    for (int r = 0; r < kRows; ++r) {
      uint64_t a, m;
      std::memcpy(&a, block + 8 * (kRows * h + r), 8);
      std::memcpy(&m, block + 128 + 8 * (kRows * h + r), 8);
      for (int j = 0; j < 8; ++j) {
        const int s = static_cast<int>((a >> (6 * j)) & 63);
        scales[j][r] = int16_pair(s, s);
      }
      for (int i = 0; i < 4; ++i) {
        mins[i][r] = int16_pair(static_cast<int>((m >> (12 * i)) & 63), static_cast<int>((m >> (12 * i + 6)) & 63));
      }
      d[r] = static_cast<uint16_t>(a >> 48);
      dmin[r] = static_cast<uint16_t>(m >> 48);
    }
    for (int j = 0; j < 8; ++j) u.scales[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(scales[j]));
    for (int i = 0; i < 4; ++i) u.pair_scales[i] = _mm256_load_si256(reinterpret_cast<const __m256i*>(mins[i]));
    u.d = halves_to_float(d);
    u.dmin = halves_to_float(dmin);
    const __m256i low_nibbles = bytes(0x0F);
    for (int p = 0; p < 4; ++p) {
      for (int k = 0; k < 8; ++k) {
        const __m256i packed = load256(block + 256 + 64 * (8 * p + k) + 32 * h);
        __m256i lo = _mm256_and_si256(packed, low_nibbles);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_nibbles);
        if constexpr (kFifthBit) {
          // Bit 2p (2p + 1) of each qh byte is the fifth bit of the low (high) nibble's element: moved to bit 4.
          const __m256i qh = load256(block + 256 + 2048 + 64 * k + 32 * h);
          const __m256i fifth = bytes(0x10);
          const int lo_shift = 4 - 2 * p, hi_shift = 3 - 2 * p;
          const __m256i lo_bits = lo_shift >= 0 ? _mm256_slli_epi16(qh, lo_shift) : _mm256_srli_epi16(qh, -lo_shift);
          const __m256i hi_bits = hi_shift >= 0 ? _mm256_slli_epi16(qh, hi_shift) : _mm256_srli_epi16(qh, -hi_shift);
          lo = _mm256_or_si256(lo, _mm256_and_si256(lo_bits, fifth));
          hi = _mm256_or_si256(hi, _mm256_and_si256(hi_bits, fifth));
        }
        u.levels[16 * p + k] = lo;
        u.levels[16 * p + 8 + k] = hi;
      }
    }
  }
};

// ---- q6_k ----

struct Q6KFormat {
  static constexpr std::size_t kBlockBytes = kGroupRows * sizeof(BlockQ6_K);
  static constexpr int kScales = 16;
  static constexpr int kPairs = 8;
  static constexpr bool kMins = false;
  static constexpr int kRun = 2;  // 2 * 63 * 127 per vector: two of them stay below 32,767

  // Per activation row and super-block: minus the sums of groups 2i, 2i + 1 as int16 pairs (|sum| <= 16 * 127);
  // with the group scales they give the offset of the stored levels (value + 32), taken 32 times.
  static void prepare(const BlockQ8_K& y, int32_t* out) {
    for (int i = 0; i < 8; ++i) out[i] = int16_pair(-y.bsums[2 * i], -y.bsums[2 * i + 1]);
  }

  static void unpack(const uint8_t* block, int h, HalfBlock& u) {
    alignas(32) int32_t scales[16][kRows], pairs[8][kRows];
    uint16_t d[kRows];
    for (int r = 0; r < kRows; ++r) {
      std::memcpy(&d[r], block + 2 * (kRows * h + r), 2);
      int values[16];
      for (int g = 0; g < 16; ++g) {
        values[g] = static_cast<int8_t>(block[32 + 16 * g + kRows * h + r]);
        scales[g][r] = int16_pair(values[g], values[g]);
      }
      for (int i = 0; i < 8; ++i) pairs[i][r] = int16_pair(values[2 * i], values[2 * i + 1]);
    }
    for (int g = 0; g < 16; ++g) u.scales[g] = _mm256_load_si256(reinterpret_cast<const __m256i*>(scales[g]));
    for (int i = 0; i < 8; ++i) u.pair_scales[i] = _mm256_load_si256(reinterpret_cast<const __m256i*>(pairs[i]));
    u.d = halves_to_float(d);
    const __m256i six_bits = bytes(0x3F), two_bits = bytes(0x03);
    for (int t = 0; t < 16; ++t) {
      const uint8_t* triple = block + 288 + 192 * t + 32 * h;
      const __m256i s0 = load256(triple), s1 = load256(triple + 64), s2 = load256(triple + 128);
      // Vector s holds (level of chunk t + 16s) << 2 and bits 2s, 2s + 1 of the level of chunk t + 48.
      u.levels[t] = _mm256_and_si256(_mm256_srli_epi16(s0, 2), six_bits);
      u.levels[t + 16] = _mm256_and_si256(_mm256_srli_epi16(s1, 2), six_bits);
      u.levels[t + 32] = _mm256_and_si256(_mm256_srli_epi16(s2, 2), six_bits);
      u.levels[t + 48] = _mm256_or_si256(
          _mm256_and_si256(s0, two_bits),
          _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(s1, two_bits), 2),
                          _mm256_slli_epi16(_mm256_and_si256(s2, two_bits), 4)));
    }
  }
};

// ---- products ----

// An unpacked half super-block times C activation rows (their blocks y, their prepared pairs), added to acc.
template <typename Format, int C>
inline void half_block(const HalfBlock& u, const BlockQ8_K* const* y, const int32_t* const* prepared, __m256* acc) {
  constexpr int kVectors = 64 / Format::kScales;  // level vectors per scale
  __m256i sums[C];
  for (int c = 0; c < C; ++c) sums[c] = _mm256_setzero_si256();
  for (int j = 0; j < Format::kScales; ++j) {
    for (int run = j * kVectors; run < (j + 1) * kVectors; run += Format::kRun) {
      __m256i pairs[C];
      for (int c = 0; c < C; ++c) pairs[c] = _mm256_setzero_si256();
      for (int v = run; v < run + Format::kRun; ++v) {
        const __m256i level = _mm256_load_si256(&u.levels[v]);
        for (int c = 0; c < C; ++c) {
          pairs[c] = _mm256_add_epi16(pairs[c], _mm256_maddubs_epi16(level, broadcast32(y[c]->qs + 4 * v)));
        }
      }
      for (int c = 0; c < C; ++c) sums[c] = _mm256_add_epi32(sums[c], _mm256_madd_epi16(pairs[c], u.scales[j]));
    }
  }
  for (int c = 0; c < C; ++c) {
    __m256i paired = _mm256_setzero_si256();
    for (int i = 0; i < Format::kPairs; ++i) {
      paired = _mm256_add_epi32(paired, _mm256_madd_epi16(u.pair_scales[i], _mm256_set1_epi32(prepared[c][i])));
    }
    const __m256 ad = _mm256_set1_ps(y[c]->d);
    if constexpr (Format::kMins) {
      acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(u.d, ad), _mm256_cvtepi32_ps(sums[c]), acc[c]);
      acc[c] = _mm256_fnmadd_ps(_mm256_mul_ps(u.dmin, ad), _mm256_cvtepi32_ps(paired), acc[c]);
    } else {
      sums[c] = _mm256_add_epi32(sums[c], _mm256_slli_epi32(paired, 5));
      acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(u.d, ad), _mm256_cvtepi32_ps(sums[c]), acc[c]);
    }
  }
}

template <typename Format, int C>
void half_tile(int64_t nb, const HalfBlock* u, const uint8_t* a, std::size_t as, const int32_t* prepared, float* out,
               std::size_t os) {
  __m256 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ8_K* y[C];
    const int32_t* p[C];
    for (int c = 0; c < C; ++c) {
      y[c] = activation_block(a, as, c, b);
      p[c] = prepared + (c * nb + b) * Format::kPairs;
    }
    half_block<Format, C>(u[b], y, p, acc);
  }
  for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + static_cast<std::size_t>(c) * os, acc[c]);
}

// n_rows a multiple of 16, w at the start of a group: each half of each group is unpacked once (all its super-blocks)
// and then met by the activation rows two at a time.
template <typename Format>
void gemm_interleaved(int64_t n, const uint8_t* w, std::size_t ws, int64_t n_rows, const uint8_t* a, std::size_t as,
                      int64_t n_act, float* out, std::size_t os) {
  const int64_t nb = n / kQkK;
  const std::size_t group_bytes = kGroupRows * ws;
  thread_local Scratch<int32_t> prepared_scratch;
  int32_t* prepared = prepared_scratch.get(static_cast<std::size_t>(n_act * nb * Format::kPairs));
  for (int64_t c = 0; c < n_act; ++c) {
    for (int64_t b = 0; b < nb; ++b) {
      Format::prepare(*activation_block(a, as, static_cast<int>(c), b), prepared + (c * nb + b) * Format::kPairs);
    }
  }
  thread_local Scratch<HalfBlock> unpacked_scratch;
  HalfBlock* u = unpacked_scratch.get(static_cast<std::size_t>(nb));
  for (int64_t r = 0; r < n_rows; r += kGroupRows) {
    const uint8_t* group = w + static_cast<std::size_t>(r / kGroupRows) * group_bytes;
    for (int h = 0; h < 2; ++h) {
      for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* block = group + static_cast<std::size_t>(b) * Format::kBlockBytes;
        if (h == 0) prefetch_lines(block + kPrefetchBytes, Format::kBlockBytes);
        Format::unpack(block, h, u[b]);
      }
      float* o = out + static_cast<std::size_t>(r + kRows * h);
      int64_t c = 0;
      for (; c + kCols <= n_act; c += kCols) {
        half_tile<Format, kCols>(nb, u, a + static_cast<std::size_t>(c) * as, as, prepared + c * nb * Format::kPairs,
                                 o + static_cast<std::size_t>(c) * os, os);
      }
      if (c < n_act) {
        half_tile<Format, 1>(nb, u, a + static_cast<std::size_t>(c) * as, as, prepared + c * nb * Format::kPairs,
                             o + static_cast<std::size_t>(c) * os, os);
      }
    }
  }
}

}  // namespace
}  // namespace avx2_kquant

void fill_avx2_kquant_kernels(KernelSet& set) {
  using namespace avx2_kquant;
  set.gemm_interleaved[static_cast<int>(TensorType::q4_k)] = gemm_interleaved<AffineFormat<false>>;
  set.gemm_interleaved[static_cast<int>(TensorType::q5_k)] = gemm_interleaved<AffineFormat<true>>;
  set.gemm_interleaved[static_cast<int>(TensorType::q6_k)] = gemm_interleaved<Q6KFormat>;
}

}  // namespace parley::engine::kernels
