#include "text/analyzer.h"

#include <libstemmer.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "common/utf8.h"

namespace parley::text {
namespace {

constexpr std::size_t kMaxWordBytes = 64;  // longer "words" are hashes, URLs or base64 noise

// Scripts written without spaces between words: indexed as overlapping character bigrams.
bool is_dense_script(char32_t cp) {
  return (cp >= 0x3040 && cp <= 0x30FF) ||    // Hiragana, Katakana
         (cp >= 0x3400 && cp <= 0x4DBF) ||    // CJK Extension A
         (cp >= 0x4E00 && cp <= 0x9FFF) ||    // CJK Unified Ideographs
         (cp >= 0xF900 && cp <= 0xFAFF) ||    // CJK Compatibility Ideographs
         (cp >= 0xAC00 && cp <= 0xD7AF) ||    // Hangul syllables
         (cp >= 0x0E00 && cp <= 0x0EFF) ||    // Thai, Lao
         (cp >= 0x1000 && cp <= 0x109F) ||    // Myanmar
         (cp >= 0x1780 && cp <= 0x17FF) ||    // Khmer
         (cp >= 0x20000 && cp <= 0x2FA1F);    // CJK Extensions B.., compatibility supplement
}

// Marks are dropped from letters of these scripts (é -> e); elsewhere marks carry meaning and are kept.
bool marks_are_diacritics(char32_t base) {
  return base < 0x0530 || (base >= 0x1E00 && base <= 0x1FFF);
}

bool is_word_category(utf8proc_category_t category) {
  switch (category) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
      return true;
    default:
      return false;
  }
}

bool is_apostrophe(char32_t cp) { return cp == U'\'' || cp == 0x2019; }

// Folds one code point (compatibility decomposition + case fold, diacritics removed) into `out`;
// returns the number of code points written (0 for default-ignorable characters such as zero-width spaces).
int fold_code_point(char32_t cp, std::array<utf8proc_int32_t, 16>& out) {
  if (cp < 0x80) {
    out[0] = static_cast<utf8proc_int32_t>((cp >= 'A' && cp <= 'Z') ? cp + 32 : cp);
    return 1;
  }
  int last_boundclass = 0;
  const utf8proc_ssize_t n = utf8proc_decompose_char(
      static_cast<utf8proc_int32_t>(cp), out.data(), static_cast<utf8proc_ssize_t>(out.size()),
      static_cast<utf8proc_option_t>(UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE),
      &last_boundclass);
  if (n < 0 || n > static_cast<utf8proc_ssize_t>(out.size())) {
    out[0] = static_cast<utf8proc_int32_t>(cp);
    return 1;
  }
  if (n == 0) return 0;
  // Drop combining marks that follow a Latin/Greek/Cyrillic base within this decomposition.
  if (!marks_are_diacritics(static_cast<char32_t>(out[0]))) return static_cast<int>(n);
  int kept = 0;
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    if (i > 0 && utf8proc_category(out[i]) == UTF8PROC_CATEGORY_MN) continue;
    out[kept++] = out[i];
  }
  return kept;
}

struct StemmerDeleter {
  void operator()(sb_stemmer* stemmer) const { sb_stemmer_delete(stemmer); }
};

// Stemming is the costliest step of analysis and the same words recur all the time, so each thread keeps, per
// language, what it has found about each word — whether it is a stop word, and its stem — up to a bound (then it
// starts over). One lookup per word instead of one in the stop words and another in the stems.
constexpr std::size_t kMaxCachedWords = 1u << 16;

struct KnownWord {
  bool stop = false;
  std::string stem;  // the word itself without a stemmer
};

class ThreadWords {
 public:
  ThreadWords(const std::string& algorithm, const std::unordered_set<std::string_view>& stop_words)
      : stemmer_(algorithm.empty() ? nullptr : sb_stemmer_new(algorithm.c_str(), "UTF_8")), stop_words_(stop_words) {}

  bool has_stemmer() const { return stemmer_ != nullptr; }

  const KnownWord& lookup(const std::string& word) {
    if (const auto known = words_.find(word); known != words_.end()) return known->second;
    KnownWord found{stop_words_.contains(word), word};
    // Snowball gives null only when out of memory: the word then stands for itself, and is not remembered.
    const sb_symbol* stemmed = stemmer_ == nullptr ? nullptr
                                                   : sb_stemmer_stem(stemmer_.get(), reinterpret_cast<const sb_symbol*>(word.data()),
                                                                     static_cast<int>(word.size()));
    if (stemmer_ != nullptr && stemmed == nullptr) {
      uncached_ = std::move(found);
      return uncached_;
    }
    if (stemmed != nullptr) {
      found.stem.assign(reinterpret_cast<const char*>(stemmed), static_cast<std::size_t>(sb_stemmer_length(stemmer_.get())));
    }
    if (words_.size() >= kMaxCachedWords) words_.clear();
    return words_.emplace(word, std::move(found)).first->second;
  }

 private:
  std::unique_ptr<sb_stemmer, StemmerDeleter> stemmer_;  // Snowball stemmers keep per-call state: one per thread
  const std::unordered_set<std::string_view>& stop_words_;
  std::unordered_map<std::string, KnownWord> words_;
  KnownWord uncached_;
};

ThreadWords& thread_words(const std::string& language, const std::string& algorithm,
                          const std::unordered_set<std::string_view>& stop_words) {
  thread_local std::map<std::string, ThreadWords, std::less<>> by_language;
  auto it = by_language.find(language);
  if (it == by_language.end()) it = by_language.try_emplace(language, algorithm, stop_words).first;
  return it->second;
}

std::string stemmer_for(std::string_view language) {
  static const std::map<std::string, std::string, std::less<>> algorithms = {
      {"en", "english"}, {"de", "german"},     {"fr", "french"},    {"es", "spanish"},  {"it", "italian"},
      {"pt", "portuguese"}, {"nl", "dutch"},   {"sv", "swedish"},   {"da", "danish"},   {"no", "norwegian"},
      {"fi", "finnish"},  {"ru", "russian"},   {"hu", "hungarian"}, {"ro", "romanian"}, {"tr", "turkish"},
  };
  const auto it = algorithms.find(language);
  return it == algorithms.end() ? std::string() : it->second;
}

// Collects the terms of a text, either as Terms or (for the index) joined by spaces straight into one string.
class TermBuilder {
 public:
  TermBuilder(ThreadWords& words, AnalyzeOptions options, std::vector<Term>* terms, std::string* joined)
      : words_(words),
        stem_(options.stem && words.has_stemmer()),
        options_(options),
        terms_(terms),
        joined_(joined) {}

  // An ASCII letter or digit, already lower-cased: the common case, without a round trip through code points.
  // `upper`: it was written upper-case, which after a lower-case letter starts a part of a CamelCase word.
  void add_ascii(char folded, std::size_t begin, bool upper = false) {
    flush_dense();
    if (word_.empty()) word_begin_ = begin;
    if (upper && written_lower_ && camel_parts_ + 1 < kMaxCamelParts) camel_split_[camel_parts_++] = word_.size();
    written_lower_ = !upper && folded >= 'a' && folded <= 'z';
    word_ += folded;
    word_end_ = begin + 1;
  }

  // A character joining two words into an identifier ("_", ".", "-" between letters or digits): the words are
  // terms of their own, and the run of them is one more.
  void connector() {
    flush_dense();
    flush_word();
  }

  void add_word_code_points(const std::array<utf8proc_int32_t, 16>& folded, int count, std::size_t begin,
                            std::size_t end) {
    flush_dense();
    if (word_.empty()) word_begin_ = begin;
    for (int i = 0; i < count; ++i) utf8_append(word_, static_cast<char32_t>(folded[i]));
    word_end_ = end;
    camel_parts_ = kNotCamelCase;  // folding changes lengths: parts would not map back to the text
    written_lower_ = false;
  }

  void add_dense(char32_t folded, std::size_t begin, std::size_t end) {
    flush_word();
    dense_.push_back({folded, begin, end});
  }

  void boundary() {
    flush_word();
    flush_dense();
    end_run();
  }

  bool in_word() const { return !word_.empty(); }

 private:
  struct DenseChar {
    char32_t cp;
    std::size_t begin, end;
  };

  void flush_word() {
    if (word_.empty()) return;
    if (word_.size() <= kMaxWordBytes) {
      // The parts of a CamelCase word, then the word.
      for (std::size_t part = 0; camel_parts_ != kNotCamelCase && camel_parts_ > 0 && part <= camel_parts_; ++part) {
        const std::size_t from = part == 0 ? 0 : camel_split_[part - 1];
        const std::size_t to = part == camel_parts_ ? word_.size() : camel_split_[part];
        emit_word(word_.substr(from, to - from), word_begin_ + from, word_begin_ + to, true);
      }
      emit_word(word_, word_begin_, word_end_, false);
      if (run_parts_ == 0) run_begin_ = word_begin_;
      run_ += word_;
      run_has_letter_ = run_has_letter_ || std::any_of(word_.begin(), word_.end(), [](char c) {
        return !(c >= '0' && c <= '9');
      });
      run_end_ = word_end_;
      ++run_parts_;
    } else {
      end_run();
    }
    word_.clear();
    camel_parts_ = 0;
    written_lower_ = false;
  }

  void emit_word(const std::string& word, std::size_t begin, std::size_t end, bool derived) {
    const KnownWord& known = words_.lookup(word);
    if (known.stop && (derived || !options_.keep_stop_words)) return;
    emit(stem_ && !known.stop ? known.stem : word, begin, end, known.stop, derived);
  }

  // The joined word of an identifier run of two or more words with a letter among them ("3.5" is a number).
  void end_run() {
    if (run_parts_ >= 2 && run_has_letter_ && run_.size() <= kMaxWordBytes) {
      const KnownWord& known = words_.lookup(run_);
      if (!known.stop) emit(stem_ ? known.stem : run_, run_begin_, run_end_, false, true);
    }
    run_.clear();
    run_parts_ = 0;
    run_has_letter_ = false;
  }

  void flush_dense() {
    if (dense_.empty()) return;
    end_run();
    if (dense_.size() == 1) {
      std::string single;
      utf8_append(single, dense_[0].cp);
      emit(single, dense_[0].begin, dense_[0].end, false);
    }
    for (std::size_t i = 0; i + 1 < dense_.size(); ++i) {
      std::string bigram;
      utf8_append(bigram, dense_[i].cp);
      utf8_append(bigram, dense_[i + 1].cp);
      emit(bigram, dense_[i].begin, dense_[i + 1].end, false);
    }
    dense_.clear();
  }

  void emit(std::string_view text, std::size_t begin, std::size_t end, bool stop, bool derived = false) {
    if (joined_ == nullptr) {
      terms_->push_back(Term{std::string(text), begin, end, stop, derived});
      return;
    }
    if (!joined_->empty()) *joined_ += ' ';
    joined_->append(text);
  }

  ThreadWords& words_;
  bool stem_;
  AnalyzeOptions options_;
  std::vector<Term>* terms_;  // where terms go, unless joined_ is set
  std::string* joined_;
  std::string word_;
  std::size_t word_begin_ = 0, word_end_ = 0;
  static constexpr std::size_t kMaxCamelParts = 8;
  static constexpr std::size_t kNotCamelCase = kMaxCamelParts + 1;
  std::array<std::size_t, kMaxCamelParts> camel_split_{};  // offsets in word_ where a CamelCase part starts
  std::size_t camel_parts_ = 0;
  bool written_lower_ = false;  // the last character added was written as a lower-case ASCII letter
  std::string run_;  // the words of the current identifier run, joined
  std::size_t run_parts_ = 0, run_begin_ = 0, run_end_ = 0;
  bool run_has_letter_ = false;
  std::vector<DenseChar> dense_;
};

// Splits `text` into words (and bigrams of dense scripts), folded, and hands them to `builder`.
void split_into_terms(std::string_view text, TermBuilder& builder) {
  std::array<utf8proc_int32_t, 16> folded{};
  // Inside a word ("don't", "customer's") an apostrophe followed by a letter or digit is dropped and the word
  // continues.
  const auto apostrophe_continues_word = [&](std::size_t after) {
    if (!builder.in_word() || after >= text.size()) return false;
    const char32_t next = utf8_decode(text, after);
    return next < 0x80 ? std::isalnum(static_cast<int>(next)) != 0
                       : is_word_category(utf8proc_category(static_cast<utf8proc_int32_t>(next)));
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t begin = pos;
    if (const auto byte = static_cast<unsigned char>(text[pos]); byte < 0x80) {  // ASCII fast path
      ++pos;
      if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9')) {
        builder.add_ascii(static_cast<char>(byte), begin);
      } else if (byte >= 'A' && byte <= 'Z') {
        builder.add_ascii(static_cast<char>(byte + 32), begin, true);
      } else if ((byte == '_' || byte == '.' || byte == '-') && builder.in_word() && pos < text.size() &&
                 std::isalnum(static_cast<unsigned char>(text[pos])) != 0) {
        builder.connector();
      } else if (byte != '\'' || !apostrophe_continues_word(pos)) {
        builder.boundary();  // every other ASCII character is punctuation, a symbol, a space or a control
      }
      continue;
    }
    const char32_t cp = utf8_decode(text, pos);
    if (is_apostrophe(cp) && apostrophe_continues_word(pos)) continue;
    if (is_dense_script(cp)) {
      builder.add_dense(cp, begin, pos);
      continue;
    }
    const int count = fold_code_point(cp, folded);
    if (count == 0) continue;  // default-ignorable (zero-width) characters do not split words
    if (is_word_category(utf8proc_category(folded[0]))) {
      builder.add_word_code_points(folded, count, begin, pos);
    } else {
      builder.boundary();
    }
  }
  builder.boundary();
}

}  // namespace

Analyzer::Analyzer(std::string_view language)
    : language_(language.empty() ? "en" : std::string(language)),
      stemmer_algorithm_(stemmer_for(language_)),
      stop_words_(&stop_word_set(language_)) {}

std::string Analyzer::stem(std::string_view folded_word) const {
  return thread_words(language_, stemmer_algorithm_, *stop_words_).lookup(std::string(folded_word)).stem;
}

bool Analyzer::is_stop_word(std::string_view folded_word) const { return stop_words_->contains(folded_word); }

std::vector<Term> Analyzer::analyze(std::string_view text, AnalyzeOptions options) const {
  std::vector<Term> out;
  out.reserve(text.size() / 6);
  TermBuilder builder(thread_words(language_, stemmer_algorithm_, *stop_words_), options, &out, nullptr);
  split_into_terms(text, builder);
  return out;
}

std::vector<std::string> Analyzer::terms(std::string_view text, AnalyzeOptions options) const {
  std::vector<std::string> result;
  for (auto& term : analyze(text, options)) result.push_back(std::move(term.text));
  return result;
}

std::string Analyzer::index_form(std::string_view text) const {
  std::string joined;
  joined.reserve(text.size());
  TermBuilder builder(thread_words(language_, stemmer_algorithm_, *stop_words_), {}, nullptr, &joined);
  split_into_terms(text, builder);
  return joined;
}

std::string fold(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::array<utf8proc_int32_t, 16> folded{};
  std::size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = utf8_decode(text, pos);
    const int count = fold_code_point(cp, folded);
    for (int i = 0; i < count; ++i) utf8_append(out, static_cast<char32_t>(folded[i]));
  }
  return out;
}

}  // namespace parley::text
