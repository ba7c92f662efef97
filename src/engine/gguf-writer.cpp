#include "engine/gguf-writer.h"

#include <cstdio>
#include <cstring>
#include <fstream>

namespace parley::engine {
namespace {

constexpr uint32_t kAlignment = 32;

// resize + memcpy rather than insert: GCC 12 reports a false stringop-overflow for small vector inserts.
void append_bytes(std::vector<uint8_t>& out, const void* bytes, std::size_t size) {
  const std::size_t at = out.size();
  out.resize(at + size);
  if (size > 0) std::memcpy(out.data() + at, bytes, size);
}

template <typename T>
void append(std::vector<uint8_t>& out, T value) {
  append_bytes(out, &value, sizeof(T));
}

void append_string(std::vector<uint8_t>& out, std::string_view text) {
  append<uint64_t>(out, text.size());
  append_bytes(out, text.data(), text.size());
}

std::size_t element_size(GgufValueType type) {
  switch (type) {
    case GgufValueType::u8:
    case GgufValueType::i8:
    case GgufValueType::boolean: return 1;
    case GgufValueType::u16:
    case GgufValueType::i16: return 2;
    case GgufValueType::u32:
    case GgufValueType::i32:
    case GgufValueType::f32: return 4;
    default: return 8;
  }
}

}  // namespace

void GgufWriter::begin_entry(std::string_view key, GgufValueType type) {
  ++n_kv_;
  append_string(metadata_, key);
  append<uint32_t>(metadata_, static_cast<uint32_t>(type));
}

void GgufWriter::set_string(std::string_view key, std::string_view value) {
  begin_entry(key, GgufValueType::string);
  append_string(metadata_, value);
}
void GgufWriter::set_u32(std::string_view key, uint32_t value) {
  begin_entry(key, GgufValueType::u32);
  append(metadata_, value);
}
void GgufWriter::set_i32(std::string_view key, int32_t value) {
  begin_entry(key, GgufValueType::i32);
  append(metadata_, value);
}
void GgufWriter::set_u64(std::string_view key, uint64_t value) {
  begin_entry(key, GgufValueType::u64);
  append(metadata_, value);
}
void GgufWriter::set_f32(std::string_view key, float value) {
  begin_entry(key, GgufValueType::f32);
  append(metadata_, value);
}
void GgufWriter::set_bool(std::string_view key, bool value) {
  begin_entry(key, GgufValueType::boolean);
  append<uint8_t>(metadata_, value ? 1 : 0);
}
void GgufWriter::set_string_array(std::string_view key, std::span<const std::string_view> values) {
  begin_entry(key, GgufValueType::array);
  append<uint32_t>(metadata_, static_cast<uint32_t>(GgufValueType::string));
  append<uint64_t>(metadata_, values.size());
  for (const auto value : values) append_string(metadata_, value);
}
void GgufWriter::set_f32_array(std::string_view key, std::span<const float> values) {
  begin_entry(key, GgufValueType::array);
  append<uint32_t>(metadata_, static_cast<uint32_t>(GgufValueType::f32));
  append<uint64_t>(metadata_, values.size());
  for (const float value : values) append(metadata_, value);
}
void GgufWriter::set_i32_array(std::string_view key, std::span<const int32_t> values) {
  begin_entry(key, GgufValueType::array);
  append<uint32_t>(metadata_, static_cast<uint32_t>(GgufValueType::i32));
  append<uint64_t>(metadata_, values.size());
  for (const int32_t value : values) append(metadata_, value);
}

void GgufWriter::copy_metadata(const GgufKeyValue& kv) {
  begin_entry(kv.key, kv.type);
  switch (kv.type) {
    case GgufValueType::string: append_string(metadata_, kv.text); return;
    case GgufValueType::f32: append(metadata_, static_cast<float>(kv.real)); return;
    case GgufValueType::f64: append(metadata_, kv.real); return;
    case GgufValueType::u64: append(metadata_, kv.unsigned_integer); return;
    case GgufValueType::array:
      append<uint32_t>(metadata_, static_cast<uint32_t>(kv.element_type));
      append<uint64_t>(metadata_, kv.count);
      if (kv.element_type == GgufValueType::string) {
        for (const auto text : gguf_string_views(kv)) append_string(metadata_, text);
      } else {
        const auto bytes = kv.count * element_size(kv.element_type);
        append_bytes(metadata_, kv.array_data, bytes);
      }
      return;
    default: {
      // Integers and bool: the low bytes of the stored value, in the entry's width (little-endian).
      append_bytes(metadata_, &kv.integer, element_size(kv.type));
      return;
    }
  }
}

Status GgufWriter::add_tensor(std::string_view name, TensorType type, std::span<const int64_t> dims,
                              std::span<const uint8_t> data) {
  return add_tensor(name, type, dims, std::vector<uint8_t>(data.begin(), data.end()));
}

Result<std::size_t> GgufWriter::tensor_bytes(std::string_view name, TensorType type, std::span<const int64_t> dims) {
  if (dims.empty() || dims.size() > kGgufMaxDims) return make_error(ErrorCode::invalid_request, "tensor needs 1-4 dims");
  uint64_t elements = 1;
  for (const auto d : dims) {
    if (d <= 0) return make_error(ErrorCode::invalid_request, "tensor dimensions must be positive");
    elements *= static_cast<uint64_t>(d);
  }
  const auto bytes = tensor_row_bytes(type, elements);
  if (!bytes || static_cast<uint64_t>(dims[0]) % tensor_type_traits(type).block_elements != 0) {
    return make_error(ErrorCode::invalid_request,
                      "tensor '" + std::string(name) + "' rows are not whole " + std::string(tensor_type_name(type)) +
                          " blocks");
  }
  return static_cast<std::size_t>(*bytes);
}

Status GgufWriter::add_tensor(std::string_view name, TensorType type, std::span<const int64_t> dims,
                              std::vector<uint8_t>&& data) {
  PARLEY_ASSIGN_OR_RETURN(const std::size_t bytes, tensor_bytes(name, type, dims));
  if (bytes != data.size()) {
    return make_error(ErrorCode::invalid_request, "tensor '" + std::string(name) + "' data has the wrong size");
  }
  tensors_.push_back(
      Tensor{std::string(name), type, std::vector<int64_t>(dims.begin(), dims.end()), bytes, std::move(data), {}});
  return {};
}

Status GgufWriter::add_tensor(std::string_view name, TensorType type, std::span<const int64_t> dims, TensorFill fill) {
  PARLEY_ASSIGN_OR_RETURN(const std::size_t bytes, tensor_bytes(name, type, dims));
  tensors_.push_back(
      Tensor{std::string(name), type, std::vector<int64_t>(dims.begin(), dims.end()), bytes, {}, std::move(fill)});
  return {};
}

Result<std::span<const uint8_t>> GgufWriter::contents(const Tensor& tensor, std::vector<uint8_t>& buffer) {
  if (!tensor.fill) return std::span<const uint8_t>(tensor.data);
  buffer.resize(tensor.n_bytes);
  PARLEY_TRY(tensor.fill(buffer));
  return std::span<const uint8_t>(buffer.data(), tensor.n_bytes);
}

std::vector<uint8_t> GgufWriter::header() const {
  std::vector<uint8_t> out;
  append<uint32_t>(out, 0x46554747);
  append<uint32_t>(out, 3);
  append<uint64_t>(out, tensors_.size());
  append<uint64_t>(out, n_kv_);
  append_bytes(out, metadata_.data(), metadata_.size());
  uint64_t offset = 0;
  for (const auto& tensor : tensors_) {
    append_string(out, tensor.name);
    append<uint32_t>(out, static_cast<uint32_t>(tensor.dims.size()));
    for (const auto d : tensor.dims) append<uint64_t>(out, static_cast<uint64_t>(d));
    append<uint32_t>(out, static_cast<uint32_t>(tensor.type));
    append<uint64_t>(out, offset);
    offset += (tensor.n_bytes + kAlignment - 1) / kAlignment * kAlignment;
  }
  out.resize((out.size() + kAlignment - 1) / kAlignment * kAlignment, 0);
  return out;
}

std::vector<uint8_t> GgufWriter::serialize() const {
  auto out = header();
  std::vector<uint8_t> buffer;
  for (const auto& tensor : tensors_) {
    const auto bytes = contents(tensor, buffer);
    if (!bytes.ok()) return {};
    append_bytes(out, bytes->data(), bytes->size());
    out.resize((out.size() + kAlignment - 1) / kAlignment * kAlignment, 0);
  }
  return out;
}

Status GgufWriter::write(const std::string& path) const {
  const std::string temporary = path + ".partial";
  const auto fail = [&](Error error) {
    std::remove(temporary.c_str());
    return error;
  };
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) return make_error(ErrorCode::internal, "cannot create '" + temporary + "'");
    const auto head = header();
    file.write(reinterpret_cast<const char*>(head.data()), static_cast<std::streamsize>(head.size()));
    static constexpr char kPadding[kAlignment] = {};
    std::vector<uint8_t> buffer;
    for (const auto& tensor : tensors_) {
      auto bytes = contents(tensor, buffer);
      if (!bytes.ok()) return fail(bytes.error());
      file.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
      file.write(kPadding, static_cast<std::streamsize>((kAlignment - bytes->size() % kAlignment) % kAlignment));
    }
    if (!file) return fail(make_error(ErrorCode::internal, "cannot write '" + temporary + "'"));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return fail(make_error(ErrorCode::internal, "cannot rename '" + temporary + "' to '" + path + "'"));
  }
  return {};
}

}  // namespace parley::engine
