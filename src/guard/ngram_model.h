// The learned half of the prompt-injection detector: a linear model (L2-regularised logistic regression) over the
// character n-grams and word n-grams of a text's screening form (guard::screening_form: folded, hidden text
// revealed), fitted by bench/security/injection_train and compiled in (injection_model_weights.inc).
//
// Features. The text is split into pieces at white space (runs of more than three ASCII punctuation characters
// alone, rules and dot leaders, are left out). Each piece, padded with a space on both sides, gives its
// character n-grams of 1 to 4 code points ("ig", "ignor" ... of " ignore "); each piece stripped of ASCII punctuation
// gives a word unigram, and with the piece before it a word bigram. Within a window of pieces, each kind's
// occurrence counts are divided by the square root of that kind's number of occurrences (known to the model or
// not), so a window's logit is bias + sum(character weights) / sqrt(#character n-grams) + sum(word weights) /
// sqrt(#word n-grams): one table lookup per n-gram, no per-text vocabulary.
//
// Windows. An instruction planted in a long page is a few sentences among many: the text is scored in windows of
// kWindowPieces pieces, half overlapping, and its logit is the highest window's. A text of up to kWindowPieces
// pieces is one window, which is how the model was fitted.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley::guard {

enum class NgramKind : std::uint8_t { character = 0, word = 1 };

struct WeightedNgram {
  NgramKind kind;
  const char* gram;
  float weight;
};

constexpr std::size_t kWindowPieces = 48;

// Calls visit(piece, kind, gram) for every n-gram occurrence in `screening_form`, piece by piece (piece counts the
// white-space separated pieces from 0). `gram` is valid during the call only.
template <typename Visit>
void for_each_ngram(std::string_view screening_form, Visit&& visit);

std::uint64_t ngram_hash(NgramKind kind, std::string_view gram);

// A fitted model: its weights in an open-addressing table keyed by n-gram hash.
class NgramModel {
 public:
  NgramModel(double bias, std::span<const WeightedNgram> weights);

  // The highest window logit of `screening_form` (the bias for a text without n-grams).
  double logit(std::string_view screening_form) const;
  double bias() const { return bias_; }
  std::size_t size() const { return count_; }

 private:
  float weight(std::uint64_t hash) const;

  struct Slot {
    std::uint64_t key = 0;  // 0: empty (a real hash of 0 is stored as 1)
    float weight = 0;
  };
  double bias_;
  std::size_t count_ = 0;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

// The model compiled into the detector.
const NgramModel& injection_ngram_model();

// ---- Implementation of the template ----

namespace detail {
inline bool is_ascii_punctuation(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}
inline bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }
inline bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace detail

template <typename Visit>
void for_each_ngram(std::string_view text, Visit&& visit) {
  std::string padded;
  std::string bigram;
  std::string_view previous_word;
  std::size_t piece = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && detail::is_space(text[i])) ++i;
    if (i == text.size()) break;
    const std::size_t start = i;
    while (i < text.size() && !detail::is_space(text[i])) ++i;
    const std::string_view word_piece = text.substr(start, i - start);
    // Rules and dot leaders ("-----", "........" in price lists and tables of contents) say nothing of language.
    if (word_piece.size() > 3 &&
        std::all_of(word_piece.begin(), word_piece.end(), [](char c) { return detail::is_ascii_punctuation(c); })) {
      continue;
    }

    padded.assign(1, ' ');
    padded.append(word_piece);
    padded.push_back(' ');
    // The n-grams of 1 to 4 code points from each code point of `padded` (a lone space aside).
    for (std::size_t from = 0; from < padded.size(); ++from) {
      if (detail::is_continuation(padded[from])) continue;
      std::size_t end = from;
      for (int n = 1; n <= 4 && end < padded.size(); ++n) {
        ++end;
        while (end < padded.size() && detail::is_continuation(padded[end])) ++end;
        if (n == 1 && padded[from] == ' ') continue;
        visit(piece, NgramKind::character, std::string_view(padded).substr(from, end - from));
      }
    }

    std::size_t first = 0, last = word_piece.size();
    while (first < last && detail::is_ascii_punctuation(word_piece[first])) ++first;
    while (last > first && detail::is_ascii_punctuation(word_piece[last - 1])) --last;
    const std::string_view word = word_piece.substr(first, last - first);
    if (!word.empty()) {
      visit(piece, NgramKind::word, word);
      if (!previous_word.empty()) {
        bigram.assign(previous_word).append(" ").append(word);
        visit(piece, NgramKind::word, std::string_view(bigram));
      }
    }
    previous_word = word;
    ++piece;
  }
}

}  // namespace parley::guard
