#include "engine/tensor-type.h"

#include <array>
#include <cctype>
#include <limits>

namespace parley::engine {
namespace {

struct TypeEntry {
  TensorType type;
  TensorTypeTraits traits;
};

// Block sizes are those of the GGUF specification (see quants.h for the byte layout of each block).
constexpr std::array<TypeEntry, 15> kTypes{{
    {TensorType::f32, {"f32", 1, 4, true}},
    {TensorType::f16, {"f16", 1, 2, true}},
    {TensorType::q4_0, {"q4_0", 32, 18, true}},
    {TensorType::q4_1, {"q4_1", 32, 20, true}},
    {TensorType::q5_0, {"q5_0", 32, 22, true}},
    {TensorType::q5_1, {"q5_1", 32, 24, true}},
    {TensorType::q8_0, {"q8_0", 32, 34, true}},
    {TensorType::q8_1, {"q8_1", 32, 36, false}},
    {TensorType::q2_k, {"q2_k", 256, 84, false}},
    {TensorType::q3_k, {"q3_k", 256, 110, false}},
    {TensorType::q4_k, {"q4_k", 256, 144, true}},
    {TensorType::q5_k, {"q5_k", 256, 176, true}},
    {TensorType::q6_k, {"q6_k", 256, 210, true}},
    {TensorType::q8_k, {"q8_k", 256, 292, false}},
    {TensorType::bf16, {"bf16", 1, 2, true}},
}};

}  // namespace

std::optional<TensorTypeTraits> tensor_type_traits(uint32_t type_number) {
  for (const auto& entry : kTypes) {
    if (static_cast<uint32_t>(entry.type) == type_number) return entry.traits;
  }
  return std::nullopt;
}

TensorTypeTraits tensor_type_traits(TensorType type) {
  // Every enumerator is in the table, so this lookup cannot miss.
  return *tensor_type_traits(static_cast<uint32_t>(type));
}

std::string_view tensor_type_name(TensorType type) { return tensor_type_traits(type).name; }

std::optional<TensorType> tensor_type_from_name(std::string_view name) {
  for (const auto& entry : kTypes) {
    const auto& candidate = entry.traits.name;
    if (candidate.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(name[i])) == candidate[i];
    }
    if (same) return entry.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> tensor_row_bytes(TensorType type, uint64_t elements) {
  const auto traits = tensor_type_traits(type);
  if (elements % traits.block_elements != 0) return std::nullopt;
  const uint64_t blocks = elements / traits.block_elements;
  if (blocks > std::numeric_limits<uint64_t>::max() / traits.block_bytes) return std::nullopt;
  return blocks * traits.block_bytes;
}

}  // namespace parley::engine
