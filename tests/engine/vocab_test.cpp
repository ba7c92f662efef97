// Tokenizers against llama.cpp's own test vectors (/work/shared/tokenizers) and the reference models' prompts
// (/work/shared/models): every case must give exactly the recorded ids.
#include "engine/vocab.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/gguf.h"

namespace parley::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

const std::string kShared = PARLEY_SHARED_DIR;

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  EXPECT_TRUE(file.good()) << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

Vocab load_vocab(const std::string& path) {
  auto file = GgufFile::open(path);
  EXPECT_TRUE(file.ok()) << path << ": " << (file.ok() ? "" : file.error().message);
  if (!file.ok()) std::abort();
  auto vocab = Vocab::from_gguf(*file);
  EXPECT_TRUE(vocab.ok()) << path << ": " << (vocab.ok() ? "" : vocab.error().message);
  if (!vocab.ok()) std::abort();
  return *vocab;
}

// Cases of a .inp file: texts separated by the line "__ggml_vocab_test__" (the newline before it is not part of a
// case).
std::vector<std::string> read_cases(const std::string& path) {
  const std::string content = read_file(path);
  const std::string separator = "__ggml_vocab_test__\n";
  std::vector<std::string> cases;
  std::size_t start = 0;
  for (std::size_t found = content.find(separator); found != std::string::npos;
       found = content.find(separator, start)) {
    std::string text = content.substr(start, found - start);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    cases.push_back(std::move(text));
    start = found + separator.size();
  }
  return cases;
}

std::vector<std::vector<int32_t>> read_expected(const std::string& path) {
  std::ifstream file(path);
  std::vector<std::vector<int32_t>> lines;
  for (std::string line; std::getline(file, line);) {
    std::istringstream ids(line);
    std::vector<int32_t>& tokens = lines.emplace_back();
    for (int32_t id = 0; ids >> id;) tokens.push_back(id);
  }
  return lines;
}

std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else out += c;
  }
  return out;
}

class VocabVectors : public ::testing::TestWithParam<std::string> {};

void expect_cases(const Vocab& vocab, const std::string& inputs, const std::string& outputs) {
  const auto cases = read_cases(inputs);
  const auto expected = read_expected(outputs);
  ASSERT_EQ(cases.size(), expected.size()) << inputs;
  ASSERT_FALSE(cases.empty());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_THAT(vocab.tokenize(cases[i], false, false), ElementsAreArray(expected[i]))
        << outputs << " case " << i << ": \"" << printable(cases[i]) << "\"";
  }
}

TEST_P(VocabVectors, ReproducesLlamaCppTestVectors) {
  const std::string base = kShared + "/tokenizers/ggml-vocab-" + GetParam() + ".gguf";
  const Vocab vocab = load_vocab(base);
  expect_cases(vocab, base + ".inp", base + ".out");
}

TEST_P(VocabVectors, ReproducesSupportTexts) {
  const std::string base = kShared + "/tokenizers/ggml-vocab-" + GetParam() + ".gguf";
  const Vocab vocab = load_vocab(base);
  expect_cases(vocab, kShared + "/tokenizers/support.inp", base + ".support.out");
}

TEST_P(VocabVectors, DetokenizingGivesTheTextBack) {
  // SentencePiece and byte-level BPE lose nothing; WordPiece lower-cases and drops accents, so it is skipped.
  const std::string base = kShared + "/tokenizers/ggml-vocab-" + GetParam() + ".gguf";
  const Vocab vocab = load_vocab(base);
  if (vocab.model() == VocabModel::wpm) GTEST_SKIP() << "WordPiece normalises its input";
  for (const std::string& text : read_cases(kShared + "/tokenizers/support.inp")) {
    EXPECT_EQ(vocab.detokenize(vocab.tokenize(text, true, false)), text);
  }
}

INSTANTIATE_TEST_SUITE_P(SharedVocabularies, VocabVectors,
                         ::testing::Values("llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2", "bert-bge"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(Vocab, ReferenceModelPromptsTokenizeWithSpecialTokens) {
  std::size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kShared + "/models")) {
    if (entry.path().extension() != ".json") continue;
    const auto reference = nlohmann::json::parse(read_file(entry.path().string()));
    std::filesystem::path model = entry.path();
    model.replace_extension(".gguf");
    const Vocab vocab = load_vocab(model.string());
    const auto expected = reference.at("prompt_tokens").get<std::vector<int32_t>>();
    EXPECT_THAT(vocab.tokenize(reference.at("prompt").get<std::string>(), true, false), ElementsAreArray(expected))
        << entry.path();
    ++checked;
  }
  EXPECT_GE(checked, 20u);
}

}  // namespace
}  // namespace parley::engine
