// Scalar reference quantization and dequantization of the GGUF block types (layouts in quant-blocks.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/quant-blocks.h"
#include "engine/tensor-type.h"

namespace parley::engine {

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

// Converts activations (rows multiplied with weights) into their format; differs from quantize_row only in the
// rounding of q8_0/q8_1, which follows the reference implementation's activation quantizers.
void quantize_activation_row(TensorType type, const float* src, void* dst, int64_t n);

// q8_0 rows interleaved in groups of kInterleavedRows, the layout decoding kernels with VNNI read (one 4-byte
// activation broadcast meets 8 rows in one vpdpbusd, and 8 rows' sums come out as one vector). Per block b, a group
// holds the 8 rows' f16 scales (16 bytes), then 8 vectors of 32 bytes: vector k holds bytes 4k..4k+3 of rows 0..7,
// each quant stored as q + 128 (the unsigned operand). 272 bytes per block: exactly 8 q8_0 blocks, so a matrix
// keeps its size and row stride, and group g starts where row 8g did.
inline constexpr int kInterleavedRows = 8;

// Rearranges the kInterleavedRows consecutive q8_0 rows of `nb` blocks at `rows` in place into one group
// (`scratch`: at least kInterleavedRows * nb * 34 bytes).
void interleave_q8_0_rows(uint8_t* rows, int64_t nb, uint8_t* scratch);
// Row `r` (0..7) of an interleaved group, as floats (`n` elements).
void dequantize_interleaved_q8_0_row(const uint8_t* group, int r, float* dst, int64_t n);

// k-quant rows interleaved in groups of kInterleavedKRows, the layout of the AVX-512 k-quant kernels: the lanes of
// one 512-bit vector are the 16 rows, so one 4-byte activation broadcast meets 16 rows in one vpdpbusd, and the
// per-row scales come out as vectors of rows. Per super-block b a group holds 16 * sizeof(block) bytes (so a
// matrix keeps its size and row stride, and group g starts where row 16g did):
// - q4_k, q5_k: 16 words A[r] (bits 6j..6j+5: scale j of row r; bits 48..63: its f16 d), 16 words B[r] (the
//   minimums, and dmin), then qs as 32 vectors of 64 bytes: bytes 4r..4r+3 of vector 8p + k are bytes
//   32p + 4k..+3 of row r's qs (low nibbles: elements 4k.. of sub-block 2p; high nibbles: of sub-block 2p + 1);
//   q5_k then qh as 8 such vectors (vector k: qh bytes 4k..4k+3 of each row).
// - q6_k: the 16 rows' f16 d, the int8 scales as [group][row] (256 bytes), then the 6-bit levels L (stored value
//   + 32, 0..63) as 16 triples of 64-byte vectors: triple t carries the four 4-element chunks t, t + 16, t + 32,
//   t + 48 of every row (row r at bytes 4r..4r+3): vector s (0..2) holds L(chunk t + 16s) << 2 in bits 2..7 and
//   bits 2s, 2s+1 of L(chunk t + 48) in bits 0..1, so each level comes out as 4L with one or a few operations.
inline constexpr int kInterleavedKRows = 16;

// Rows per interleaved group of `type` (kInterleavedRows for q8_0, kInterleavedKRows for q4_k/q5_k/q6_k), 0 for
// types without an interleaved layout.
int interleaved_group_rows(TensorType type);
// Rearranges one group of interleaved_group_rows(type) consecutive rows of `nb` blocks at `rows` in place
// (`scratch`: at least the group's bytes).
void interleave_rows(TensorType type, uint8_t* rows, int64_t nb, uint8_t* scratch);
// Row `r` of an interleaved group of `type`, as floats (`n` elements).
void dequantize_interleaved_row(TensorType type, const uint8_t* group, int r, float* dst, int64_t n);

// The activation format a weight type's dot product expects: f32 for f32, f16 for f16, bf16 for bf16, q8_0 for
// q4_0/q5_0/q8_0, q8_1 for q4_1/q5_1 and q8_k for the k-quants (this mirrors the reference implementation, whose
// logits the tests compare against).
TensorType activation_type(TensorType weight);

}  // namespace parley::engine
