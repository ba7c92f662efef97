// A GGUF model file (versions 2 and 3), memory-mapped and fully validated when opened: every count, length, offset,
// dimension and type is checked against the file's size before use, so a truncated or hostile file gives an error,
// never an out-of-bounds read. Metadata and tensor names are views into the mapping; copies of a GgufFile share it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "engine/tensor-type.h"

namespace parley::engine {

// Value types of GGUF metadata, numbered as on disk.
enum class GgufValueType : uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};

std::string_view gguf_value_type_name(GgufValueType type);

// One metadata entry. Scalars are decoded; arrays keep a pointer to their little-endian elements in the mapping.
struct GgufKeyValue {
  std::string_view key;
  GgufValueType type = GgufValueType::u8;
  // Scalars: u64 in `unsigned_integer` (it may not fit an int64), other integers and bool in `integer`, floats in
  // `real`, strings in `text`.
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;
  double real = 0;
  std::string_view text;
  // Arrays: element type, element count, and the raw little-endian elements in the mapping (for strings: `count`
  // length-prefixed strings, validated when the file was opened; see gguf_string_views).
  GgufValueType element_type = GgufValueType::u8;
  uint64_t count = 0;
  const uint8_t* array_data = nullptr;
};

// The strings of a string-array entry, as views into the mapping (decoded on each call rather than kept: vocabulary
// arrays hold hundreds of thousands of strings).
std::vector<std::string_view> gguf_string_views(const GgufKeyValue& kv);

constexpr int kGgufMaxDims = 4;

struct GgufTensor {
  std::string_view name;
  TensorType type = TensorType::f32;
  int n_dims = 0;
  // Dimensions with the fastest-varying (row length) first; entries past n_dims are 1.
  int64_t ne[kGgufMaxDims] = {1, 1, 1, 1};
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  uint64_t offset = 0;  // from the start of the data section
  const uint8_t* data = nullptr;

  int64_t rows() const { return static_cast<int64_t>(n_elements / static_cast<uint64_t>(ne[0])); }
  uint64_t row_bytes() const { return n_bytes / static_cast<uint64_t>(rows()); }
};

class GgufFile {
 public:
  // Maps `path` read-only and validates it.
  static Result<GgufFile> open(const std::string& path);
  // Validates a copy of `bytes` (for tests, fuzzing and files built in memory).
  static Result<GgufFile> from_bytes(std::span<const uint8_t> bytes);

  uint32_t version() const { return version_; }
  uint64_t file_size() const;
  uint32_t alignment() const { return alignment_; }

  // Metadata in file order, and lookup by key.
  std::span<const GgufKeyValue> metadata() const { return metadata_; }
  const GgufKeyValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Typed access. Integer getters accept any integer type whose value fits; float getters accept f32 and f64.
  // A missing key is ErrorCode::not_found; a wrong type or out-of-range value is ErrorCode::unprocessable.
  Result<std::string> get_string(std::string_view key) const;
  Result<uint32_t> get_u32(std::string_view key) const;
  Result<int32_t> get_i32(std::string_view key) const;
  Result<uint64_t> get_u64(std::string_view key) const;
  Result<float> get_f32(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  // The same, with `fallback` when the key is absent (a present key of the wrong type is still an error).
  Result<std::string> get_string_or(std::string_view key, std::string fallback) const;
  Result<uint32_t> get_u32_or(std::string_view key, uint32_t fallback) const;
  Result<float> get_f32_or(std::string_view key, float fallback) const;
  Result<bool> get_bool_or(std::string_view key, bool fallback) const;

  // Arrays: strings, floats, integers (copied).
  Result<std::vector<std::string>> get_string_array(std::string_view key) const;
  Result<std::vector<float>> get_f32_array(std::string_view key) const;
  // Accepts any integer element type whose values fit an int32.
  Result<std::vector<int32_t>> get_i32_array(std::string_view key) const;
  Result<uint64_t> get_array_size(std::string_view key) const;

  // "general.architecture" ("llama", "qwen2", ...).
  Result<std::string> architecture() const { return get_string("general.architecture"); }

  std::span<const GgufTensor> tensors() const { return tensors_; }
  const GgufTensor* find_tensor(std::string_view name) const;

  // Tells the OS the header pages (metadata and tensor directory) are not needed for now: after a model's tokenizer
  // was built from them (megabytes of vocabulary strings) they need not stay resident. Reading them again later
  // still works (the pages come back from the file). No effect on files read with from_bytes.
  void release_header_pages() const;

  // For a file opened from disk the tensor data is this process's own copy (see copy_tensor_data), which a loader
  // may rearrange in place once: the first call runs `rearrange` on every tensor with write access to its bytes,
  // then makes the copy read-only. Returns, on every call, whether the data is such a copy (and so was rearranged
  // by the first call); false for mapped and from_bytes data, which are left alone.
  bool rearrange_tensor_data_once(const std::function<void(const GgufTensor&, uint8_t*)>& rearrange) const;

 private:
  struct Mapping;
  // Decoding streams every weight once per token. With the 4 KB pages of a file mapping, the hardware prefetchers
  // stop at every page boundary and every page costs a TLB miss; so `open` reads the tensor data (with pread: the
  // mapping's pages of it are never touched, memory holds one copy) into anonymous memory that the kernel may back
  // with 2 MB pages. Keeps the mapping's pointers if the memory cannot be had or the read fails.
  void copy_tensor_data(int fd, Mapping& mapping);  // `mapping` is *mapping_, writable while opening
  friend class GgufParser;

  std::shared_ptr<const Mapping> mapping_;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  uint64_t data_offset_ = 0;  // start of the tensor data section
  std::vector<GgufKeyValue> metadata_;
  std::unordered_map<std::string_view, std::size_t> metadata_index_;
  std::vector<GgufTensor> tensors_;
  std::unordered_map<std::string_view, std::size_t> tensor_index_;
};

}  // namespace parley::engine
