#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "guard/model_hash.h"

namespace parley::guard {
namespace {

class ModelHash : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("parley_model_hash_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = dir_ / "model.gguf";
    std::ofstream(path_, std::ios::binary) << "abc";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::filesystem::path path_;
};

constexpr const char* kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";  // SHA-256("abc")

TEST_F(ModelHash, AcceptsTheRegisteredHash) {
  auto digest = sha256_file(path_);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, kAbc);
  EXPECT_TRUE(verify_model_file(path_, kAbc).ok());
  EXPECT_TRUE(verify_model_file(path_, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD").ok());
}

TEST_F(ModelHash, RefusesATamperedFile) {
  std::ofstream(path_, std::ios::binary | std::ios::app) << "!";
  const auto status = verify_model_file(path_, kAbc);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::forbidden);
}

TEST_F(ModelHash, ReportsMissingFilesAndMalformedHashes) {
  EXPECT_EQ(verify_model_file(dir_ / "missing.gguf", kAbc).error().code, ErrorCode::not_found);
  EXPECT_EQ(verify_model_file(path_, "abc").error().code, ErrorCode::invalid_request);
}

TEST(ModelSources, AllowListByPrefix) {
  const std::vector<std::string> allowed = {"https://huggingface.co/TheOrg/"};
  EXPECT_TRUE(model_source_allowed("https://HuggingFace.co/TheOrg/model.gguf", allowed));
  EXPECT_FALSE(model_source_allowed("https://huggingface.co/theorg/model.gguf", allowed));
  EXPECT_FALSE(model_source_allowed("https://huggingface.co.evil.example/TheOrg/m.gguf", allowed));
  EXPECT_TRUE(model_source_allowed("https://anywhere.example/m.gguf", {}));
}

}  // namespace
}  // namespace parley::guard
