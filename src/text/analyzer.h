// Text analysis shared by indexing and querying: Unicode normalisation, case and diacritic folding,
// word splitting, stop words, Snowball stemming, and character bigrams for scripts written without spaces.
// The same analyzer must see both sides (documents and questions) so that their terms meet.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace parley::text {

struct Term {
  std::string text;        // the folded, stemmed term ("refund", "s10", "日本")
  std::size_t begin = 0;   // byte span of the source word in the analysed text
  std::size_t end = 0;
  bool stop_word = false;  // kept only when AnalyzeOptions::keep_stop_words
  // A further form of words already emitted, so that identifiers match whole as well as by their parts: the
  // joined word of a run like "shared_buffers", "pg_hba.conf" or "--max-connections" (after its parts), and the
  // parts of a CamelCase word like "ResultSet" (before it).
  bool derived = false;
};

struct AnalyzeOptions {
  bool keep_stop_words = false;
  bool stem = true;
};

class Analyzer {
 public:
  // `language` is an ISO 639-1 code ("en", "de", ...); languages without a Snowball stemmer are only folded.
  explicit Analyzer(std::string_view language = "en");

  std::vector<Term> analyze(std::string_view text, AnalyzeOptions options = {}) const;
  // The terms of `text` joined by single spaces: the form stored in the full-text index.
  std::string index_form(std::string_view text) const;
  // Terms only, in order.
  std::vector<std::string> terms(std::string_view text, AnalyzeOptions options = {}) const;

  // The stem of one word already folded by `analyze` with stemming off (the word itself without a stemmer).
  std::string stem(std::string_view folded_word) const;

  bool is_stop_word(std::string_view folded_word) const;
  const std::string& language() const { return language_; }

 private:
  std::string language_;
  std::string stemmer_algorithm_;  // empty: no stemming
  const std::unordered_set<std::string_view>* stop_words_;  // looked up once per word
};

// Case- and diacritic-folded form of `text` (NFKC, case fold, marks removed from Latin/Greek/Cyrillic letters),
// keeping every other character; used to compare short strings such as FAQ questions.
std::string fold(std::string_view text);

// The stop-word list of a language ("en" when unknown); words are in folded form.
const std::vector<std::string_view>& stop_words(std::string_view language);
// The same words as a set.
const std::unordered_set<std::string_view>& stop_word_set(std::string_view language);

}  // namespace parley::text
