// Replays the tokenizer fuzzer's corpus (seeds and every input it ever found) through the fuzzer's own checks.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "../../fuzz/engine/tokenize_fuzz.h"

namespace parley::engine {
namespace {

TEST(VocabCorpus, EveryCorpusInputKeepsTheFuzzerProperties) {
  const std::filesystem::path corpus = std::filesystem::path(PARLEY_SOURCE_DIR) / "fuzz/engine/corpus/tokenize";
  std::size_t replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream file(entry.path(), std::ios::binary);
    const std::vector<uint8_t> input((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(fuzz::check_tokenize(input, PARLEY_SHARED_DIR), "") << entry.path();
    ++replayed;
  }
  EXPECT_GT(replayed, 0u);
}

}  // namespace
}  // namespace parley::engine
