// Tokenizer speed: load time of each shared vocabulary, then tokenizing 1 MB of text three ways: support-chat text
// (many languages, emoji, URLs), one 1 MB word without spaces (the worst case for merging), and 1 MB of digits.
// Usage: bench_vocab [shared-dir]   (default: the PARLEY_SHARED_DIR the build was configured with)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/gguf.h"
#include "engine/vocab.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string repeat_to(const std::string& unit, std::size_t size) {
  std::string text;
  text.reserve(size + unit.size());
  while (text.size() < size) text += unit;
  text.resize(size);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string shared = argc > 1 ? argv[1] : PARLEY_SHARED_DIR;
  std::ifstream support_file(shared + "/tokenizers/support.inp", std::ios::binary);
  std::stringstream support;
  support << support_file.rdbuf();
  constexpr std::size_t kSize = 1u << 20;
  const std::vector<std::pair<const char*, std::string>> inputs = {
      {"support text", repeat_to(support.str(), kSize)},
      {"one long word", std::string(kSize, 'a')},
      {"digits", repeat_to("0123456789", kSize)},
  };
  std::printf("%-10s %8s  %-14s %10s %10s\n", "vocab", "load ms", "input (1 MiB)", "MB/s", "tokens");
  for (const char* name : {"llama-spm", "phi-3", "llama-bpe", "qwen2", "gpt-2", "bert-bge"}) {
    const auto load_start = Clock::now();
    auto file = parley::engine::GgufFile::open(shared + "/tokenizers/ggml-vocab-" + name + ".gguf");
    if (!file.ok()) {
      std::fprintf(stderr, "%s: %s\n", name, file.error().message.c_str());
      return 1;
    }
    auto vocab = parley::engine::Vocab::from_gguf(*file);
    if (!vocab.ok()) {
      std::fprintf(stderr, "%s: %s\n", name, vocab.error().message.c_str());
      return 1;
    }
    const double load_ms = seconds_since(load_start) * 1000;
    for (const auto& [label, text] : inputs) {
      const auto start = Clock::now();
      const auto tokens = vocab->tokenize(text, true, false);
      const double elapsed = seconds_since(start);
      std::printf("%-10s %8.0f  %-14s %10.1f %10zu\n", name, load_ms, label, text.size() / elapsed / 1e6, tokens.size());
      std::fflush(stdout);
    }
  }
  return 0;
}
