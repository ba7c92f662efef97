// Builds GGUF version 3 files: metadata, tensor directory and aligned tensor data. Used by `parley model synth` and
// `parley model quantize`, and by tests that need model files of a chosen shape.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/gguf.h"
#include "engine/tensor-type.h"

namespace parley::engine {

class GgufWriter {
 public:
  void set_string(std::string_view key, std::string_view value);
  void set_u32(std::string_view key, uint32_t value);
  void set_i32(std::string_view key, int32_t value);
  void set_u64(std::string_view key, uint64_t value);
  void set_f32(std::string_view key, float value);
  void set_bool(std::string_view key, bool value);
  void set_string_array(std::string_view key, std::span<const std::string_view> values);
  void set_f32_array(std::string_view key, std::span<const float> values);
  void set_i32_array(std::string_view key, std::span<const int32_t> values);
  // Copies metadata entry `kv` (of any type) from another file.
  void copy_metadata(const GgufKeyValue& kv);

  // Adds a tensor; `dims` has the row length first; `data` must hold exactly the tensor's bytes.
  Status add_tensor(std::string_view name, TensorType type, std::span<const int64_t> dims,
                    std::span<const uint8_t> data);
  Status add_tensor(std::string_view name, TensorType type, std::span<const int64_t> dims, std::vector<uint8_t>&& data);
  // A tensor whose bytes `fill` writes (all of `out`, exactly the tensor's size) only when the file is serialized or
  // written, one tensor at a time, so that a large model never has to be in memory at once. Called once per
  // serialize() or write(), in the order the tensors were added; its error ends the write.
  using TensorFill = std::function<Status(std::span<uint8_t> out)>;
  Status add_tensor(std::string_view name, TensorType type, std::span<const int64_t> dims, TensorFill fill);

  // The whole file (empty when a tensor's fill fails).
  std::vector<uint8_t> serialize() const;
  // Writes the file to `path` (through a temporary file renamed into place).
  Status write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> dims;
    std::size_t n_bytes = 0;
    std::vector<uint8_t> data;  // or, when empty and n_bytes > 0:
    TensorFill fill;
  };
  void begin_entry(std::string_view key, GgufValueType type);
  // The byte size of a tensor of `type` and `dims`, or an error naming `name`.
  static Result<std::size_t> tensor_bytes(std::string_view name, TensorType type, std::span<const int64_t> dims);
  // The tensor's bytes: its data, or `buffer` filled by its source.
  static Result<std::span<const uint8_t>> contents(const Tensor& tensor, std::vector<uint8_t>& buffer);
  // Everything before the tensor data: header, metadata, tensor directory, padding.
  std::vector<uint8_t> header() const;

  uint32_t n_kv_ = 0;
  std::vector<uint8_t> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace parley::engine
