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

inline constexpr int kTypeSlots = 32;  // GGUF type numbers used by the engine are below 32

struct KernelSet {
  std::string_view name;
  GemmFn gemm[kTypeSlots] = {};                  // by weight type
  QuantizeFn quantize[kTypeSlots] = {};          // by activation type
  // Dot product of two float vectors and y += alpha * x, for attention over the f32/f16 KV cache.
  float (*dot_f32)(int64_t n, const float* x, const float* y) = nullptr;
  float (*dot_f16_f32)(int64_t n, const uint16_t* x, const float* y) = nullptr;
  void (*axpy_f16)(int64_t n, float alpha, const uint16_t* x, float* y) = nullptr;
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

}  // namespace parley::engine::kernels
