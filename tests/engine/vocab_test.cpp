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

#include "common/utf8.h"
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

// "llama-spm" -> "llama_spm": test names cannot contain dashes.
std::string test_name(const ::testing::TestParamInfo<std::string>& param) {
  std::string name = param.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
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

INSTANTIATE_TEST_SUITE_P(SharedVocabularies, VocabVectors,
                         ::testing::Values("llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2", "bert-bge"),
                         test_name);

class LosslessVocab : public ::testing::TestWithParam<std::string> {};

// SentencePiece and byte-level BPE lose nothing (WordPiece lower-cases and drops accents, so it is not here).
TEST_P(LosslessVocab, DetokenizingGivesTheTextBack) {
  const Vocab vocab = load_vocab(kShared + "/tokenizers/ggml-vocab-" + GetParam() + ".gguf");
  for (const std::string& text : read_cases(kShared + "/tokenizers/support.inp")) {
    EXPECT_EQ(vocab.detokenize(vocab.tokenize(text, true, false)), text);
  }
  const std::string invalid_utf8 = "caf\xC3 \xFF\xFE" "end\xE2\x82";
  EXPECT_EQ(vocab.detokenize(vocab.tokenize(invalid_utf8, true, false)), invalid_utf8);
}

INSTANTIATE_TEST_SUITE_P(SharedVocabularies, LosslessVocab,
                         ::testing::Values("llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2"),
                         test_name);

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

Vocab shared_vocab(const std::string& name) { return load_vocab(kShared + "/tokenizers/ggml-vocab-" + name + ".gguf"); }

int32_t id_of(const Vocab& vocab, std::string_view text) {
  const auto id = vocab.find_token(text);
  EXPECT_TRUE(id.has_value()) << text;
  return id.value_or(kNoToken);
}

TEST(Vocab, AddsTheSpecialTokensEachModelAsksFor) {
  const Vocab spm = shared_vocab("llama-spm");
  EXPECT_THAT(spm.tokenize("", true, false), ElementsAre(spm.bos()));
  EXPECT_THAT(spm.tokenize("", false, false), ElementsAre());
  EXPECT_EQ(spm.tokenize("Hi", true, false).front(), id_of(spm, "<s>"));

  const Vocab llama3 = shared_vocab("llama-bpe");
  EXPECT_EQ(llama3.bos(), id_of(llama3, "<|begin_of_text|>"));
  EXPECT_EQ(llama3.tokenize("Hi", true, false).front(), llama3.bos());

  const Vocab qwen2 = shared_vocab("qwen2");
  EXPECT_FALSE(qwen2.adds_bos());
  EXPECT_EQ(qwen2.tokenize("Hi", true, false), qwen2.tokenize("Hi", false, false));

  const Vocab bert = shared_vocab("bert-bge");
  const auto ids = bert.tokenize("hello", true, false);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), id_of(bert, "[CLS]"));
  EXPECT_EQ(ids.back(), id_of(bert, "[SEP]"));
}

TEST(Vocab, ParsesSpecialTokenTextOnlyWhenAsked) {
  const Vocab qwen2 = shared_vocab("qwen2");
  const int32_t start = id_of(qwen2, "<|im_start|>");
  const int32_t end = id_of(qwen2, "<|im_end|>");
  const auto hello = qwen2.tokenize("user\nHello", false, false);
  std::vector<int32_t> expected = {start};
  expected.insert(expected.end(), hello.begin(), hello.end());
  expected.push_back(end);
  EXPECT_THAT(qwen2.tokenize("<|im_start|>user\nHello<|im_end|>", false, true), ElementsAreArray(expected));
  const auto plain = qwen2.tokenize("<|im_start|>user\nHello<|im_end|>", false, false);
  EXPECT_THAT(plain, ::testing::Not(::testing::Contains(start)));
  EXPECT_EQ(qwen2.detokenize(plain), "<|im_start|>user\nHello<|im_end|>");
}

TEST(Vocab, SentencePiecePrefixesASpaceAfterSpecialTokens) {
  const Vocab spm = shared_vocab("llama-spm");
  const auto word = spm.tokenize("Hello", false, false);  // "▁Hello"
  std::vector<int32_t> expected = {spm.eos()};
  expected.insert(expected.end(), word.begin(), word.end());
  EXPECT_THAT(spm.tokenize("</s>Hello", false, true), ElementsAreArray(expected));
}

TEST(Vocab, Phi3DropsWhitespaceAfterSpecialTokens) {
  const Vocab phi3 = shared_vocab("phi-3");
  const auto hi = phi3.tokenize("Hi", false, false);
  std::vector<int32_t> expected = {id_of(phi3, "<|user|>")};
  expected.insert(expected.end(), hi.begin(), hi.end());
  EXPECT_THAT(phi3.tokenize("<|user|>\n  Hi", false, true), ElementsAreArray(expected));
}

TEST(Vocab, EndOfGenerationTokens) {
  const Vocab qwen2 = shared_vocab("qwen2");
  EXPECT_TRUE(qwen2.is_eog(id_of(qwen2, "<|im_end|>")));
  EXPECT_TRUE(qwen2.is_eog(id_of(qwen2, "<|endoftext|>")));
  EXPECT_FALSE(qwen2.is_eog(id_of(qwen2, "<|im_start|>")));
  EXPECT_FALSE(qwen2.is_eog(id_of(qwen2, "Hello")));
  const Vocab llama3 = shared_vocab("llama-bpe");
  EXPECT_TRUE(llama3.is_eog(id_of(llama3, "<|end_of_text|>")));
  EXPECT_TRUE(llama3.is_eog(id_of(llama3, "<|eot_id|>")));
  EXPECT_EQ(llama3.eot(), id_of(llama3, "<|eot_id|>"));
  const Vocab spm = shared_vocab("llama-spm");
  EXPECT_TRUE(spm.is_eog(spm.eos()));
  EXPECT_FALSE(spm.is_eog(spm.bos()));
  EXPECT_FALSE(spm.is_eog(-1));
  EXPECT_FALSE(spm.is_eog(spm.n_tokens()));
}

TEST(Vocab, PiecesOfTokens) {
  const Vocab spm = shared_vocab("llama-spm");
  EXPECT_EQ(spm.token_to_piece(id_of(spm, "<0x41>")), "A");
  EXPECT_EQ(spm.token_to_piece(id_of(spm, "\xE2\x96\x81Hello")), " Hello");
  EXPECT_EQ(spm.token_to_piece(spm.bos()), "");
  EXPECT_EQ(spm.token_to_piece(spm.bos(), true), "<s>");
  EXPECT_EQ(spm.token_to_piece(-5), "");
  EXPECT_EQ(spm.token_to_piece(spm.n_tokens()), "");
  const Vocab gpt2 = shared_vocab("gpt-2");
  EXPECT_EQ(gpt2.token_to_piece(id_of(gpt2, "\xC4\xA0world")), " world");  // "Ġworld"
  EXPECT_EQ(gpt2.token_to_piece(id_of(gpt2, "\xC4\x8A")), "\n");        // "Ċ"
  const Vocab bert = shared_vocab("bert-bge");
  EXPECT_EQ(bert.token_to_piece(id_of(bert, "\xE2\x96\x81the")), " the");
}

TEST(Detokenizer, HoldsBackCharactersSplitOverByteTokens) {
  const Vocab spm = shared_vocab("llama-spm");
  // "🙂" (F0 9F 99 82) has no token of its own: it tokenizes as four byte tokens.
  const auto ids = spm.tokenize("\xF0\x9F\x99\x82!", false, false);
  Detokenizer stream(spm);
  std::vector<std::string> outputs;
  for (const int32_t id : ids) outputs.push_back(stream.push(id));
  EXPECT_EQ(stream.finish(), "");
  std::string joined;
  for (const std::string& output : outputs) {
    EXPECT_TRUE(is_valid_utf8(output)) << output;
    joined += output;
  }
  EXPECT_EQ(joined, " \xF0\x9F\x99\x82!");
  EXPECT_GE(std::count(outputs.begin(), outputs.end(), std::string()), 3);
}

TEST(Detokenizer, ReplacesBytesThatCanNeverFormACharacter) {
  const Vocab spm = shared_vocab("llama-spm");
  Detokenizer stream(spm);
  EXPECT_EQ(stream.push(id_of(spm, "<0xE2>")), "");
  EXPECT_EQ(stream.push(id_of(spm, "<0x41>")), "\xEF\xBF\xBD" "A");  // E2 cannot be followed by 'A'
  EXPECT_EQ(stream.push(id_of(spm, "<0xFF>")), "\xEF\xBF\xBD");
  EXPECT_EQ(stream.push(id_of(spm, "<0xF0>")), "");
  EXPECT_EQ(stream.push(id_of(spm, "<0x9F>")), "");
  EXPECT_EQ(stream.finish(), "\xEF\xBF\xBD");  // the stream ended inside a character
}

VocabData vocab_data(std::string model, std::vector<std::string> tokens, std::vector<std::string> merges = {},
                     std::string pre = "") {
  VocabData data;
  data.model = std::move(model);
  data.tokens = std::move(tokens);
  data.merges = std::move(merges);
  data.pre = std::move(pre);
  return data;
}

TEST(Vocab, RejectsUnsupportedOrInconsistentData) {
  const auto error_of = [](VocabData data) {
    auto vocab = Vocab::from_data(std::move(data));
    EXPECT_FALSE(vocab.ok());
    return vocab.ok() ? std::string() : vocab.error().message;
  };
  EXPECT_THAT(error_of(vocab_data("t5", {"a"})), ::testing::HasSubstr("unsupported tokenizer model 't5'"));
  EXPECT_THAT(error_of(vocab_data("gpt2", {"a"}, {"a a"}, "martian")),
              ::testing::HasSubstr("unsupported BPE pre-tokenizer 'martian'"));
  EXPECT_THAT(error_of(vocab_data("gpt2", {"a"}, {}, "gpt-2")), ::testing::HasSubstr("merges"));
  VocabData short_scores = vocab_data("llama", {"a", "b"});
  short_scores.scores = {0.0f};
  EXPECT_THAT(error_of(short_scores), ::testing::HasSubstr("tokenizer.ggml.scores"));
  EXPECT_THAT(error_of(vocab_data("llama", {})), ::testing::HasSubstr("no tokens"));
}

TEST(Vocab, SmallBpeVocabularyFromData) {
  // Bytes "a", "b", "c" (printable, so written as themselves), " " (written "Ġ") and two merges: "a b" before "ab c".
  auto vocab = Vocab::from_data(vocab_data("gpt2", {"a", "b", "c", "ab", "abc", "\xC4\xA0"}, {"a b", "ab c"}, "gpt-2"));
  ASSERT_TRUE(vocab.ok()) << vocab.error().message;
  EXPECT_THAT(vocab->tokenize("abc", false, false), ElementsAre(4));
  EXPECT_THAT(vocab->tokenize("abcab cb", false, false), ElementsAre(4, 3, 5, 2, 1));
  EXPECT_EQ(vocab->detokenize(vocab->tokenize("abcab cb", false, false)), "abcab cb");
  // Bytes without a token are left out rather than crashing (this vocabulary has no unknown token).
  EXPECT_THAT(vocab->tokenize("axb", false, false), ElementsAre(0, 1));
}

}  // namespace
}  // namespace parley::engine
