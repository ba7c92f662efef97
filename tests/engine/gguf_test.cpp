#include "engine/gguf.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/gguf-writer.h"

namespace parley::engine {
namespace {

const std::string kModels = std::string(PARLEY_SHARED_DIR) + "/models/";

// Raw little-endian byte builder for files the writer would refuse to produce.
struct Bytes {
  std::vector<uint8_t> data;
  template <typename T>
  Bytes& put(T value) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    data.insert(data.end(), raw, raw + sizeof(T));
    return *this;
  }
  Bytes& str(std::string_view text) {
    put<uint64_t>(text.size());
    data.insert(data.end(), text.begin(), text.end());
    return *this;
  }
  Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return put<uint32_t>(0x46554747).put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
  }
  Bytes& pad_to(std::size_t alignment) {
    data.resize((data.size() + alignment - 1) / alignment * alignment, 0);
    return *this;
  }
};

Result<GgufFile> parse(const Bytes& bytes) { return GgufFile::from_bytes(bytes.data); }

std::string error_of(const Bytes& bytes) {
  auto file = parse(bytes);
  return file.ok() ? std::string("<parsed>") : file.error().message;
}

// One F32 tensor of `dims` described at data offset `offset`, type `type`.
Bytes one_tensor_file(std::vector<uint64_t> dims, uint32_t type = 0, uint64_t offset = 0, std::size_t data_bytes = 64) {
  Bytes bytes;
  bytes.header(1, 0).str("t").put<uint32_t>(static_cast<uint32_t>(dims.size()));
  for (auto d : dims) bytes.put<uint64_t>(d);
  bytes.put<uint32_t>(type).put<uint64_t>(offset).pad_to(32);
  bytes.data.resize(bytes.data.size() + data_bytes, 0);
  return bytes;
}

TEST(GgufFile, OpensStoriesModelWithMetadataAndTensors) {
  auto file = GgufFile::open(kModels + "stories260K.gguf");
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(*file->architecture(), "llama");
  EXPECT_EQ(*file->get_u32("llama.block_count"), 5u);
  EXPECT_EQ(*file->get_u32("llama.embedding_length"), 64u);
  auto tokens = file->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  EXPECT_EQ(tokens->size(), 512u);
  EXPECT_EQ(file->get_f32_array("tokenizer.ggml.scores")->size(), 512u);
  EXPECT_EQ(file->get_i32_array("tokenizer.ggml.token_type")->size(), 512u);
  const auto* embedding = file->find_tensor("token_embd.weight");
  ASSERT_NE(embedding, nullptr);
  EXPECT_EQ(embedding->ne[0], 64);
  EXPECT_EQ(embedding->ne[1], 512);
  EXPECT_EQ(embedding->type, TensorType::f32);
  EXPECT_EQ(embedding->n_bytes, 64u * 512u * 4u);
  // Tensor data lies inside the file.
  for (const auto& tensor : file->tensors()) {
    EXPECT_LE(tensor.offset + tensor.n_bytes, file->file_size()) << tensor.name;
  }
}

TEST(GgufFile, MetadataStaysReadableAfterReleasingHeaderPages) {
  auto file = GgufFile::open(kModels + "tiny-qwen2-f16.gguf");
  ASSERT_TRUE(file.ok());
  const auto before = *file->get_string_array("tokenizer.ggml.tokens");
  file->release_header_pages();
  EXPECT_EQ(*file->get_string_array("tokenizer.ggml.tokens"), before);
  EXPECT_EQ(*file->architecture(), "qwen2");
  EXPECT_NE(file->find_tensor("token_embd.weight"), nullptr);
}

TEST(GgufFile, OpensQuantizedMixWithSeveralBlockTypes) {
  auto file = GgufFile::open(kModels + "tiny-llama-q4_k_m.gguf");
  ASSERT_TRUE(file.ok()) << file.error().message;
  bool has_q4_k = false;
  for (const auto& tensor : file->tensors()) has_q4_k |= tensor.type == TensorType::q4_k;
  EXPECT_TRUE(has_q4_k);
}

TEST(GgufFile, MissingFileIsNotFound) {
  auto file = GgufFile::open(kModels + "no-such-model.gguf");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().code, ErrorCode::not_found);
}

TEST(GgufFile, WriterRoundTripsEveryValueType) {
  GgufWriter writer;
  writer.set_string("general.architecture", "llama");
  writer.set_u32("a.u32", 4000000000u);
  writer.set_i32("a.i32", -7);
  writer.set_u64("a.u64", 1ull << 40);
  writer.set_f32("a.f32", 1.5f);
  writer.set_bool("a.bool", true);
  const std::vector<std::string_view> strings{"x", "", "z\xc3\xa9"};
  writer.set_string_array("a.strings", strings);
  const std::vector<float> floats{0.25f, -2.0f};
  writer.set_f32_array("a.floats", floats);
  const std::vector<int32_t> ints{1, -2, 3};
  writer.set_i32_array("a.ints", ints);
  const std::vector<int64_t> dims{32, 3};
  std::vector<uint8_t> data(34 * 3, 7);
  ASSERT_TRUE(writer.add_tensor("w", TensorType::q8_0, dims, data).ok());

  auto file = GgufFile::from_bytes(writer.serialize());
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(*file->get_u32("a.u32"), 4000000000u);
  EXPECT_EQ(*file->get_i32("a.i32"), -7);
  EXPECT_EQ(*file->get_u64("a.u64"), 1ull << 40);
  EXPECT_EQ(*file->get_f32("a.f32"), 1.5f);
  EXPECT_TRUE(*file->get_bool("a.bool"));
  EXPECT_EQ(*file->get_string_array("a.strings"), (std::vector<std::string>{"x", "", "z\xc3\xa9"}));
  EXPECT_EQ(*file->get_f32_array("a.floats"), floats);
  EXPECT_EQ(*file->get_i32_array("a.ints"), ints);
  EXPECT_EQ(*file->get_array_size("a.ints"), 3u);
  const auto* tensor = file->find_tensor("w");
  ASSERT_NE(tensor, nullptr);
  EXPECT_EQ(tensor->rows(), 3);
  EXPECT_EQ(tensor->row_bytes(), 34u);
  EXPECT_EQ(std::memcmp(tensor->data, data.data(), data.size()), 0);
  // Copying metadata through a second writer preserves it.
  GgufWriter copy;
  for (const auto& kv : file->metadata()) copy.copy_metadata(kv);
  auto copied = GgufFile::from_bytes(copy.serialize());
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  EXPECT_EQ(*copied->get_i32("a.i32"), -7);
  EXPECT_EQ(*copied->get_u64("a.u64"), 1ull << 40);
  EXPECT_EQ(*copied->get_string_array("a.strings"), *file->get_string_array("a.strings"));
  EXPECT_EQ(*copied->get_i32_array("a.ints"), ints);
}

TEST(GgufFile, DeferredTensorsAreFilledWhenWrittenAndTheirErrorsEndTheWrite) {
  GgufWriter writer;
  writer.set_string("general.architecture", "llama");
  const std::vector<int64_t> dims{32, 2};
  int fills = 0;
  ASSERT_TRUE(writer.add_tensor("w", TensorType::q8_0, dims, [&](std::span<uint8_t> out) -> Status {
    ++fills;
    EXPECT_EQ(out.size(), 68u);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i);
    return {};
  }).ok());
  EXPECT_EQ(fills, 0);  // nothing is produced before the file is
  const auto path = std::filesystem::temp_directory_path() / ("deferred-" + std::to_string(::getpid()) + ".gguf");
  ASSERT_TRUE(writer.write(path.string()).ok());
  EXPECT_EQ(fills, 1);
  auto file = GgufFile::open(path.string());
  ASSERT_TRUE(file.ok()) << file.error().message;
  const auto* tensor = file->find_tensor("w");
  ASSERT_NE(tensor, nullptr);
  for (std::size_t i = 0; i < 68; ++i) ASSERT_EQ(tensor->data[i], static_cast<uint8_t>(i));
  std::filesystem::remove(path);

  GgufWriter failing;
  ASSERT_TRUE(failing.add_tensor("w", TensorType::q8_0, dims, [](std::span<uint8_t>) -> Status {
    return make_error(ErrorCode::internal, "out of random numbers");
  }).ok());
  const auto status = failing.write(path.string());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message, "out of random numbers");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".partial"));
  EXPECT_TRUE(failing.serialize().empty());
}

TEST(GgufFile, TypedGettersReportMissingWrongTypeAndRange) {
  GgufWriter writer;
  writer.set_i32("negative", -1);
  writer.set_u64("huge", 1ull << 40);
  writer.set_string("text", "hi");
  const std::vector<float> floats{1.0f};
  writer.set_f32_array("floats", floats);
  auto file = GgufFile::from_bytes(writer.serialize());
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->get_u32("absent").error().code, ErrorCode::not_found);
  EXPECT_EQ(file->get_u32("negative").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(file->get_u32("huge").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(file->get_i32("text").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(file->get_string("negative").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(file->get_string_array("floats").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(file->get_i32_array("floats").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(file->get_f32_array("text").error().code, ErrorCode::unprocessable);
  EXPECT_EQ(*file->get_u32_or("absent", 9), 9u);
  EXPECT_FALSE(file->get_u32_or("text", 9).ok());
  EXPECT_EQ(*file->get_string_or("absent", "x"), "x");
  EXPECT_EQ(*file->get_f32_or("absent", 2.5f), 2.5f);
  EXPECT_TRUE(*file->get_bool_or("absent", true));
}

TEST(GgufFile, EveryTruncationIsAnError) {
  GgufWriter writer;
  writer.set_string("general.architecture", "llama");
  const std::vector<std::string_view> strings{"a", "bc"};
  writer.set_string_array("tokens", strings);
  const std::vector<int64_t> dims{8};
  std::vector<uint8_t> data(32, 1);  // exactly one alignment unit, so the file ends where the data ends
  ASSERT_TRUE(writer.add_tensor("w", TensorType::f32, dims, data).ok());
  const auto full = writer.serialize();
  ASSERT_TRUE(GgufFile::from_bytes(full).ok());
  for (std::size_t length = 0; length < full.size(); ++length) {
    auto file = GgufFile::from_bytes(std::span<const uint8_t>(full.data(), length));
    EXPECT_FALSE(file.ok()) << "prefix of " << length << " bytes parsed";
  }
}

TEST(GgufFile, RejectsBadHeaders) {
  Bytes bad_magic;
  bad_magic.put<uint32_t>(0x12345678).put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(0);
  EXPECT_NE(error_of(bad_magic).find("bad magic"), std::string::npos);
  EXPECT_NE(error_of(Bytes().header(0, 0, 1)).find("version 1"), std::string::npos);
  EXPECT_NE(error_of(Bytes().header(0, 0, 0x03000000)).find("big-endian"), std::string::npos);
  EXPECT_NE(error_of(Bytes().header(0, 0, 4)).find("version 4"), std::string::npos);
  EXPECT_NE(error_of(Bytes().header(0, ~0ull)).find("metadata count"), std::string::npos);
  EXPECT_NE(error_of(Bytes().header(~0ull, 0)).find("tensor count"), std::string::npos);
  EXPECT_TRUE(parse(Bytes().header(0, 0, 2)).ok());
}

TEST(GgufFile, RejectsHostileMetadata) {
  Bytes huge_key;
  huge_key.header(0, 1).put<uint64_t>(~0ull);
  EXPECT_NE(error_of(huge_key).find("exceeds the file"), std::string::npos);

  Bytes huge_array;
  huge_array.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(6).put<uint64_t>(1ull << 62);
  EXPECT_NE(error_of(huge_array).find("more than the file holds"), std::string::npos);

  Bytes huge_string_array;
  huge_string_array.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 61);
  EXPECT_NE(error_of(huge_string_array).find("more than the file holds"), std::string::npos);

  Bytes nested;
  nested.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(0);
  EXPECT_NE(error_of(nested).find("array of arrays"), std::string::npos);

  Bytes unknown_type;
  unknown_type.header(0, 1).str("k").put<uint32_t>(13);
  EXPECT_NE(error_of(unknown_type).find("unknown metadata value type"), std::string::npos);

  Bytes bad_bool;
  bad_bool.header(0, 1).str("k").put<uint32_t>(7).put<uint8_t>(2);
  EXPECT_NE(error_of(bad_bool).find("bool value"), std::string::npos);

  Bytes duplicate;
  duplicate.header(0, 2).str("k").put<uint32_t>(4).put<uint32_t>(1).str("k").put<uint32_t>(4).put<uint32_t>(2);
  EXPECT_NE(error_of(duplicate).find("duplicate metadata key"), std::string::npos);

  Bytes empty_key;
  empty_key.header(0, 1).str("").put<uint32_t>(4).put<uint32_t>(1);
  EXPECT_NE(error_of(empty_key).find("empty metadata key"), std::string::npos);

  for (uint32_t alignment : {0u, 3u, 1u << 21}) {
    Bytes bad_alignment;
    bad_alignment.header(0, 1).str("general.alignment").put<uint32_t>(4).put<uint32_t>(alignment);
    EXPECT_NE(error_of(bad_alignment).find("general.alignment"), std::string::npos) << alignment;
  }
  Bytes wrong_alignment_type;
  wrong_alignment_type.header(0, 1).str("general.alignment").put<uint32_t>(5).put<int32_t>(32);
  EXPECT_NE(error_of(wrong_alignment_type).find("must be a u32"), std::string::npos);
}

TEST(GgufFile, RejectsHostileTensorDirectory) {
  EXPECT_TRUE(parse(one_tensor_file({16})).ok());
  EXPECT_NE(error_of(one_tensor_file({})).find("dimensions"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({1, 1, 1, 1, 1})).find("dimensions"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({0})).find("invalid dimension"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({1ull << 63})).find("invalid dimension"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({1ull << 32, 1ull << 32})).find("overflows"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({16}, 99)).find("unknown type"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({33}, 8)).find("not a multiple"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({16}, 0, 4)).find("not aligned"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({17})).find("past the end"), std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({16}, 0, 1ull << 63)).find("past the end"), std::string::npos);
  // Huge element counts: the byte size must be checked, not wrap around into something small.
  EXPECT_NE(error_of(one_tensor_file({1ull << 30, 1ull << 30}, 12 /* q4_k */)).find("past the end"),
            std::string::npos);
  EXPECT_NE(error_of(one_tensor_file({1ull << 31, 1ull << 31})).find("byte size overflows"), std::string::npos);

  Bytes duplicate;
  duplicate.header(2, 0);
  for (int i = 0; i < 2; ++i) duplicate.str("t").put<uint32_t>(1).put<uint64_t>(8).put<uint32_t>(0).put<uint64_t>(0);
  duplicate.pad_to(32).data.resize(duplicate.data.size() + 32, 0);
  EXPECT_NE(error_of(duplicate).find("duplicate tensor name"), std::string::npos);
}

// Every seed and every fuzzer find stays a regression input: each must parse or fail cleanly.
TEST(GgufFile, ReplaysFuzzCorpus) {
  const std::filesystem::path corpus = std::filesystem::path(PARLEY_SOURCE_DIR) / "fuzz/engine/corpus/gguf";
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto file = GgufFile::from_bytes(bytes);
    if (file.ok()) {
      for (const auto& tensor : file->tensors()) EXPECT_LE(tensor.offset + tensor.n_bytes, file->file_size());
    } else {
      EXPECT_FALSE(file.error().message.empty());
    }
    ++replayed;
  }
  EXPECT_GE(replayed, 3);
}

}  // namespace
}  // namespace parley::engine
