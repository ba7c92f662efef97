// Compute kernels, one set per instruction set (scalar reference, AVX2, AVX-512), chosen once at run time.
// Kernel files are compiled with their own instruction-set flags and include only this header (plain declarations)
// and the block layouts, so no inline function compiled for a wider instruction set can leak into other code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/tensor-type.h"

namespace parley::engine::kernels {

// out[a * out_stride + r] = dot(weight row r, activation row a) for r < n_rows, a < n_act.
// Weight rows are `w_stride` bytes apart, activation rows (in activation_type(weight), see quants.h) `a_stride`
// bytes apart; `n` (elements per row) is a multiple of the weight type's block size.
using GemmFn = void (*)(int64_t n, const uint8_t* w, std::size_t w_stride, int64_t n_rows, const uint8_t* a,
                        std::size_t a_stride, int64_t n_act, float* out, std::size_t out_stride);

// Converts `n` floats into an activation format (q8_0, q8_1, q8_k, f16 or bf16).
using QuantizeFn = void (*)(const float* x, void* out, int64_t n);

// Attention works on blocks of kAttendBlock cached positions (the KV cache's block size).
inline constexpr int kAttendBlock = 32;
inline constexpr int kMaxHeadDim = 256;     // the model loader refuses larger heads
inline constexpr int kMaxAttendHeads = 16;  // query heads per attend call (callers split larger groups)

// Running state of one query head's attention (online softmax): the largest score so far, the sum of
// exp(score - max) and the accumulator of exp(score - max) * value (head_dim floats).
struct AttentionState {
  float max;
  float sum;
  float* acc;
};

// Folds one block of `n_keys` cached positions into the states of n_queries x n_heads query heads that share one
// key/value head (grouped-query attention reads the block once for the whole group):
// - q: query i, head h at q + i * q_stride + h * head_dim (floats);
// - keys: transposed, [head_dim][kAttendBlock] f16; values: n_keys f16 rows `value_stride` halves apart;
// - query i sees the first n_valid[i] keys (causal masking inside the block); states[i * n_heads + h].
// Scores are dot(q, key) * scale; per block the maximum is updated once and the accumulator rescaled once.
using AttendFn = void (*)(int head_dim, int n_queries, int n_heads, const float* q, std::size_t q_stride,
                          const uint16_t* keys, const uint16_t* values, std::size_t value_stride, int n_keys,
                          const int* n_valid, float scale, AttentionState* states);

// Bidirectional attention of one head over one sequence (encoders), all in f32: for every query i < n_queries,
// out[i] = sum_j softmax_j(scale * q_i . k_j) v_j over the keys j < n_keys. Query rows are q_stride floats apart,
// key and value rows kv_stride, output rows out_stride; head_dim floats each.
using AttendEncoderFn = void (*)(int head_dim, int n_queries, int n_keys, const float* q, std::size_t q_stride,
                                 const float* k, const float* v, std::size_t kv_stride, float scale, float* out,
                                 std::size_t out_stride);

inline constexpr int kTypeSlots = 32;  // GGUF type numbers used by the engine are below 32

struct KernelSet {
  std::string_view name;
  GemmFn gemm[kTypeSlots] = {};                  // by weight type
  // q8_0 weights interleaved by 8 rows (quants.h; n_rows a multiple of 8, w at a group's start); null when this
  // set has no such kernel, and then the model keeps q8_0 weights in the file's layout.
  GemmFn gemm_q8_0_interleaved = nullptr;
  // By weight type: the kernel for weights interleaved at load in groups of interleaved_group_rows(type) rows
  // (quants.h; n_rows a multiple of it, w at a group's start), for q8_0 the same as gemm_q8_0_interleaved; null
  // where this set has none, and then the model keeps that type in the file's layout.
  GemmFn gemm_interleaved[kTypeSlots] = {};
  QuantizeFn quantize[kTypeSlots] = {};          // by activation type
  AttendFn attend = nullptr;
  // out[i] = silu(gate[i]) * up[i] with silu(x) = x / (1 + e^-x) (SwiGLU feed-forward).
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out) = nullptr;
  AttendEncoderFn attend_encoder = nullptr;
  // x = gelu(x) in place, tanh approximation (the feed-forward activation of BERT encoders; ops::gelu defines it).
  void (*gelu)(float* x, int64_t n) = nullptr;
};

enum class Isa { scalar, avx2, avx512 };

std::string_view isa_name(Isa isa);
// The widest instruction set this CPU supports (AVX-512 needs F, BW, VL and VNNI; AVX2 needs FMA and F16C).
Isa detect_isa();
bool isa_supported(Isa isa);
// The kernels of `isa` (which must be supported). Entries an ISA does not accelerate fall back to scalar ones.
const KernelSet& kernels_for(Isa isa);
// The kernels of the best supported ISA, or of PARLEY_ENGINE_ISA=scalar|avx2|avx512 when set and supported.
const KernelSet& active_kernels();

// Per-ISA tables, filled by each kernel file (the SIMD ones only override what they implement).
void fill_scalar_kernels(KernelSet& set);
void fill_avx2_kernels(KernelSet& set);
void fill_avx2_kquant_kernels(KernelSet& set);             // interleaved k-quants, for the AVX2 set
void fill_avx512_kernels(KernelSet& set, bool with_bf16);  // bf16 dot product only when the CPU has AVX512_BF16
void fill_avx512_kquant_kernels(KernelSet& set);           // interleaved k-quants, when the CPU has AVX512_VBMI

}  // namespace parley::engine::kernels
