// Tokenizers of GGUF models: SentencePiece-style (`llama`: scores and <0xNN> byte fallback), byte-level BPE (`gpt2`:
// merges after a model-specific pre-tokenizer) and WordPiece (`bert`). They reproduce llama.cpp's tokenization token
// for token (tests/engine/vocab_test.cpp replays its test vectors). A Vocab is immutable and cheap to copy; any
// thread may use it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace parley::engine {

class GgufFile;

// Token types as numbered in GGUF's tokenizer.ggml.token_type.
enum class TokenType : int32_t { undefined = 0, normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6 };

enum class VocabModel { spm, bpe, wpm };  // tokenizer.ggml.model: "llama", "gpt2", "bert"

inline constexpr int32_t kNoToken = -1;

// The tokenizer part of a model, as plain data (what from_gguf reads; tests build it directly).
struct VocabData {
  std::string model;  // "llama", "gpt2" or "bert"
  std::string pre;    // the BPE pre-tokenizer name ("llama-bpe", "qwen2", "gpt-2", "smollm", ...); "" is "default"
  std::string name;   // general.name, which selects llama.cpp's per-model token attributes (Phi-3)
  std::vector<std::string> tokens;
  std::vector<float> scores;              // SPM merge priorities; may be empty for BPE and WordPiece
  std::vector<int32_t> token_types;       // TokenType values; empty means all normal
  std::vector<std::string> merges;        // BPE: "left right", highest priority first
  std::optional<int32_t> bos, eos, eot, eom, unk, sep, pad, cls, mask;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
};

class Vocab {
 public:
  // Reads tokenizer.ggml.* from a model file. Errors name the missing or malformed key, or the unsupported
  // tokenizer or pre-tokenizer.
  static Result<Vocab> from_gguf(const GgufFile& file);
  static Result<Vocab> from_data(VocabData data);

  // add_special: BOS/EOS as the model asks (CLS ... SEP for WordPiece). parse_special: text of control tokens
  // ("<|im_start|>") becomes those tokens; user-defined tokens are always recognised, as in llama.cpp. Any bytes,
  // including invalid UTF-8, tokenize (through byte tokens where the model has them).
  std::vector<int32_t> tokenize(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes a token stands for. Control tokens give "" unless render_special; out-of-range ids give "".
  // A piece may be part of a UTF-8 character: use Detokenizer to stream text.
  std::string token_to_piece(int32_t id, bool render_special = false) const;
  // A whole sequence as text: pieces joined, the SentencePiece space prefix removed from the start.
  std::string detokenize(std::span<const int32_t> ids, bool render_special = false) const;

  int32_t n_tokens() const;
  VocabModel model() const;
  TokenType token_type(int32_t id) const;  // undefined for out-of-range ids
  const std::string& token_text(int32_t id) const;  // as stored in the model ("" for out-of-range ids)
  std::optional<int32_t> find_token(std::string_view text) const;

  // End of generation: EOS, EOT, EOM and the control tokens that end a turn (<|im_end|>, <|eot_id|>, <|end|>, ...).
  bool is_eog(int32_t id) const;
  bool is_control(int32_t id) const { return token_type(id) == TokenType::control; }

  // Special ids; kNoToken when the model has none.
  int32_t bos() const;
  int32_t eos() const;
  int32_t eot() const;
  int32_t eom() const;
  int32_t unk() const;
  int32_t sep() const;
  int32_t pad() const;
  int32_t cls() const;
  int32_t mask() const;
  bool adds_bos() const;
  bool adds_eos() const;
  // SentencePiece: a space is put before the text (and removed again by detokenize).
  bool adds_space_prefix() const;

  struct Impl;

 private:
  explicit Vocab(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Turns generated tokens into text as they arrive. Only complete UTF-8 characters are returned: the bytes of a
// character split over several tokens are held back until it is complete; bytes that can never form a character
// come out as U+FFFD.
class Detokenizer {
 public:
  explicit Detokenizer(const Vocab& vocab, bool render_special = false) : vocab_(vocab), render_special_(render_special) {}

  // The text completed by this token (may be empty).
  std::string push(int32_t id);
  // The text still held back, at the end of generation (an incomplete character becomes U+FFFD).
  std::string finish();

 private:
  Vocab vocab_;
  bool render_special_;
  std::string pending_;  // at most 3 bytes: the start of an incomplete character
};

}  // namespace parley::engine
