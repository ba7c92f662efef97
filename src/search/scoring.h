// The scoring pieces of retrieval, free of storage: the question's weighted terms, the terms of a text field, and
// the measures of how well one covers the other. All measures are shares in 0..1 so that they can be combined and
// compared across bots of any size.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "text/analyzer.h"
#include "text/sentences.h"

namespace parley::search {

// Another stem that stands for a question term with some credit (0..1): the compound its word forms with a
// neighbour ("corona virus" -> "coronavirus"), or a synonym.
struct AlternativeStem {
  std::string stem;
  double credit = 1;
};

// One content term of the question with its weight in this bot's collection.
struct QueryTerm {
  std::string term;  // the stem
  std::string word;  // the folded word as the visitor wrote it, for fuzzy matching
  double idf = 0;
  std::int64_t document_frequency = 0;  // 0: no chunk of the bot uses it (out of scope, or a typo)
  std::vector<AlternativeStem> alternatives;
  // Another form of words of the question (an identifier's joined word, a CamelCase part: text::Term::derived);
  // weighs nothing when the bot never writes it.
  bool derived = false;
};

// The content terms of a text in reading order: stems for exact matching, folded words for fuzzy matching.
struct FieldTerms {
  std::vector<std::string> stems;
  std::vector<std::string> words;  // empty when the written forms are not known: the stems stand for them
  const std::string& word(std::size_t i) const { return words.empty() ? stems[i] : words[i]; }
};

FieldTerms analyse_field(const text::Analyzer& analyzer, std::string_view text);
// A field from its index form (stems separated by spaces, as the full-text index stores it); its words are the
// stems (`words` stays empty), since the written forms are not kept.
FieldTerms index_field(std::string_view index_form);
// Appends `more` (a further field of the same passage) after a break, so no phrase spans the two.
void append_field(FieldTerms& into, const FieldTerms& more);

// A sentence of a text (text::split_sentences) with its terms, for scoring sentences against a question.
struct AnalysedSentence {
  text::Span span;
  FieldTerms terms;  // analyse_field of the sentence
};
std::vector<AnalysedSentence> analyse_sentences(const text::Analyzer& analyzer, std::string_view text);

// The analysed sentences of one chunk's text in one language, analysed on first use and then shared by every
// question that retrieves the chunk while the retriever keeps it prepared: answers and snippets score the same
// popular passages again and again. Thread-safe.
class ChunkSentences {
 public:
  explicit ChunkSentences(std::string language) : language_(std::move(language)) {}
  const std::string& language() const { return language_; }
  // The sentences of `text`, which must be the chunk's text.
  const std::vector<AnalysedSentence>& of(std::string_view text) const;

 private:
  std::string language_;
  mutable std::once_flag analysed_;
  mutable std::vector<AnalysedSentence> sentences_;
};

// Similarity of two words by their character trigrams (Dice coefficient, word boundaries included): 1 for equal
// words, high for typos and inflections ("illnes"/"illness"), 0 for words sharing no trigram.
double trigram_similarity(std::string_view a, std::string_view b);

// How strongly the field word (`stem`, `word`) stands for the question term (0..1): 1 for the same stem, the
// alternative's credit for an alternative, 0.7 for a derived form the stemmer left apart (one stem a prefix of the
// other: "treat"/"treatment"), and for a term the collection does not know (a typo or an unusual inflection) the
// trigram similarity of the words (or of its stem and the word) when it is high enough to be the same word.
double term_match(const QueryTerm& term, std::string_view stem, std::string_view word);

// What kind of answer a question asks for, from its opening words: visitors phrase the same need the way a curated
// question does ("Who is most vulnerable?" / "Who is at risk?"), and two questions on one topic often differ only
// in that ("When is someone infectious?" / "What should infected people do?"). English only; `none` for other
// languages and for text that does not open as a question.
enum class QuestionForm { none, yes_no, who, what, how, duration, amount, when, where, why };
QuestionForm question_form(std::string_view language, std::string_view text);

// Where the question's terms occur in a field. Questions have at most kMaxQueryTerms terms (bits of a mask).
inline constexpr std::size_t kMaxQueryTerms = 64;
struct FieldMatch {
  std::vector<double> term_best;                // per question term: its best match anywhere in the field
  std::vector<double> position_best;            // per field position: the best match of any question term there
  std::vector<std::uint64_t> position_terms;    // per field position: bit q set when question term q matches there
};
FieldMatch match_field(const std::vector<QueryTerm>& query, const FieldTerms& field);

// match_field for many fields of one question (the candidates of a search, the sentences of an answer): the table
// of the question's stems is built once, and for terms the collection does not know, the trigram similarity of
// each distinct field word is computed once (candidates share most of their words).
class QueryMatcher {
 public:
  explicit QueryMatcher(const std::vector<QueryTerm>& query);
  FieldMatch match(const FieldTerms& field);

 private:
  double inexact(std::size_t q, std::string_view stem, std::string_view word);

  const std::vector<QueryTerm>& query_;
  std::size_t terms_ = 0;
  std::unordered_map<std::string_view, std::vector<std::pair<std::size_t, double>>> exact_;
  struct WordHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view word) const noexcept { return std::hash<std::string_view>{}(word); }
  };
  // Per question term: field word -> its best spelling similarity to the term (0 when below the typo threshold).
  std::vector<std::unordered_map<std::string, double, WordHash, std::equal_to<>>> similarity_of_;
};

// IDF-weighted share of the question that the field covers.
double weighted_coverage(const std::vector<QueryTerm>& query, const FieldMatch& match);

// IDF-weighted share of the field's own distinct terms that the question accounts for; `weight_of(stem)` gives
// the IDF of a field stem. Low when the field is about much more than the question asks (a longer, different
// question).
template <typename WeightOf>
double field_explained(const FieldTerms& field, const FieldMatch& match, WeightOf&& weight_of);

// IDF-weighted share of the question's adjacent term pairs ("screen timeout") that also stand next to each other
// in the field, in either order; 0 when the question has no pair.
double phrase_share(const std::vector<QueryTerm>& query, const FieldMatch& match);

// A term the full-text rankings may match, with the number of chunks it occurs in.
struct MatchCandidate {
  std::string stem;
  std::int64_t document_frequency = 0;
  double weight = 0;     // its weight in the ranking (IDF, less for an expansion)
  bool synonym = false;  // an expansion, matched only after the question's own terms
};

// The terms to match and whether all of them must occur. Ranking costs time in proportion to the chunks the
// matched terms occur in, so on a large bot the commonest terms are left to re-scoring, which sees every term:
// terms are taken rarest first, the question's own before synonyms, while their chunk counts add up to at most
// `budget`; the rarest always. When even the rarest is over budget, the two rarest are matched together (AND),
// which the index answers by intersection. Terms no chunk uses are never matched.
struct MatchPlan {
  std::vector<std::string> terms;
  std::vector<double> weights;  // parallel to terms
  bool all_terms = false;
};
MatchPlan plan_match(std::vector<MatchCandidate> candidates, std::int64_t budget);

// Harmonic mean of two shares (0 when both are 0).
double harmonic_mean(double a, double b);

template <typename WeightOf>
double field_explained(const FieldTerms& field, const FieldMatch& match, WeightOf&& weight_of) {
  double total = 0, explained = 0;
  for (std::size_t i = 0; i < field.stems.size(); ++i) {
    const std::string& stem = field.stems[i];
    if (stem.empty()) continue;
    bool repeated = false;
    for (std::size_t j = 0; j < i && !repeated; ++j) repeated = field.stems[j] == stem;
    if (repeated) continue;
    const double weight = weight_of(stem);
    total += weight;
    explained += weight * match.position_best[i];
  }
  return total > 0 ? explained / total : 0;
}

}  // namespace parley::search
