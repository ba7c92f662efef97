// AVX-512 kernels for q4_k, q5_k and q6_k weights interleaved by 16 rows at load (layouts in quants.h), for one
// activation row (decoding), a few (batched decoding) and many (prompts) alike. The 16 lanes of a 512-bit vector
// are 16 weight rows: each 4 bytes of an activation block, broadcast, meet 16 rows in one vpdpbusd, the per-row
// scales are vectors of rows, and 16 results come out as one vector (no horizontal sums). A task's rows are one
// sequential stream, which the hardware prefetchers follow. Compiled with VBMI besides F/BW/VL/VNNI (scale words
// are unpacked with vpmultishiftqb and transposed with vpermt2b) and chosen at run time only on CPUs with it; the
// 512-bit forms run at full rate on cores with 512-bit data paths (Zen 5, Intel server cores).
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "engine/kernels/kernels.h"
#include "engine/quant-blocks.h"

// GCC 12 reports the undefined pass-through operand inside its own AVX-512 intrinsics as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace parley::engine::kernels {
namespace avx512_kquant {
namespace {

constexpr int kRows = 16;  // weight rows per group (kInterleavedKRows)

#include "engine/kernels/x86-scratch.inc"

inline __m512i broadcast32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Weights stream from memory once per product. Up to 8 activation rows (decoding, batched decoding) go through each
// super-block once, and each super-block requests the lines kPrefetchBytes further on as it starts: the hardware
// prefetchers alone left the q4_k stream at about half the memory bandwidth, and requesting only the lines the quant
// loads touch (not the scale words) left it at two thirds; two tiles of 4 activation rows in turn over a group
// (the second from cache, memory idle meanwhile) also measured at half. With more activation rows (prompts) each
// tile requests a slice of the next group into L2.
constexpr std::size_t kPrefetchBytes = 4096;

inline void prefetch_lines(const uint8_t* p, std::size_t bytes, int hint_l2) {
  for (std::size_t at = 0; at < bytes; at += 64) {
    if (hint_l2) {
      _mm_prefetch(reinterpret_cast<const char*>(p + at), _MM_HINT_T1);
    } else {
      _mm_prefetch(reinterpret_cast<const char*>(p + at), _MM_HINT_T0);
    }
  }
}

inline __m512i bytes(int v) { return _mm512_set1_epi8(static_cast<char>(v)); }

inline __m512i multishift(__m512i control, __m512i data) { return _mm512_multishift_epi64_epi8(control, data); }
inline __m512i widen_u8_to_i32(__m128i v) { return _mm512_cvtepu8_epi32(v); }
inline __m512i widen_i8_to_i32(__m128i v) { return _mm512_cvtepi8_epi32(v); }
inline __m512i widen_u8_to_i16(__m256i v) { return _mm512_cvtepu8_epi16(v); }
inline __m512 halves_to_float(__m256i v) { return _mm512_cvtph_ps(v); }
inline __m512 to_float(__m512i v) { return _mm512_cvtepi32_ps(v); }

const BlockQ8_K* activation_block(const uint8_t* a, std::size_t as, int c, int64_t b) {
  return reinterpret_cast<const BlockQ8_K*>(a + static_cast<std::size_t>(c) * as) + b;
}

// ---- q4_k / q5_k ----
//
// Per super-block, the 16 rows' scale words give (shared by all activation rows): scale j of every row as an
// int32 vector, minimums as int16 pairs (sub-blocks 2i, 2i+1) for vpdpwssd, d and dmin as float vectors. Each
// activation row needs, besides its quants, the sums of its eight 32-element sub-blocks as the matching int16
// pairs (prepared once per product).

struct AffineScales {
  alignas(64) uint8_t scales[8][kRows];  // [sub-block][row]
  alignas(64) uint8_t min_pairs[4][2 * kRows];  // [pair][row][2]
  __m512 d, dmin;
};

inline void unpack_affine_scales(const uint8_t* block, AffineScales& s) {
  // vpmultishiftqb: byte j of each word = bits 6j.. of the word, then the 6 bits of scale (minimum) j.
  const __m512i shifts = _mm512_set1_epi64(0x2A241E18120C0600LL);
  const __m512i six_bits = bytes(0x3F);
  const __m512i a0 = _mm512_loadu_si512(block), a1 = _mm512_loadu_si512(block + 64);
  const __m512i m0 = _mm512_loadu_si512(block + 128), m1 = _mm512_loadu_si512(block + 192);
  const __m512i sa0 = _mm512_and_si512(multishift(shifts, a0), six_bits);
  const __m512i sa1 = _mm512_and_si512(multishift(shifts, a1), six_bits);
  const __m512i sm0 = _mm512_and_si512(multishift(shifts, m0), six_bits);
  const __m512i sm1 = _mm512_and_si512(multishift(shifts, m1), six_bits);
  // [row][j] bytes (rows 0-7 in the first vector, 8-15 in the second) -> [j][row] and [pair][row][2].
  alignas(64) static constexpr uint8_t kScaleOrder[2][64] = {
#define PARLEY_SCALE_ROW(j)                                                                                      \
  (j), 8 + (j), 16 + (j), 24 + (j), 32 + (j), 40 + (j), 48 + (j), 56 + (j), 64 + (j), 72 + (j), 80 + (j),      \
      88 + (j), 96 + (j), 104 + (j), 112 + (j), 120 + (j)
      {PARLEY_SCALE_ROW(0), PARLEY_SCALE_ROW(1), PARLEY_SCALE_ROW(2), PARLEY_SCALE_ROW(3)},
      {PARLEY_SCALE_ROW(4), PARLEY_SCALE_ROW(5), PARLEY_SCALE_ROW(6), PARLEY_SCALE_ROW(7)},
#undef PARLEY_SCALE_ROW
  };
  alignas(64) static constexpr uint8_t kPairOrder[2][64] = {
#define PARLEY_PAIR_ROW(i, r) 8 * (r) + 2 * (i), 8 * (r) + 2 * (i) + 1
#define PARLEY_PAIR(i)                                                                                            \
  PARLEY_PAIR_ROW(i, 0), PARLEY_PAIR_ROW(i, 1), PARLEY_PAIR_ROW(i, 2), PARLEY_PAIR_ROW(i, 3), PARLEY_PAIR_ROW(i, 4), \
      PARLEY_PAIR_ROW(i, 5), PARLEY_PAIR_ROW(i, 6), PARLEY_PAIR_ROW(i, 7), PARLEY_PAIR_ROW(i, 8),                  \
      PARLEY_PAIR_ROW(i, 9), PARLEY_PAIR_ROW(i, 10), PARLEY_PAIR_ROW(i, 11), PARLEY_PAIR_ROW(i, 12),              \
      PARLEY_PAIR_ROW(i, 13), PARLEY_PAIR_ROW(i, 14), PARLEY_PAIR_ROW(i, 15)
      {PARLEY_PAIR(0), PARLEY_PAIR(1)},
      {PARLEY_PAIR(2), PARLEY_PAIR(3)},
#undef PARLEY_PAIR
#undef PARLEY_PAIR_ROW
  };
  for (int h = 0; h < 2; ++h) {
    const __m512i order = _mm512_load_si512(kScaleOrder[h]);
    _mm512_store_si512(s.scales[4 * h], _mm512_permutex2var_epi8(sa0, order, sa1));
    const __m512i pairs = _mm512_load_si512(kPairOrder[h]);
    _mm512_store_si512(s.min_pairs[2 * h], _mm512_permutex2var_epi8(sm0, pairs, sm1));
  }
  // Word 3 of every row's word: its f16 d (dmin).
  alignas(64) static constexpr uint16_t kHalfOrder[32] = {3,  7,  11, 15, 19, 23, 27, 31, 35, 39, 43,
                                                          47, 51, 55, 59, 63, 0,  0,  0,  0,  0,  0,
                                                          0,  0,  0,  0,  0,  0,  0,  0,  0,  0};
  const __m512i half_order = _mm512_load_si512(kHalfOrder);
  s.d = halves_to_float(_mm512_castsi512_si256(_mm512_permutex2var_epi16(a0, half_order, a1)));
  s.dmin = halves_to_float(_mm512_castsi512_si256(_mm512_permutex2var_epi16(m0, half_order, m1)));
}

inline __m512i scale_vector(const AffineScales& s, int j) {
  return widen_u8_to_i32(_mm_load_si128(reinterpret_cast<const __m128i*>(s.scales[j])));
}

// Per activation row and super-block: the sub-block sums as int16 pairs (2i, 2i+1), from the q8_k group sums.
void prepare_sub_block_pairs(int64_t nb, const uint8_t* a, std::size_t as, int64_t n_act, int32_t* out) {
  for (int64_t c = 0; c < n_act; ++c) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ8_K* y = activation_block(a, as, static_cast<int>(c), b);
      for (int i = 0; i < 4; ++i) {
        const int lo = y->bsums[4 * i] + y->bsums[4 * i + 1];
        const int hi = y->bsums[4 * i + 2] + y->bsums[4 * i + 3];
        out[(c * nb + b) * 4 + i] = static_cast<int32_t>((static_cast<uint32_t>(hi) << 16) | (static_cast<uint32_t>(lo) & 0xFFFFu));
      }
    }
  }
}

// One group of 16 rows times C activation rows, all super-blocks. q4_k: the high nibbles are used in place
// (16 times their value: one operation instead of two), so the low sub-blocks' scales are taken 16 times too and
// the sum is 16 times the product. q5_k adds the fifth bit from qh.

// ---- levels ----

// Weight vector (p, k) of a q4_k/q5_k super-block: its low nibbles (elements 4k.. of sub-block 2p) and high nibbles
// (of sub-block 2p + 1), with q5_k's fifth bits. kHighInPlace (q4_k only): the high nibbles stay in bits 4..7, 16
// times their value (one operation instead of two).
template <bool kFifthBit, bool kHighInPlace>
[[gnu::always_inline]] inline void affine_levels(const uint8_t* block, int p, int k, __m512i& lo, __m512i& hi) {
  const __m512i low_nibbles = bytes(0x0F);
  const __m512i packed = _mm512_loadu_si512(block + 256 + 64 * (8 * p + k));
  if constexpr (kFifthBit) {
    // Bit 2p (2p + 1) of each qh byte is the fifth bit of the low (high) nibble's element: moved to bit 4.
    const __m512i qh = _mm512_loadu_si512(block + 256 + 2048 + 64 * k);
    const __m512i fifth = bytes(0x10);
    const int lo_shift = 4 - 2 * p, hi_shift = 3 - 2 * p;
    const __m512i lo_bits = lo_shift >= 0 ? _mm512_slli_epi16(qh, static_cast<unsigned>(lo_shift))
                                          : _mm512_srli_epi16(qh, static_cast<unsigned>(-lo_shift));
    const __m512i hi_bits = hi_shift >= 0 ? _mm512_slli_epi16(qh, static_cast<unsigned>(hi_shift))
                                          : _mm512_srli_epi16(qh, static_cast<unsigned>(-hi_shift));
    // a | (b & c)
    lo = _mm512_ternarylogic_epi32(_mm512_and_si512(packed, low_nibbles), lo_bits, fifth, 0xF8);
    hi = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles), hi_bits, fifth, 0xF8);
  } else {
    lo = _mm512_and_si512(packed, low_nibbles);
    hi = kHighInPlace ? _mm512_andnot_si512(low_nibbles, packed)
                      : _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_nibbles);
  }
}

// The four level vectors of q6_k triple t (chunks t, t + 16, t + 32, t + 48), each level 4 times its value.
[[gnu::always_inline]] inline void q6_k_levels(const uint8_t* block, int t, __m512i (&levels)[4]) {
  const uint8_t* triple = block + 288 + 192 * t;
  const __m512i s0 = _mm512_loadu_si512(triple), s1 = _mm512_loadu_si512(triple + 64),
                s2 = _mm512_loadu_si512(triple + 128);
  const __m512i high6 = bytes(0xFC);
  // c ? a : b = 0xE4 (a: the first operand, c: the mask)
  const __m512i low = _mm512_ternarylogic_epi32(_mm512_slli_epi16(s0, 2), _mm512_slli_epi16(s1, 4), bytes(0x0C), 0xE4);
  levels[0] = _mm512_and_si512(s0, high6);
  levels[1] = _mm512_and_si512(s1, high6);
  levels[2] = _mm512_and_si512(s2, high6);
  levels[3] = _mm512_and_si512(_mm512_ternarylogic_epi32(low, _mm512_slli_epi16(s2, 6), bytes(0x3C), 0xE4), high6);
}

// Per activation row and super-block of q6_k: each group's starting value -128 * (its activation sum) (levels are
// 4 times value + 32).
void prepare_group_offsets(int64_t nb, const uint8_t* a, std::size_t as, int64_t n_act, int32_t* out) {
  for (int64_t c = 0; c < n_act; ++c) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ8_K* y = activation_block(a, as, static_cast<int>(c), b);
      for (int g = 0; g < 16; ++g) out[(c * nb + b) * 16 + g] = -128 * y->bsums[g];
    }
  }
}

// ---- up to 4 activation rows: tiles straight from the weights ----

// One group of 16 rows times C (1..4) activation rows, all super-blocks. q4_k uses its high nibbles in place, so
// its low sub-blocks' scales are taken 16 times too and the sum is 16 times the product.
template <bool kFifthBit, int C>
void affine_tile(int64_t nb, const uint8_t* group, const uint8_t* a, std::size_t as, const int32_t* pairs,
                 float* out, std::size_t os) {
  constexpr std::size_t kBlockBytes = kRows * (kFifthBit ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
  constexpr int kHighShift = kFifthBit ? 0 : 4;
  // Two chains per sub-block with one or two activation rows, so that consecutive vpdpbusd do not wait on each other.
  constexpr int kChains = C < 3 ? 2 : 1;
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* block = group + static_cast<std::size_t>(b) * kBlockBytes;
    prefetch_lines(block + kPrefetchBytes, kBlockBytes, 0);
    AffineScales s;
    unpack_affine_scales(block, s);
    const BlockQ8_K* y[C];
    for (int c = 0; c < C; ++c) y[c] = activation_block(a, as, c, b);
    __m512i sums[C], mins[C];
    for (int c = 0; c < C; ++c) sums[c] = mins[c] = _mm512_setzero_si512();
    // Sub-blocks 2p and 2p + 1.
    const auto pair = [&](int p) __attribute__((always_inline)) {
      __m512i lo_dots[kChains][C], hi_dots[kChains][C];
      for (int h = 0; h < kChains; ++h) {
        for (int c = 0; c < C; ++c) lo_dots[h][c] = hi_dots[h][c] = _mm512_setzero_si512();
      }
      #pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        __m512i lo, hi;
        affine_levels<kFifthBit, true>(block, p, k, lo, hi);
        for (int c = 0; c < C; ++c) {
          __m512i& lo_dot = lo_dots[k % kChains][c];
          __m512i& hi_dot = hi_dots[k % kChains][c];
          lo_dot = _mm512_dpbusd_epi32(lo_dot, lo, broadcast32(y[c]->qs + 64 * p + 4 * k));
          hi_dot = _mm512_dpbusd_epi32(hi_dot, hi, broadcast32(y[c]->qs + 64 * p + 32 + 4 * k));
        }
      }
      if constexpr (kChains > 1) {
        for (int c = 0; c < C; ++c) {
          lo_dots[0][c] = _mm512_add_epi32(lo_dots[0][c], lo_dots[1][c]);
          hi_dots[0][c] = _mm512_add_epi32(hi_dots[0][c], hi_dots[1][c]);
        }
      }
      const __m512i scale_lo = _mm512_slli_epi32(scale_vector(s, 2 * p), kHighShift);
      const __m512i scale_hi = scale_vector(s, 2 * p + 1);
      const __m512i min_pairs = widen_u8_to_i16(_mm256_load_si256(reinterpret_cast<const __m256i*>(s.min_pairs[p])));
      for (int c = 0; c < C; ++c) {
        sums[c] = _mm512_add_epi32(sums[c], _mm512_add_epi32(_mm512_mullo_epi32(lo_dots[0][c], scale_lo),
                                                             _mm512_mullo_epi32(hi_dots[0][c], scale_hi)));
        mins[c] = _mm512_dpwssd_epi32(mins[c], min_pairs, _mm512_set1_epi32(pairs[(c * nb + b) * 4 + p]));
      }
    };
    // Unrolled for one or two activation rows, so that the pairs' chains overlap; with more, unrolling spilled the
    // accumulators.
    if constexpr (C < 3) {
      #pragma GCC unroll 4
      for (int p = 0; p < 4; ++p) pair(p);
    } else {
      for (int p = 0; p < 4; ++p) pair(p);
    }
    for (int c = 0; c < C; ++c) {
      const __m512 ad = _mm512_set1_ps(y[c]->d * (kFifthBit ? 1.0f : 1.0f / 16));
      const __m512 am = _mm512_set1_ps(y[c]->d);
      acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(s.d, ad), to_float(sums[c]), acc[c]);
      acc[c] = _mm512_fnmadd_ps(_mm512_mul_ps(s.dmin, am), to_float(mins[c]), acc[c]);
    }
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + static_cast<std::size_t>(c) * os, acc[c]);
}

// One group of 16 rows times C (1..4) activation rows, all super-blocks: each group's dot product starts at its
// offset and the sum is 4 times the product.
template <int C>
void q6_k_tile(int64_t nb, const uint8_t* group, const uint8_t* a, std::size_t as, const int32_t* offsets,
               float* out, std::size_t os) {
  constexpr std::size_t kBlockBytes = kRows * sizeof(BlockQ6_K);
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* block = group + static_cast<std::size_t>(b) * kBlockBytes;
    prefetch_lines(block + kPrefetchBytes, kBlockBytes, 0);
    const BlockQ8_K* y[C];
    for (int c = 0; c < C; ++c) y[c] = activation_block(a, as, c, b);
    __m512i sums[C];
    for (int c = 0; c < C; ++c) sums[c] = _mm512_setzero_si512();
    for (int quarter = 0; quarter < 4; ++quarter) {
      // Triples t = 4 quarter .. 4 quarter + 3 carry the chunks of groups quarter + 4m (m = 0..3).
      __m512i dots[4][C];
      for (int m = 0; m < 4; ++m) {
        for (int c = 0; c < C; ++c) dots[m][c] = _mm512_set1_epi32(offsets[(c * nb + b) * 16 + quarter + 4 * m]);
      }
      #pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) {
        const int t = 4 * quarter + u;
        __m512i levels[4];
        q6_k_levels(block, t, levels);
        for (int m = 0; m < 4; ++m) {
          for (int c = 0; c < C; ++c) {
            dots[m][c] = _mm512_dpbusd_epi32(dots[m][c], levels[m], broadcast32(y[c]->qs + 4 * (t + 16 * m)));
          }
        }
      }
      for (int m = 0; m < 4; ++m) {
        const __m512i scale = widen_i8_to_i32(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 32 + 16 * (quarter + 4 * m))));
        for (int c = 0; c < C; ++c) sums[c] = _mm512_add_epi32(sums[c], _mm512_mullo_epi32(dots[m][c], scale));
      }
    }
    const __m512 d = halves_to_float(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block)));
    for (int c = 0; c < C; ++c) {
      acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_set1_ps(y[c]->d * 0.25f)), to_float(sums[c]), acc[c]);
    }
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + static_cast<std::size_t>(c) * os, acc[c]);
}

// ---- more activation rows: each super-block unpacked once for all of them ----
//
// With more than 4 activation rows a tile straight from the weights would hold too many accumulators, and tiles of
// 4 would unpack every weight vector once per tile. Instead each super-block is unpacked once into its 64 level
// vectors (vector v: elements 4v..4v+3 of the 16 rows) and per-row scale vectors, which up to 8 activation rows at
// a time then read from L1 (or, for prompts, the whole group's from L2).

struct UnpackedSuperBlock {
  __m512i levels[64];    // q4_k/q5_k: the levels; q6_k: 4 times the stored levels
  __m512i scales[16];    // per row: q4_k/q5_k the 8 sub-block scales, q6_k the 16 group scales
  __m512i min_pairs[4];  // q4_k/q5_k: the minimums of sub-blocks 2i, 2i + 1 as int16 pairs
  __m512 d, dmin;        // q6_k: d / 4 (for its 4x levels), no dmin
};

template <bool kFifthBit>
struct AffineFormat {
  static constexpr std::size_t kBlockBytes = kRows * (kFifthBit ? sizeof(BlockQ5_K) : sizeof(BlockQ4_K));
  static constexpr int kScales = 8;
  static constexpr bool kMins = true;
  static constexpr int kPrepared = 4;  // int32 per activation row and super-block: the sub-block sum pairs
  static void prepare(int64_t nb, const uint8_t* a, std::size_t as, int64_t n_act, int32_t* out) {
    prepare_sub_block_pairs(nb, a, as, n_act, out);
  }
  static void unpack(const uint8_t* block, UnpackedSuperBlock& u) {
    AffineScales s;
    unpack_affine_scales(block, s);
    for (int j = 0; j < 8; ++j) u.scales[j] = scale_vector(s, j);
    for (int p = 0; p < 4; ++p) {
      u.min_pairs[p] = widen_u8_to_i16(_mm256_load_si256(reinterpret_cast<const __m256i*>(s.min_pairs[p])));
    }
    u.d = s.d;
    u.dmin = s.dmin;
    for (int p = 0; p < 4; ++p) {
      #pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) affine_levels<kFifthBit, false>(block, p, k, u.levels[16 * p + k], u.levels[16 * p + 8 + k]);
    }
  }
};

struct Q6KFormat {
  static constexpr std::size_t kBlockBytes = kRows * sizeof(BlockQ6_K);
  static constexpr int kScales = 16;
  static constexpr bool kMins = false;
  static constexpr int kPrepared = 16;  // int32 per activation row and super-block: the group offsets
  static void prepare(int64_t nb, const uint8_t* a, std::size_t as, int64_t n_act, int32_t* out) {
    prepare_group_offsets(nb, a, as, n_act, out);
  }
  static void unpack(const uint8_t* block, UnpackedSuperBlock& u) {
    for (int g = 0; g < 16; ++g) {
      u.scales[g] = widen_i8_to_i32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 32 + 16 * g)));
    }
    u.d = _mm512_mul_ps(halves_to_float(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block))),
                        _mm512_set1_ps(0.25f));
    for (int t = 0; t < 16; ++t) {
      __m512i levels[4];
      q6_k_levels(block, t, levels);
      for (int m = 0; m < 4; ++m) u.levels[t + 16 * m] = levels[m];
    }
  }
};

// An unpacked super-block times C activation rows (their blocks y, their prepared numbers), added to acc.
template <typename Format, int C>
[[gnu::always_inline]] inline void unpacked_block(const UnpackedSuperBlock& u, const BlockQ8_K* const* y,
                                                  const int32_t* const* prepared, __m512* acc) {
  constexpr int kVectors = 64 / Format::kScales;  // level vectors per scale
  __m512i sums[C];
  for (int c = 0; c < C; ++c) sums[c] = _mm512_setzero_si512();
  for (int j = 0; j < Format::kScales; ++j) {
    __m512i dots[C];
    for (int c = 0; c < C; ++c) dots[c] = Format::kMins ? _mm512_setzero_si512() : _mm512_set1_epi32(prepared[c][j]);
    #pragma GCC unroll 8
    for (int v = j * kVectors; v < (j + 1) * kVectors; ++v) {
      const __m512i level = u.levels[v];
      for (int c = 0; c < C; ++c) dots[c] = _mm512_dpbusd_epi32(dots[c], level, broadcast32(y[c]->qs + 4 * v));
    }
    for (int c = 0; c < C; ++c) sums[c] = _mm512_add_epi32(sums[c], _mm512_mullo_epi32(dots[c], u.scales[j]));
  }
  for (int c = 0; c < C; ++c) {
    acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(u.d, _mm512_set1_ps(y[c]->d)), to_float(sums[c]), acc[c]);
    if constexpr (Format::kMins) {
      __m512i mins = _mm512_setzero_si512();
      for (int p = 0; p < 4; ++p) mins = _mm512_dpwssd_epi32(mins, u.min_pairs[p], _mm512_set1_epi32(prepared[c][p]));
      acc[c] = _mm512_fnmadd_ps(_mm512_mul_ps(u.dmin, _mm512_set1_ps(y[c]->d)), to_float(mins), acc[c]);
    }
  }
}

// C activation rows (their q8_k rows at a, prepared numbers at `prepared`) times `nb` unpacked super-blocks (u[b],
// or, with kUnpackEach, each unpacked from `group` just before its use into u[0]), stored to out.
template <typename Format, int C, bool kUnpackEach>
void unpacked_tile(int64_t nb, const uint8_t* group, UnpackedSuperBlock* u, const uint8_t* a, std::size_t as,
                   const int32_t* prepared, float* out, std::size_t os) {
  __m512 acc[C];
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const UnpackedSuperBlock* block = u + b;
    if constexpr (kUnpackEach) {
      const uint8_t* packed = group + static_cast<std::size_t>(b) * Format::kBlockBytes;
      prefetch_lines(packed + kPrefetchBytes, Format::kBlockBytes, 0);
      Format::unpack(packed, *u);
      block = u;
    }
    const BlockQ8_K* y[C];
    const int32_t* p[C];
    for (int c = 0; c < C; ++c) {
      y[c] = activation_block(a, as, c, b);
      p[c] = prepared + (c * nb + b) * Format::kPrepared;
    }
    unpacked_block<Format, C>(*block, y, p, acc);
  }
  for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + static_cast<std::size_t>(c) * os, acc[c]);
}

// ---- drivers ----

// Calls fn(std::integral_constant<int, C>) for C = count (1..kMax).
template <int kMax, typename Fn>
void with_count(int64_t count, Fn&& fn) {
  [&]<int... kC>(std::integer_sequence<int, kC...>) {
    ((count == kC + 1 ? fn(std::integral_constant<int, kC + 1>()) : void()), ...);
  }(std::make_integer_sequence<int, kMax>());
}

constexpr int kDirectColumns = 4;    // activation rows served straight from the weights
constexpr int kUnpackedColumns = 8;  // activation rows per tile over unpacked super-blocks

// n_rows a multiple of 16, w at the start of a group. DirectTile<C>::run serves up to kDirectColumns activation
// rows straight from a group.
template <typename Format, template <int> class DirectTile>
void gemm_interleaved(int64_t n, const uint8_t* w, std::size_t ws, int64_t n_rows, const uint8_t* a, std::size_t as,
                      int64_t n_act, float* out, std::size_t os) {
  const int64_t nb = n / kQkK;
  const std::size_t group_bytes = kRows * ws;
  thread_local Scratch<int32_t> prepared_scratch;
  int32_t* prepared = prepared_scratch.get(static_cast<std::size_t>(n_act * nb * Format::kPrepared));
  Format::prepare(nb, a, as, n_act, prepared);
  if (n_act <= kDirectColumns) {
    with_count<kDirectColumns>(n_act, [&](auto columns) {
      for (int64_t r = 0; r < n_rows; r += kRows) {
        DirectTile<decltype(columns)::value>::run(nb, w + static_cast<std::size_t>(r / kRows) * group_bytes, a, as,
                                                  prepared, out + r, os);
      }
    });
    return;
  }
  thread_local Scratch<UnpackedSuperBlock> unpacked_scratch;
  if (n_act <= kUnpackedColumns) {
    // One tile: each super-block unpacked just before its use.
    UnpackedSuperBlock* u = unpacked_scratch.get(1);
    with_count<kUnpackedColumns>(n_act, [&](auto columns) {
      for (int64_t r = 0; r < n_rows; r += kRows) {
        unpacked_tile<Format, decltype(columns)::value, true>(nb, w + static_cast<std::size_t>(r / kRows) * group_bytes,
                                                              u, a, as, prepared, out + r, os);
      }
    });
    return;
  }
  // Prompts: each group unpacked once, then tiles of activation rows over it, each requesting a slice of the next
  // group into L2.
  UnpackedSuperBlock* u = unpacked_scratch.get(static_cast<std::size_t>(nb));
  const int64_t n_tiles = (n_act + kUnpackedColumns - 1) / kUnpackedColumns;
  const std::size_t slice = (group_bytes / static_cast<std::size_t>(n_tiles) + 63) / 64 * 64;
  for (int64_t r = 0; r < n_rows; r += kRows) {
    const uint8_t* group = w + static_cast<std::size_t>(r / kRows) * group_bytes;
    for (int64_t b = 0; b < nb; ++b) Format::unpack(group + static_cast<std::size_t>(b) * Format::kBlockBytes, u[b]);
    for (int64_t c = 0; c < n_act; c += kUnpackedColumns) {
      const std::size_t begin = static_cast<std::size_t>(c / kUnpackedColumns) * slice;
      if (begin < group_bytes) prefetch_lines(group + group_bytes + begin, std::min(slice, group_bytes - begin), 1);
      with_count<kUnpackedColumns>(std::min<int64_t>(kUnpackedColumns, n_act - c), [&](auto columns) {
        unpacked_tile<Format, decltype(columns)::value, false>(nb, group, u, a + static_cast<std::size_t>(c) * as, as,
                                                               prepared + c * nb * Format::kPrepared,
                                                               out + static_cast<std::size_t>(c) * os + r, os);
      });
    }
  }
}

template <bool kFifthBit>
struct AffineDirect {
  template <int C>
  struct Tile {
    static void run(int64_t nb, const uint8_t* group, const uint8_t* a, std::size_t as, const int32_t* prepared,
                    float* out, std::size_t os) {
      affine_tile<kFifthBit, C>(nb, group, a, as, prepared, out, os);
    }
  };
};

template <int C>
struct Q6KDirect {
  static void run(int64_t nb, const uint8_t* group, const uint8_t* a, std::size_t as, const int32_t* prepared,
                  float* out, std::size_t os) {
    q6_k_tile<C>(nb, group, a, as, prepared, out, os);
  }
};

}  // namespace
}  // namespace avx512_kquant

void fill_avx512_kquant_kernels(KernelSet& set) {
  using namespace avx512_kquant;
  set.gemm_interleaved[static_cast<int>(TensorType::q4_k)] =
      gemm_interleaved<AffineFormat<false>, AffineDirect<false>::Tile>;
  set.gemm_interleaved[static_cast<int>(TensorType::q5_k)] =
      gemm_interleaved<AffineFormat<true>, AffineDirect<true>::Tile>;
  set.gemm_interleaved[static_cast<int>(TensorType::q6_k)] = gemm_interleaved<Q6KFormat, Q6KDirect>;
}

}  // namespace parley::engine::kernels
