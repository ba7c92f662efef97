// The properties the tokenizer fuzzer checks, shared with the unit test that replays its corpus
// (tests/engine/vocab_corpus_test.cpp). The first input byte picks a shared vocabulary (low six bits) and the flags
// (0x40 add_special, 0x80 parse_special); the rest is the text. Every id must be in range; lossless tokenizers must
// give the text back; streamed detokenization must always be valid UTF-8 and agree with the whole-sequence text when
// that is valid.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.h"
#include "engine/gguf.h"
#include "engine/vocab.h"

namespace parley::engine::fuzz {

struct FuzzVocab {
  std::string name;
  Vocab vocab;
  bool lossless;  // detokenize(tokenize(text)) == text for plain text
};

inline const std::vector<FuzzVocab>& fuzz_vocabs(const std::string& shared_dir) {
  static const std::vector<FuzzVocab> vocabs = [&] {
    std::vector<FuzzVocab> loaded;
    // Phi-3 strips whitespace after its user-defined </s>, so it is not lossless.
    const std::pair<const char*, bool> names[] = {{"llama-spm", true}, {"phi-3", false}, {"llama-bpe", true},
                                                 {"qwen2", true},     {"gpt-2", true},  {"bert-bge", false}};
    for (const auto& [name, lossless] : names) {
      auto file = GgufFile::open(shared_dir + "/tokenizers/ggml-vocab-" + name + ".gguf");
      if (!file.ok()) std::abort();
      auto vocab = Vocab::from_gguf(*file);
      if (!vocab.ok()) std::abort();
      loaded.push_back({name, std::move(vocab).value(), lossless});
    }
    return loaded;
  }();
  return vocabs;
}

// "" when the properties hold, else what went wrong.
inline std::string check_tokenize(std::span<const uint8_t> input, const std::string& shared_dir) {
  if (input.empty()) return {};
  const auto& vocabs = fuzz_vocabs(shared_dir);
  const FuzzVocab& entry = vocabs[(input[0] & 0x3F) % vocabs.size()];
  const bool add_special = (input[0] & 0x40) != 0;
  const bool parse_special = (input[0] & 0x80) != 0;
  const std::string_view text(reinterpret_cast<const char*>(input.data() + 1), input.size() - 1);
  const Vocab& vocab = entry.vocab;

  const std::vector<int32_t> ids = vocab.tokenize(text, add_special, parse_special);
  for (const int32_t id : ids) {
    if (id < 0 || id >= vocab.n_tokens()) return entry.name + ": id out of range: " + std::to_string(id);
  }
  // SentencePiece writes spaces as U+2581, so text that already contains U+2581 cannot come back unchanged.
  const bool has_space_mark = text.find("\xE2\x96\x81") != std::string_view::npos;
  if (entry.lossless && !parse_special && !(vocab.model() == VocabModel::spm && has_space_mark) &&
      vocab.detokenize(ids) != text) {
    return entry.name + ": detokenize(tokenize(text)) differs from the text";
  }
  Detokenizer stream(vocab);
  std::string streamed;
  std::string joined;
  for (const int32_t id : ids) {
    const std::string piece = stream.push(id);
    if (!is_valid_utf8(piece)) return entry.name + ": the stream emitted invalid UTF-8";
    streamed += piece;
    joined += vocab.token_to_piece(id);
  }
  const std::string rest = stream.finish();
  if (!is_valid_utf8(rest)) return entry.name + ": the stream ended with invalid UTF-8";
  streamed += rest;
  if (is_valid_utf8(joined) && streamed != joined) return entry.name + ": streamed text differs from the pieces";
  return {};
}

}  // namespace parley::engine::fuzz
