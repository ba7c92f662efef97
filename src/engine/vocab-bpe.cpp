// Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM): pre-tokenize, then within each piece merge adjacent symbols,
// lowest merge rank first (leftmost on ties), using a priority queue over a linked list of symbols.
#include <queue>

#include "common/utf8.h"
#include "engine/vocab-impl.h"

namespace parley::engine {
namespace {

// Code point -> byte of GPT-2's byte-to-unicode table; -1 for code points outside it.
const std::array<int16_t, 324>& byte_level_table() {
  static const std::array<int16_t, 324> table = [] {
    std::array<int16_t, 324> t{};
    t.fill(-1);
    int shifted = 0;
    for (int byte = 0; byte < 256; ++byte) {
      const bool printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174);
      const int cp = printable ? byte : 256 + shifted++;
      t[static_cast<std::size_t>(cp)] = static_cast<int16_t>(byte);
    }
    return t;
  }();
  return table;
}

struct Symbol {
  int32_t token;  // kNoToken when the byte has no token
  int32_t prev;
  int32_t next;
  uint32_t length;  // bytes; 0 once merged into the symbol on its left
};

struct Bigram {
  int32_t rank;
  int32_t left;  // symbol indexes
  int32_t right;
  int32_t left_token;  // the pair as it was when queued: stale entries are skipped
  int32_t right_token;
  int32_t result;
};

struct LaterBigram {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

class BpeSession {
 public:
  explicit BpeSession(const Vocab::Impl& vocab) : vocab_(vocab) {}

  void tokenize_piece(std::string_view piece, std::vector<int32_t>& out) {
    if (vocab_.ignore_merges) {
      if (const int32_t token = vocab_.find(encode_byte_level(piece)); token != kNoToken) {
        out.push_back(token);
        return;
      }
    }
    symbols_.clear();
    queue_ = {};
    for (std::size_t i = 0; i < piece.size(); ++i) {
      const int32_t index = static_cast<int32_t>(i);
      symbols_.push_back(Symbol{vocab_.byte_tokens[static_cast<unsigned char>(piece[i])], index - 1,
                                i + 1 < piece.size() ? index + 1 : -1, 1});
    }
    for (std::size_t i = 1; i < symbols_.size(); ++i) queue_pair(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[static_cast<std::size_t>(bigram.left)];
      Symbol& right = symbols_[static_cast<std::size_t>(bigram.right)];
      if (left.length == 0 || right.length == 0 || left.token != bigram.left_token ||
          right.token != bigram.right_token) {
        continue;
      }
      left.token = bigram.result;
      left.length += right.length;
      right.length = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[static_cast<std::size_t>(right.next)].prev = bigram.left;
      queue_pair(left.prev, bigram.left);
      queue_pair(bigram.left, left.next);
    }

    for (int32_t i = symbols_.empty() ? -1 : 0; i >= 0; i = symbols_[static_cast<std::size_t>(i)].next) {
      const int32_t token = symbols_[static_cast<std::size_t>(i)].token;
      if (token != kNoToken) {
        out.push_back(token);
      } else if (vocab_.unk != kNoToken) {
        out.push_back(vocab_.unk);  // a byte the vocabulary cannot write
      }
    }
  }

 private:
  void queue_pair(int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const int32_t left_token = symbols_[static_cast<std::size_t>(left)].token;
    const int32_t right_token = symbols_[static_cast<std::size_t>(right)].token;
    if (left_token == kNoToken || right_token == kNoToken) return;
    const auto it = vocab_.merges.find(pair_key(left_token, right_token));
    if (it == vocab_.merges.end()) return;
    queue_.push(Bigram{it->second.rank, left, right, left_token, right_token, it->second.result});
  }

  const Vocab::Impl& vocab_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, LaterBigram> queue_;
};

}  // namespace

std::optional<std::string> decode_byte_level(std::string_view text) {
  const auto& table = byte_level_table();
  std::string bytes;
  bytes.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = utf8_decode(text, pos);
    if (cp >= table.size() || table[cp] < 0) return std::nullopt;
    bytes += static_cast<char>(table[cp]);
  }
  return bytes;
}

std::string encode_byte_level(std::string_view bytes) {
  // Byte -> code point: the inverse of byte_level_table.
  static const std::array<char16_t, 256> characters = [] {
    std::array<char16_t, 256> c{};
    const auto& table = byte_level_table();
    for (std::size_t cp = 0; cp < table.size(); ++cp) {
      if (table[cp] >= 0) c[static_cast<std::size_t>(table[cp])] = static_cast<char16_t>(cp);
    }
    return c;
  }();
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const char byte : bytes) utf8_append(text, characters[static_cast<unsigned char>(byte)]);
  return text;
}

void tokenize_bpe(const Vocab::Impl& vocab, std::string_view text, std::vector<int32_t>& out) {
  // Symbol indexes are 32-bit: a (pathological) piece over 1 GiB is merged in slices.
  constexpr std::size_t kMaxPiece = std::size_t{1} << 30;
  BpeSession session(vocab);
  for (std::string_view piece : pre_tokenize(vocab.pre_tokenizer, text)) {
    for (; piece.size() > kMaxPiece; piece.remove_prefix(kMaxPiece)) session.tokenize_piece(piece.substr(0, kMaxPiece), out);
    session.tokenize_piece(piece, out);
  }
}

}  // namespace parley::engine
