// The loaded vocabulary shared by the tokenizers in vocab-spm.cpp, vocab-bpe.cpp and vocab-wpm.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/pre-tokenize.h"
#include "engine/vocab.h"

namespace parley::engine {

// Token ids by text. Stores only ids (open addressing): the texts stay in the vocabulary's own vector, which is
// passed to every call. A std::unordered_map<std::string, int32_t> held a second copy of every text in a node of its
// own, about 70 bytes per token (11 MB for a 152k-token vocabulary, against 1 MB here).
class TokenIndex {
 public:
  // Indexes texts[0..n); of duplicate texts the last id wins.
  void build(const std::vector<std::string>& texts);
  int32_t find(const std::vector<std::string>& texts, std::string_view text) const;

 private:
  std::vector<int32_t> slots_;  // kNoToken when empty; size a power of two, at most half full
};

struct BpeMerge {
  int32_t rank;
  int32_t result;  // the token the pair becomes
};

struct Vocab::Impl {
  VocabModel model = VocabModel::spm;
  PreTokenizer pre_tokenizer = PreTokenizer::default_bpe;  // BPE only

  std::vector<std::string> texts;   // as stored in the model
  std::vector<std::string> pieces;  // the bytes each token stands for
  std::vector<float> scores;
  std::vector<TokenType> types;
  TokenIndex text_to_id;  // over texts

  // SentencePiece: the token of each byte (<0xNN>); BPE: the token of each single byte. kNoToken when missing.
  std::array<int32_t, 256> byte_tokens{};
  bool add_space_prefix = false;

  // BPE works on raw bytes: tokens are written in GPT-2's byte-to-character alphabet (encode_byte_level finds the
  // token of some bytes by their text); merges by token pair.
  std::unordered_map<uint64_t, BpeMerge> merges;
  bool ignore_merges = false;  // a pre-token that is a whole token is not merged (Llama 3)

  std::size_t max_token_bytes = 0;  // WordPiece's longest match

  int32_t bos = kNoToken, eos = kNoToken, eot = kNoToken, eom = kNoToken, unk = kNoToken, sep = kNoToken,
          pad = kNoToken, cls = kNoToken, mask = kNoToken;
  bool add_bos = false;
  bool add_eos = false;

  // Tokens recognised in text before tokenizing (control, user-defined, unknown), longest text first, and whether
  // whitespace after each is dropped (llama.cpp's Phi-3 rule).
  std::vector<int32_t> special_tokens;
  std::vector<bool> strips_right;  // by token id
  std::vector<int32_t> end_of_generation;  // sorted

  bool valid(int32_t id) const { return id >= 0 && static_cast<std::size_t>(id) < texts.size(); }
  int32_t find(std::string_view text) const { return text_to_id.find(texts, text); }
};

// Appends the tokens of one run of plain text (no special-token text in it).
// `after_special`: SentencePiece puts its space prefix only at the start and after special tokens.
void tokenize_spm(const Vocab::Impl& vocab, std::string_view text, bool after_special, std::vector<int32_t>& out);
void tokenize_bpe(const Vocab::Impl& vocab, std::string_view text, std::vector<int32_t>& out);
void tokenize_wpm(const Vocab::Impl& vocab, std::string_view text, std::vector<int32_t>& out);

// GPT-2's byte-level alphabet: every byte is written as one printable character (printable Latin-1 as itself, the
// others shifted to U+0100 upwards). Returns the bytes, or nullopt when `text` has a character outside the alphabet.
std::optional<std::string> decode_byte_level(std::string_view text);
// The inverse: `bytes` written in that alphabet (decode_byte_level(encode_byte_level(b)) == b).
std::string encode_byte_level(std::string_view bytes);

}  // namespace parley::engine
