// Replays the chat-template fuzzer's corpus (seeds and every input it ever found) through the fuzzer's own check.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "../../fuzz/engine/chat_template_fuzz.h"

namespace parley::engine {
namespace {

TEST(JinjaCorpus, EveryCorpusInputRendersOrFailsCleanly) {
  const std::filesystem::path corpus = std::filesystem::path(PARLEY_SOURCE_DIR) / "fuzz/engine/corpus/chat_template";
  std::size_t replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream file(entry.path(), std::ios::binary);
    std::stringstream source;
    source << file.rdbuf();
    EXPECT_EQ(fuzz::check_chat_template(source.str()), "") << entry.path();
    ++replayed;
  }
  EXPECT_GT(replayed, 0u);
}

}  // namespace
}  // namespace parley::engine
