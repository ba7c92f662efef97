// BPE pre-tokenizers: split text into the pieces that byte-level BPE merges within. Each model family defines its
// split with a regular expression (GPT-2, Llama 3, Qwen2, ...); these are hand-written matchers with the same
// leftmost-first semantics, working on code points with Unicode categories, in linear time.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace parley::engine {

enum class PreTokenizer {
  default_bpe,  // punctuation runs, then GPT-2, then digit runs, then groups of three ASCII digits
  gpt2,         // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  llama3,       // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
                //   \s*[\r\n]+|\s+(?!\S)|\s+
  qwen2,        // as llama3 with single digits (\p{N})
  starcoder,    // every digit alone (\p{N}), then GPT-2 (SmolLM, StarCoder, Refact, Command R)
};

// The pre-tokenizer of a tokenizer.ggml.pre name; nullopt for names Parley does not support.
std::optional<PreTokenizer> pre_tokenizer_from_name(std::string_view name);

// The pieces of `text`, in order, covering it exactly. Invalid UTF-8 bytes count as U+FFFD for classification and
// stay in the pieces unchanged.
std::vector<std::string_view> pre_tokenize(PreTokenizer kind, std::string_view text);

}  // namespace parley::engine
