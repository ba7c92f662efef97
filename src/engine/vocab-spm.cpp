// SentencePiece-style BPE (Llama 2, Phi-3, TinyStories): spaces become U+2581, characters are merged pairwise,
// highest-scoring merged token first (leftmost on ties), and characters left without a token fall back to their
// <0xNN> byte tokens. Invalid UTF-8 bytes are characters of one byte (llama.cpp would take the length its lead byte
// announces and swallow what follows, e.g. a space, into byte tokens).
#include <queue>

#include "common/utf8.h"
#include "engine/vocab-impl.h"

namespace parley::engine {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's space

// The length of the character at the start of `text`; 1 for a byte that does not start a valid UTF-8 sequence (it
// then goes to its byte token, and the bytes after it are characters again).
std::size_t character_length(std::string_view text) {
  std::size_t pos = 0;
  utf8_decode(text, pos);  // advances one byte past an ill-formed sequence
  return pos;
}

struct Symbol {
  std::size_t start;  // bytes in the escaped text
  std::size_t length;  // 0 once merged into the symbol on its left
  int32_t prev;
  int32_t next;
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  std::size_t length;  // of the merged text, to detect stale entries
};

struct LowerBigram {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class SpmSession {
 public:
  SpmSession(const Vocab::Impl& vocab, std::string text) : vocab_(vocab), text_(std::move(text)) {}

  void tokenize(std::vector<int32_t>& out) {
    for (std::size_t offset = 0; offset < text_.size();) {
      const std::size_t length = character_length(std::string_view(text_).substr(offset));
      const auto index = static_cast<int32_t>(symbols_.size());
      symbols_.push_back(Symbol{offset, length, index - 1, offset + length < text_.size() ? index + 1 : -1});
      offset += length;
    }
    for (std::size_t i = 1; i < symbols_.size(); ++i) queue_pair(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[static_cast<std::size_t>(bigram.left)];
      Symbol& right = symbols_[static_cast<std::size_t>(bigram.right)];
      if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) continue;
      left.length += right.length;
      right.length = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[static_cast<std::size_t>(right.next)].prev = bigram.left;
      queue_pair(left.prev, bigram.left);
      queue_pair(bigram.left, left.next);
    }

    for (int32_t i = symbols_.empty() ? -1 : 0; i >= 0; i = symbols_[static_cast<std::size_t>(i)].next) {
      const Symbol& symbol = symbols_[static_cast<std::size_t>(i)];
      const std::string_view piece = std::string_view(text_).substr(symbol.start, symbol.length);
      if (const int32_t token = vocab_.find(piece); token != kNoToken) {
        out.push_back(token);
        continue;
      }
      for (const char byte : piece) {
        const int32_t token = vocab_.byte_tokens[static_cast<unsigned char>(byte)];
        if (token != kNoToken) out.push_back(token);
        else if (vocab_.unk != kNoToken) out.push_back(vocab_.unk);
      }
    }
  }

 private:
  void queue_pair(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& a = symbols_[static_cast<std::size_t>(left)];
    const Symbol& b = symbols_[static_cast<std::size_t>(right)];
    const std::string_view merged = std::string_view(text_).substr(a.start, a.length + b.length);
    const int32_t token = vocab_.find(merged);
    if (token == kNoToken) return;
    queue_.push(Bigram{vocab_.scores[static_cast<std::size_t>(token)], left, right, merged.size()});
  }

  const Vocab::Impl& vocab_;
  std::string text_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, LowerBigram> queue_;
};

}  // namespace

void tokenize_spm(const Vocab::Impl& vocab, std::string_view text, bool after_special, std::vector<int32_t>& out) {
  std::string escaped;
  escaped.reserve(text.size() + kSpaceMark.size());
  if (vocab.add_space_prefix && after_special) escaped += kSpaceMark;
  for (const char c : text) {
    if (c == ' ') escaped += kSpaceMark;
    else escaped += c;
  }
  // Symbol indexes are 32-bit: (pathological) text over 1 GiB is merged in slices, cut before a character.
  constexpr std::size_t kMaxSlice = std::size_t{1} << 30;
  std::string_view rest = escaped;
  while (rest.size() > kMaxSlice) {
    std::size_t cut = kMaxSlice;
    while (cut > 0 && (static_cast<unsigned char>(rest[cut]) & 0xC0) == 0x80) --cut;
    if (cut == 0) cut = kMaxSlice;
    SpmSession(vocab, std::string(rest.substr(0, cut))).tokenize(out);
    rest.remove_prefix(cut);
  }
  SpmSession(vocab, std::string(rest)).tokenize(out);
}

}  // namespace parley::engine
