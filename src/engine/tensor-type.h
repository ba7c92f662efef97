// Tensor element types as numbered in GGUF files, with the block geometry of each (elements per block, bytes per
// block). Quantized types store weights in fixed-size blocks; the layouts themselves live in quants.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::engine {

// Values are the GGUF on-disk type numbers (not contiguous: removed types left gaps).
enum class TensorType : uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q4_1 = 3,
  q5_0 = 6,
  q5_1 = 7,
  q8_0 = 8,
  q8_1 = 9,
  q2_k = 10,
  q3_k = 11,
  q4_k = 12,
  q5_k = 13,
  q6_k = 14,
  q8_k = 15,
  bf16 = 30,
};

struct TensorTypeTraits {
  std::string_view name;      // "q4_k", as llama.cpp prints it
  uint32_t block_elements;    // elements per block (1 for plain float types)
  uint32_t block_bytes;       // bytes per block
  bool computable;            // the engine has kernels for weights of this type
};

// The traits of a GGUF type number, or nothing for a number this engine does not know.
std::optional<TensorTypeTraits> tensor_type_traits(uint32_t type_number);
TensorTypeTraits tensor_type_traits(TensorType type);
std::string_view tensor_type_name(TensorType type);
// Parses "q4_k", "Q8_0", "f16", ... (case-insensitive); nothing when unknown.
std::optional<TensorType> tensor_type_from_name(std::string_view name);

// Bytes of one row of `elements` elements; nothing when `elements` is not a whole number of blocks or on overflow.
std::optional<uint64_t> tensor_row_bytes(TensorType type, uint64_t elements);

}  // namespace parley::engine
