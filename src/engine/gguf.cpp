#include "engine/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

namespace parley::engine {

// The bytes of a GGUF file: either a read-only mmap of the file or an owned heap copy; for mapped files, possibly
// also a copy of the tensor data in anonymous memory (see copy_tensor_data).
struct GgufFile::Mapping {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  bool mapped = false;
  std::vector<uint8_t> owned;
  void* tensor_copy = nullptr;  // the whole anonymous reservation, tensor_copy_size bytes
  std::size_t tensor_copy_size = 0;
  uint8_t* tensor_data_copy = nullptr;  // where the tensor data starts in it
  std::size_t tensor_data_size = 0;
  mutable std::once_flag rearranged;

  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (mapped && size > 0) munmap(const_cast<uint8_t*>(data), size);
    if (tensor_copy != nullptr) munmap(tensor_copy, tensor_copy_size);
  }
};

namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kDefaultAlignment = 32;
constexpr int kMaxArrayDepth = 1;  // arrays of arrays are not used by any model format and are rejected

// Thrown inside the parser only; GgufParser::parse turns it into an Error.
struct GgufFormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& message) { throw GgufFormatError(message); }

std::size_t value_type_size(GgufValueType type) {
  switch (type) {
    case GgufValueType::u8:
    case GgufValueType::i8:
    case GgufValueType::boolean:
      return 1;
    case GgufValueType::u16:
    case GgufValueType::i16:
      return 2;
    case GgufValueType::u32:
    case GgufValueType::i32:
    case GgufValueType::f32:
      return 4;
    case GgufValueType::u64:
    case GgufValueType::i64:
    case GgufValueType::f64:
      return 8;
    case GgufValueType::string:
    case GgufValueType::array:
      return 0;
  }
  return 0;
}

bool is_integer_type(GgufValueType type) {
  switch (type) {
    case GgufValueType::u8:
    case GgufValueType::i8:
    case GgufValueType::u16:
    case GgufValueType::i16:
    case GgufValueType::u32:
    case GgufValueType::i32:
    case GgufValueType::u64:
    case GgufValueType::i64:
      return true;
    default:
      return false;
  }
}

// Bounds-checked little-endian reader over the mapping.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  const uint8_t* take(uint64_t bytes, const char* what) {
    if (bytes > remaining()) {
      fail(std::string("file truncated while reading ") + what + " at offset " + std::to_string(pos_));
    }
    const uint8_t* at = data_ + pos_;
    pos_ += bytes;
    return at;
  }

  template <typename T>
  T read(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof(T), what), sizeof(T));
    return value;
  }

  std::string_view read_string(const char* what) {
    const auto length = read<uint64_t>(what);
    if (length > remaining()) {
      fail(std::string(what) + " length " + std::to_string(length) + " exceeds the file at offset " +
           std::to_string(pos_));
    }
    return {reinterpret_cast<const char*>(take(length, what)), static_cast<std::size_t>(length)};
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

GgufValueType read_value_type(Cursor& cursor, const char* what) {
  const auto raw = cursor.read<uint32_t>(what);
  if (raw > static_cast<uint32_t>(GgufValueType::f64)) {
    fail(std::string("unknown metadata value type ") + std::to_string(raw) + " in " + what);
  }
  return static_cast<GgufValueType>(raw);
}

void read_scalar(Cursor& cursor, GgufKeyValue& kv) {
  switch (kv.type) {
    case GgufValueType::u8: kv.integer = cursor.read<uint8_t>("u8 value"); break;
    case GgufValueType::i8: kv.integer = cursor.read<int8_t>("i8 value"); break;
    case GgufValueType::u16: kv.integer = cursor.read<uint16_t>("u16 value"); break;
    case GgufValueType::i16: kv.integer = cursor.read<int16_t>("i16 value"); break;
    case GgufValueType::u32: kv.integer = cursor.read<uint32_t>("u32 value"); break;
    case GgufValueType::i32: kv.integer = cursor.read<int32_t>("i32 value"); break;
    case GgufValueType::i64: kv.integer = cursor.read<int64_t>("i64 value"); break;
    case GgufValueType::u64: kv.unsigned_integer = cursor.read<uint64_t>("u64 value"); break;
    case GgufValueType::f32: kv.real = cursor.read<float>("f32 value"); break;
    case GgufValueType::f64: kv.real = cursor.read<double>("f64 value"); break;
    case GgufValueType::boolean: {
      const auto byte = cursor.read<uint8_t>("bool value");
      if (byte > 1) fail("bool value " + std::to_string(byte) + " for key '" + std::string(kv.key) + "'");
      kv.integer = byte;
      break;
    }
    case GgufValueType::string: kv.text = cursor.read_string("string value"); break;
    case GgufValueType::array: fail("internal: array read as scalar");
  }
}

void read_array(Cursor& cursor, GgufKeyValue& kv) {
  kv.element_type = read_value_type(cursor, "array element type");
  kv.count = cursor.read<uint64_t>("array length");
  const std::string key(kv.key);
  if (kv.element_type == GgufValueType::array) {
    static_assert(kMaxArrayDepth == 1);
    fail("array of arrays for key '" + key + "' is not supported");
  }
  if (kv.element_type == GgufValueType::string) {
    // Each string needs at least its 8-byte length: reject impossible counts before reserving memory.
    if (kv.count > cursor.remaining() / sizeof(uint64_t)) {
      fail("string array '" + key + "' claims " + std::to_string(kv.count) + " elements, more than the file holds");
    }
    kv.array_data = cursor.take(0, "array data");
    for (uint64_t i = 0; i < kv.count; ++i) cursor.read_string("array string");  // bounds-checks every string
    return;
  }
  const std::size_t element_size = value_type_size(kv.element_type);
  if (kv.count > cursor.remaining() / element_size) {
    fail("array '" + key + "' claims " + std::to_string(kv.count) + " elements, more than the file holds");
  }
  kv.array_data = cursor.take(kv.count * element_size, "array data");
  if (kv.element_type == GgufValueType::boolean) {
    for (uint64_t i = 0; i < kv.count; ++i) {
      if (kv.array_data[i] > 1) fail("bool array '" + key + "' holds a value other than 0 or 1");
    }
  }
}

uint64_t align_up(uint64_t value, uint64_t alignment) {
  const uint64_t rem = value % alignment;
  if (rem == 0) return value;
  if (value > std::numeric_limits<uint64_t>::max() - (alignment - rem)) fail("offset overflow while aligning");
  return value + (alignment - rem);
}

Error key_error(ErrorCode code, std::string_view key, const std::string& what) {
  return make_error(code, "GGUF key '" + std::string(key) + "' " + what);
}

// Reads an integer metadata value as an int64 range check, with u64 kept apart because it may exceed int64.
template <typename T>
Result<T> integer_value(const GgufKeyValue& kv) {
  if (!is_integer_type(kv.type)) {
    return key_error(ErrorCode::unprocessable, kv.key,
                     "has type " + std::string(gguf_value_type_name(kv.type)) + ", expected an integer");
  }
  if (kv.type == GgufValueType::u64) {
    if (kv.unsigned_integer > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return key_error(ErrorCode::unprocessable, kv.key, "value " + std::to_string(kv.unsigned_integer) + " is out of range");
    }
    return static_cast<T>(kv.unsigned_integer);
  }
  if (kv.integer < 0 && !std::numeric_limits<T>::is_signed) {
    return key_error(ErrorCode::unprocessable, kv.key, "value " + std::to_string(kv.integer) + " is negative");
  }
  if constexpr (std::numeric_limits<T>::is_signed) {
    if (kv.integer < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        kv.integer > static_cast<int64_t>(std::numeric_limits<T>::max())) {
      return key_error(ErrorCode::unprocessable, kv.key, "value " + std::to_string(kv.integer) + " is out of range");
    }
  } else {
    if (static_cast<uint64_t>(kv.integer) > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return key_error(ErrorCode::unprocessable, kv.key, "value " + std::to_string(kv.integer) + " is out of range");
    }
  }
  return static_cast<T>(kv.integer);
}

// Element i of a numeric array, widened to int64 (u64 elements above int64's range are reported as unfit).
bool array_integer(const GgufKeyValue& kv, uint64_t i, int64_t& out) {
  const uint8_t* at = kv.array_data + i * value_type_size(kv.element_type);
  switch (kv.element_type) {
    case GgufValueType::u8: out = *at; return true;
    case GgufValueType::i8: out = static_cast<int8_t>(*at); return true;
    case GgufValueType::u16: { uint16_t v; std::memcpy(&v, at, 2); out = v; return true; }
    case GgufValueType::i16: { int16_t v; std::memcpy(&v, at, 2); out = v; return true; }
    case GgufValueType::u32: { uint32_t v; std::memcpy(&v, at, 4); out = v; return true; }
    case GgufValueType::i32: { int32_t v; std::memcpy(&v, at, 4); out = v; return true; }
    case GgufValueType::i64: { int64_t v; std::memcpy(&v, at, 8); out = v; return true; }
    case GgufValueType::u64: {
      uint64_t v;
      std::memcpy(&v, at, 8);
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
      out = static_cast<int64_t>(v);
      return true;
    }
    default: return false;
  }
}

}  // namespace

std::string_view gguf_value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::u8: return "u8";
    case GgufValueType::i8: return "i8";
    case GgufValueType::u16: return "u16";
    case GgufValueType::i16: return "i16";
    case GgufValueType::u32: return "u32";
    case GgufValueType::i32: return "i32";
    case GgufValueType::f32: return "f32";
    case GgufValueType::boolean: return "bool";
    case GgufValueType::string: return "string";
    case GgufValueType::array: return "array";
    case GgufValueType::u64: return "u64";
    case GgufValueType::i64: return "i64";
    case GgufValueType::f64: return "f64";
  }
  return "unknown";
}

// Fills a GgufFile from its mapping; friend of GgufFile so the validated state is only ever built here.
class GgufParser {
 public:
  static Result<GgufFile> parse(std::shared_ptr<const GgufFile::Mapping> mapping) {
    GgufFile file;
    file.mapping_ = std::move(mapping);
    try {
      parse_into(file);
    } catch (const GgufFormatError& error) {
      return make_error(ErrorCode::unprocessable, std::string("invalid GGUF: ") + error.what());
    } catch (const std::bad_alloc&) {
      return make_error(ErrorCode::unprocessable, "invalid GGUF: out of memory while reading metadata");
    }
    return file;
  }

 private:
  static void parse_into(GgufFile& file) {
    const auto& mapping = *file.mapping_;
    Cursor cursor(mapping.data, mapping.size);
    const auto magic = cursor.read<uint32_t>("magic");
    if (magic != kGgufMagic) fail("not a GGUF file (bad magic)");
    const auto version = cursor.read<uint32_t>("version");
    if (version == 1) fail("GGUF version 1 is obsolete and not supported");
    if (version != 2 && version != 3) {
      // A big-endian file shows its version byte-swapped.
      if (version == 0x02000000 || version == 0x03000000) fail("big-endian GGUF files are not supported");
      fail("unsupported GGUF version " + std::to_string(version));
    }
    file.version_ = version;
    const auto n_tensors = cursor.read<uint64_t>("tensor count");
    const auto n_kv = cursor.read<uint64_t>("metadata count");
    // Minimal sizes on disk: a key-value pair is a key length, a key byte and a type (13 bytes); a tensor record is
    // a name length, a dimension count, a type and an offset (24 bytes). Reject counts the file cannot hold.
    if (n_kv > cursor.remaining() / 13) fail("metadata count " + std::to_string(n_kv) + " exceeds the file");
    if (n_tensors > cursor.remaining() / 24) fail("tensor count " + std::to_string(n_tensors) + " exceeds the file");

    file.metadata_.reserve(static_cast<std::size_t>(n_kv));
    for (uint64_t i = 0; i < n_kv; ++i) {
      GgufKeyValue kv;
      kv.key = cursor.read_string("metadata key");
      if (kv.key.empty()) fail("empty metadata key");
      kv.type = read_value_type(cursor, "metadata value type");
      if (kv.type == GgufValueType::array) {
        read_array(cursor, kv);
      } else {
        read_scalar(cursor, kv);
      }
      if (!file.metadata_index_.emplace(kv.key, file.metadata_.size()).second) {
        fail("duplicate metadata key '" + std::string(kv.key) + "'");
      }
      file.metadata_.push_back(std::move(kv));
    }

    if (const auto* alignment = file.find("general.alignment")) {
      if (alignment->type != GgufValueType::u32) fail("general.alignment must be a u32");
      const auto value = static_cast<uint64_t>(alignment->integer);
      if (value == 0 || (value & (value - 1)) != 0 || value > (1u << 20)) {
        fail("general.alignment " + std::to_string(value) + " is not a power of two up to 1 MiB");
      }
      file.alignment_ = static_cast<uint32_t>(value);
    } else {
      file.alignment_ = kDefaultAlignment;
    }

    file.tensors_.reserve(static_cast<std::size_t>(n_tensors));
    for (uint64_t i = 0; i < n_tensors; ++i) file.tensors_.push_back(read_tensor_info(cursor, file.alignment_));

    const uint64_t data_start = align_up(cursor.position(), file.alignment_);
    file.data_offset_ = data_start;
    const uint64_t data_size = data_start <= mapping.size ? mapping.size - data_start : 0;
    for (std::size_t i = 0; i < file.tensors_.size(); ++i) {
      auto& tensor = file.tensors_[i];
      if (tensor.offset > data_size || tensor.n_bytes > data_size - tensor.offset) {
        fail("tensor '" + std::string(tensor.name) + "' (" + std::to_string(tensor.n_bytes) + " bytes at data offset " +
             std::to_string(tensor.offset) + ") extends past the end of the file");
      }
      tensor.data = mapping.data + data_start + tensor.offset;
      if (!file.tensor_index_.emplace(tensor.name, i).second) {
        fail("duplicate tensor name '" + std::string(tensor.name) + "'");
      }
    }
  }

  static GgufTensor read_tensor_info(Cursor& cursor, uint32_t alignment) {
    GgufTensor tensor;
    tensor.name = cursor.read_string("tensor name");
    const std::string name(tensor.name);
    const auto n_dims = cursor.read<uint32_t>("tensor dimension count");
    if (n_dims == 0 || n_dims > kGgufMaxDims) {
      fail("tensor '" + name + "' has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    }
    tensor.n_dims = static_cast<int>(n_dims);
    uint64_t elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const auto extent = cursor.read<uint64_t>("tensor dimension");
      if (extent == 0 || extent > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail("tensor '" + name + "' has invalid dimension " + std::to_string(extent));
      }
      if (elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / extent) {
        fail("tensor '" + name + "' element count overflows");
      }
      elements *= extent;
      tensor.ne[d] = static_cast<int64_t>(extent);
    }
    tensor.n_elements = elements;
    const auto type_number = cursor.read<uint32_t>("tensor type");
    const auto traits = tensor_type_traits(type_number);
    if (!traits) fail("tensor '" + name + "' has unknown type " + std::to_string(type_number));
    tensor.type = static_cast<TensorType>(type_number);
    if (static_cast<uint64_t>(tensor.ne[0]) % traits->block_elements != 0) {
      fail("tensor '" + name + "' row length " + std::to_string(tensor.ne[0]) + " is not a multiple of the " +
           std::string(traits->name) + " block size " + std::to_string(traits->block_elements));
    }
    const auto n_bytes = tensor_row_bytes(tensor.type, elements);
    if (!n_bytes) fail("tensor '" + name + "' byte size overflows");
    tensor.n_bytes = *n_bytes;
    tensor.offset = cursor.read<uint64_t>("tensor offset");
    if (tensor.offset % alignment != 0) {
      fail("tensor '" + name + "' offset " + std::to_string(tensor.offset) + " is not aligned to " +
           std::to_string(alignment));
    }
    return tensor;
  }
};

Result<GgufFile> GgufFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorCode::not_found : ErrorCode::unprocessable,
                      "cannot open model file '" + path + "': " + std::strerror(err));
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return make_error(ErrorCode::unprocessable, "model path '" + path + "' is not a regular file");
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->size = static_cast<uint64_t>(info.st_size);
  if (mapping->size > 0) {
    void* addr = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      return make_error(ErrorCode::unprocessable, "cannot map model file '" + path + "': " + std::strerror(err));
    }
    mapping->data = static_cast<const uint8_t*>(addr);
    mapping->mapped = true;
  }
  auto parsed = GgufParser::parse(mapping);
  if (!parsed.ok()) {
    ::close(fd);
    return make_error(parsed.error().code, path + ": " + parsed.error().message);
  }
  parsed->copy_tensor_data(fd, *mapping);
  ::close(fd);  // the mapping keeps the file's pages reachable
  return parsed;
}

namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

// Reads `size` bytes at `offset` of `fd` into `out`; false on an error or a short file.
bool read_exactly(int fd, uint8_t* out, uint64_t offset, uint64_t size) {
  while (size > 0) {
    const ssize_t n = pread(fd, out, std::min<uint64_t>(size, 64u << 20), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    offset += static_cast<uint64_t>(n);
    size -= static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace

void GgufFile::copy_tensor_data(int fd, Mapping& mapping) {
  if (!mapping.mapped || data_offset_ >= mapping.size || tensors_.empty()) return;
  const uint64_t size = mapping.size - data_offset_;
  // Reserve one huge page more than needed, to start the copy on a huge-page boundary.
  const std::size_t reserved = static_cast<std::size_t>((size + 2 * kHugePage - 1) / kHugePage * kHugePage);
  void* raw = mmap(nullptr, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return;  // the mapping serves, with small pages
  const auto address = reinterpret_cast<uintptr_t>(raw);
  auto* copy = reinterpret_cast<uint8_t*>((address + kHugePage - 1) / kHugePage * kHugePage);
  // Whole huge pages only: the last partial one stays in small pages, so the copy is not larger than the data.
  const std::size_t huge_bytes = static_cast<std::size_t>(size) / kHugePage * kHugePage;
  if (huge_bytes > 0) madvise(copy, huge_bytes, MADV_HUGEPAGE);
  if (!read_exactly(fd, copy, data_offset_, size)) {
    munmap(raw, reserved);
    return;
  }
  mapping.tensor_copy = raw;
  mapping.tensor_copy_size = reserved;
  mapping.tensor_data_copy = copy;
  mapping.tensor_data_size = static_cast<std::size_t>(size);
  const uint8_t* mapped_data = mapping.data + data_offset_;
  for (auto& tensor : tensors_) tensor.data = copy + (tensor.data - mapped_data);
}

Result<GgufFile> GgufFile::from_bytes(std::span<const uint8_t> bytes) {
  auto mapping = std::make_shared<Mapping>();
  mapping->owned.assign(bytes.begin(), bytes.end());
  mapping->data = mapping->owned.data();
  mapping->size = mapping->owned.size();
  return GgufParser::parse(std::move(mapping));
}

uint64_t GgufFile::file_size() const { return mapping_ ? mapping_->size : 0; }

void GgufFile::release_header_pages() const {
  if (!mapping_ || !mapping_->mapped) return;
  const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  // Whole pages before the first tensor byte only (the mapping starts page-aligned).
  const uint64_t length = std::min(data_offset_, mapping_->size) / page * page;
  if (length > 0) madvise(const_cast<uint8_t*>(mapping_->data), length, MADV_DONTNEED);
}

bool GgufFile::rearrange_tensor_data_once(const std::function<void(const GgufTensor&, uint8_t*)>& rearrange) const {
  if (!mapping_ || mapping_->tensor_data_copy == nullptr) return false;
  std::call_once(mapping_->rearranged, [&] {
    // Writable only here: the tensors point into memory of this mapping that nothing else writes.
    for (const auto& tensor : tensors_) rearrange(tensor, const_cast<uint8_t*>(tensor.data));
    mprotect(mapping_->tensor_data_copy, mapping_->tensor_data_size, PROT_READ);
  });
  return true;
}

const GgufKeyValue* GgufFile::find(std::string_view key) const {
  const auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second];
}

const GgufTensor* GgufFile::find_tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

Result<const GgufKeyValue*> require(const GgufFile& file, std::string_view key) {
  const auto* kv = file.find(key);
  if (kv == nullptr) return key_error(ErrorCode::not_found, key, "is missing");
  return kv;
}

Result<const GgufKeyValue*> require_array(const GgufFile& file, std::string_view key, const char* expected) {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require(file, key));
  if (kv->type != GgufValueType::array) {
    return key_error(ErrorCode::unprocessable, key,
                     "has type " + std::string(gguf_value_type_name(kv->type)) + ", expected " + expected);
  }
  return kv;
}

}  // namespace

Result<std::string> GgufFile::get_string(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require(*this, key));
  if (kv->type != GgufValueType::string) {
    return key_error(ErrorCode::unprocessable, key,
                     "has type " + std::string(gguf_value_type_name(kv->type)) + ", expected string");
  }
  return std::string(kv->text);
}

Result<uint32_t> GgufFile::get_u32(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require(*this, key));
  return integer_value<uint32_t>(*kv);
}

Result<int32_t> GgufFile::get_i32(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require(*this, key));
  return integer_value<int32_t>(*kv);
}

Result<uint64_t> GgufFile::get_u64(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require(*this, key));
  return integer_value<uint64_t>(*kv);
}

Result<float> GgufFile::get_f32(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require(*this, key));
  if (kv->type != GgufValueType::f32 && kv->type != GgufValueType::f64) {
    return key_error(ErrorCode::unprocessable, key,
                     "has type " + std::string(gguf_value_type_name(kv->type)) + ", expected a float");
  }
  return static_cast<float>(kv->real);
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require(*this, key));
  if (kv->type != GgufValueType::boolean) {
    return key_error(ErrorCode::unprocessable, key,
                     "has type " + std::string(gguf_value_type_name(kv->type)) + ", expected bool");
  }
  return kv->integer != 0;
}

Result<std::string> GgufFile::get_string_or(std::string_view key, std::string fallback) const {
  return has(key) ? get_string(key) : Result<std::string>(std::move(fallback));
}

Result<uint32_t> GgufFile::get_u32_or(std::string_view key, uint32_t fallback) const {
  return has(key) ? get_u32(key) : Result<uint32_t>(fallback);
}

Result<float> GgufFile::get_f32_or(std::string_view key, float fallback) const {
  return has(key) ? get_f32(key) : Result<float>(fallback);
}

Result<bool> GgufFile::get_bool_or(std::string_view key, bool fallback) const {
  return has(key) ? get_bool(key) : Result<bool>(fallback);
}

std::vector<std::string_view> gguf_string_views(const GgufKeyValue& kv) {
  std::vector<std::string_view> views;
  if (kv.type != GgufValueType::array || kv.element_type != GgufValueType::string) return views;
  views.reserve(static_cast<std::size_t>(kv.count));
  const uint8_t* at = kv.array_data;
  for (uint64_t i = 0; i < kv.count; ++i) {
    uint64_t length;
    std::memcpy(&length, at, sizeof length);
    views.emplace_back(reinterpret_cast<const char*>(at + sizeof length), static_cast<std::size_t>(length));
    at += sizeof length + length;
  }
  return views;
}

Result<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require_array(*this, key, "an array of strings"));
  if (kv->element_type != GgufValueType::string) {
    return key_error(ErrorCode::unprocessable, key,
                     "is an array of " + std::string(gguf_value_type_name(kv->element_type)) + ", expected strings");
  }
  const auto views = gguf_string_views(*kv);
  return std::vector<std::string>(views.begin(), views.end());
}

Result<std::vector<float>> GgufFile::get_f32_array(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require_array(*this, key, "an array of f32"));
  if (kv->element_type != GgufValueType::f32) {
    return key_error(ErrorCode::unprocessable, key,
                     "is an array of " + std::string(gguf_value_type_name(kv->element_type)) + ", expected f32");
  }
  std::vector<float> values(static_cast<std::size_t>(kv->count));
  if (!values.empty()) std::memcpy(values.data(), kv->array_data, values.size() * sizeof(float));
  return values;
}

Result<std::vector<int32_t>> GgufFile::get_i32_array(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require_array(*this, key, "an array of integers"));
  if (!is_integer_type(kv->element_type)) {
    return key_error(ErrorCode::unprocessable, key,
                     "is an array of " + std::string(gguf_value_type_name(kv->element_type)) + ", expected integers");
  }
  std::vector<int32_t> values;
  values.reserve(static_cast<std::size_t>(kv->count));
  for (uint64_t i = 0; i < kv->count; ++i) {
    int64_t value = 0;
    if (!array_integer(*kv, i, value) || value < std::numeric_limits<int32_t>::min() ||
        value > std::numeric_limits<int32_t>::max()) {
      return key_error(ErrorCode::unprocessable, key, "element " + std::to_string(i) + " does not fit an int32");
    }
    values.push_back(static_cast<int32_t>(value));
  }
  return values;
}

Result<uint64_t> GgufFile::get_array_size(std::string_view key) const {
  PARLEY_ASSIGN_OR_RETURN(const auto* kv, require_array(*this, key, "an array"));
  return kv->count;
}

}  // namespace parley::engine
