#include "search/scoring.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_map>

#include <boost/container/small_vector.hpp>

namespace parley::search {
namespace {

// Below this trigram similarity two words are different words, not spellings of one.
constexpr double kSameWordSimilarity = 0.6;
// Shorter words have too few trigrams to tell a typo from another word.
constexpr std::size_t kMinFuzzyWordBytes = 4;
// A stem that starts with another stem of at least this many bytes is usually a derived form the stemmer left
// apart ("treat"/"treatment", "risk"/"riski"); shorter prefixes are often unrelated words ("pass"/"password").
constexpr std::size_t kMinPrefixStemBytes = 5;
constexpr std::size_t kMaxSuffixBytes = 5;
constexpr double kDerivedFormCredit = 0.7;

bool derived_form(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  return a.size() >= kMinPrefixStemBytes && b.size() - a.size() <= kMaxSuffixBytes && b.starts_with(a);
}

// Trigrams of "#word#" packed into integers (bytes, so UTF-8 words work too), sorted. Words are short: the
// trigrams stay on the stack.
using Trigrams = boost::container::small_vector<std::uint32_t, 32>;
Trigrams trigrams(std::string_view word) {
  Trigrams out;
  const auto byte = [&](std::size_t i) -> std::uint32_t {
    return i == 0 || i == word.size() + 1 ? 1u : static_cast<unsigned char>(word[i - 1]);
  };
  for (std::size_t i = 0; i + 3 <= word.size() + 2; ++i) out.push_back(byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

FieldTerms analyse_field(const text::Analyzer& analyzer, std::string_view text) {
  FieldTerms field;
  for (auto& term : analyzer.analyze(text, {.keep_stop_words = false, .stem = false})) {
    field.stems.push_back(analyzer.stem(term.text));
    field.words.push_back(std::move(term.text));
  }
  return field;
}

std::vector<AnalysedSentence> analyse_sentences(const text::Analyzer& analyzer, std::string_view text) {
  std::vector<AnalysedSentence> sentences;
  for (const auto& span : text::split_sentences(text)) sentences.push_back({span, analyse_field(analyzer, span.of(text))});
  return sentences;
}

const std::vector<AnalysedSentence>& ChunkSentences::of(std::string_view text) const {
  std::call_once(analysed_, [&] { sentences_ = analyse_sentences(text::Analyzer(language_), text); });
  return sentences_;
}

FieldTerms index_field(std::string_view index_form) {
  FieldTerms field;
  while (!index_form.empty()) {
    const auto space = index_form.find(' ');
    const std::string_view stem = index_form.substr(0, space);
    if (!stem.empty()) field.stems.emplace_back(stem);
    index_form = space == std::string_view::npos ? std::string_view() : index_form.substr(space + 1);
  }
  return field;
}

void append_field(FieldTerms& into, const FieldTerms& more) {
  if (more.stems.empty()) return;
  // Written forms survive only when both sides have them.
  const bool keep_words = (into.stems.empty() || !into.words.empty()) && !more.words.empty();
  if (!into.stems.empty()) {
    into.stems.emplace_back();
    if (keep_words) into.words.emplace_back();
  }
  into.stems.insert(into.stems.end(), more.stems.begin(), more.stems.end());
  if (keep_words) {
    into.words.insert(into.words.end(), more.words.begin(), more.words.end());
  } else {
    into.words.clear();
  }
}

double trigram_similarity(std::string_view a, std::string_view b) {
  if (a == b) return a.empty() ? 0 : 1;
  const auto x = trigrams(a), y = trigrams(b);
  if (x.empty() || y.empty()) return 0;
  std::size_t common = 0;
  for (std::size_t i = 0, j = 0; i < x.size() && j < y.size();) {
    if (x[i] == y[j]) {
      ++common, ++i, ++j;
    } else if (x[i] < y[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return 2.0 * static_cast<double>(common) / static_cast<double>(x.size() + y.size());
}

namespace {

// Words whose lengths differ this much cannot reach kSameWordSimilarity, and shorter words are not compared.
bool comparable_lengths(std::string_view a, std::string_view b) {
  const std::size_t shorter = std::min(a.size(), b.size()), longer = std::max(a.size(), b.size());
  return shorter >= kMinFuzzyWordBytes && longer - shorter <= shorter / 2;
}

bool may_spell(const QueryTerm& term, std::string_view word) {
  return comparable_lengths(term.word, word) || comparable_lengths(term.term, word);
}

// How well a field word spells a term the collection does not know (a typo or an unusual inflection): the trigram
// similarity of the visitor's word or of its stem to the word, when high enough to be the same word; else 0.
double spelling_similarity(const QueryTerm& term, std::string_view word) {
  double best = 0;
  for (const std::string_view written : {std::string_view(term.word), std::string_view(term.term)}) {
    // Misspellings keep the first letter; another first letter is another word ("unicycles"/"bicycles").
    if (!comparable_lengths(written, word) || written.front() != word.front()) continue;
    const double similarity = trigram_similarity(written, word);
    if (similarity >= kSameWordSimilarity) best = std::max(best, similarity);
  }
  return best;
}

}  // namespace

double term_match(const QueryTerm& term, std::string_view stem, std::string_view word) {
  const std::vector<QueryTerm> query{term};
  return QueryMatcher(query).match(FieldTerms{{std::string(stem)}, {std::string(word)}}).term_best[0];
}

QueryMatcher::QueryMatcher(const std::vector<QueryTerm>& query)
    : query_(query), terms_(std::min(query.size(), kMaxQueryTerms)), similarity_of_(terms_) {
  // The stems and alternatives of every question term in one table: one lookup per field word instead of a
  // comparison with each (a question with synonyms has dozens).
  for (std::size_t q = 0; q < terms_; ++q) {
    exact_[query[q].term].emplace_back(q, 1.0);
    for (const auto& alternative : query[q].alternatives) exact_[alternative.stem].emplace_back(q, alternative.credit);
  }
}

// A derived form, or for a term the collection does not know a spelling variant: the matches that are not the
// stem itself or one of its alternatives.
double QueryMatcher::inexact(std::size_t q, std::string_view stem, std::string_view word) {
  const QueryTerm& term = query_[q];
  const double derived = derived_form(term.term, stem) ? kDerivedFormCredit : 0;
  if (term.document_frequency > 0 || !may_spell(term, word)) return derived;
  auto& known = similarity_of_[q];
  auto it = known.find(word);
  if (it == known.end()) it = known.emplace(std::string(word), spelling_similarity(term, word)).first;
  return std::max(derived, it->second);
}

FieldMatch QueryMatcher::match(const FieldTerms& field) {
  FieldMatch match;
  match.term_best.assign(query_.size(), 0.0);
  match.position_best.assign(field.stems.size(), 0.0);
  match.position_terms.assign(field.stems.size(), 0);
  std::array<double, kMaxQueryTerms> strength{};
  for (std::size_t i = 0; i < field.stems.size(); ++i) {
    const std::string& stem = field.stems[i];
    if (stem.empty()) continue;
    std::fill(strength.begin(), strength.begin() + static_cast<std::ptrdiff_t>(terms_), 0.0);
    if (const auto found = exact_.find(stem); found != exact_.end()) {
      for (const auto& [q, credit] : found->second) strength[q] = std::max(strength[q], credit);
    }
    for (std::size_t q = 0; q < terms_; ++q) {
      if (strength[q] < 1) strength[q] = std::max(strength[q], inexact(q, stem, field.word(i)));
      if (strength[q] <= 0) continue;
      match.term_best[q] = std::max(match.term_best[q], strength[q]);
      match.position_best[i] = std::max(match.position_best[i], strength[q]);
      match.position_terms[i] |= std::uint64_t{1} << q;
    }
  }
  return match;
}

FieldMatch match_field(const std::vector<QueryTerm>& query, const FieldTerms& field) {
  return QueryMatcher(query).match(field);
}

double weighted_coverage(const std::vector<QueryTerm>& query, const FieldMatch& match) {
  double total = 0, covered = 0;
  for (std::size_t i = 0; i < query.size(); ++i) {
    total += query[i].idf;
    covered += query[i].idf * match.term_best[i];
  }
  return total > 0 ? covered / total : 0;
}

double phrase_share(const std::vector<QueryTerm>& query, const FieldMatch& match) {
  double total = 0, found = 0;
  const std::size_t terms = std::min(query.size(), kMaxQueryTerms);
  for (std::size_t q = 0; q + 1 < terms; ++q) {
    const double weight = std::min(query[q].idf, query[q + 1].idf);
    total += weight;
    const std::uint64_t left = std::uint64_t{1} << q, right = std::uint64_t{1} << (q + 1);
    for (std::size_t i = 0; i + 1 < match.position_terms.size(); ++i) {
      const std::uint64_t a = match.position_terms[i], b = match.position_terms[i + 1];
      if (((a & left) && (b & right)) || ((a & right) && (b & left))) {
        found += weight;
        break;
      }
    }
  }
  return total > 0 ? found / total : 0;
}

MatchPlan plan_match(std::vector<MatchCandidate> candidates, std::int64_t budget) {
  std::erase_if(candidates, [](const MatchCandidate& c) { return c.document_frequency <= 0; });
  std::stable_sort(candidates.begin(), candidates.end(), [](const MatchCandidate& a, const MatchCandidate& b) {
    if (a.synonym != b.synonym) return !a.synonym;
    return a.document_frequency < b.document_frequency;
  });
  MatchPlan plan;
  if (candidates.empty()) return plan;
  if (candidates.front().document_frequency > budget && !candidates.front().synonym) {
    plan.all_terms = candidates.size() > 1 && !candidates[1].synonym;
    for (std::size_t i = 0; i < (plan.all_terms ? 2u : 1u); ++i) {
      plan.terms.push_back(candidates[i].stem);
      plan.weights.push_back(candidates[i].weight);
    }
    return plan;
  }
  std::int64_t postings = 0;
  for (auto& candidate : candidates) {
    if (!plan.terms.empty() && postings + candidate.document_frequency > budget) continue;
    postings += candidate.document_frequency;
    plan.terms.push_back(std::move(candidate.stem));
    plan.weights.push_back(candidate.weight);
  }
  return plan;
}

double harmonic_mean(double a, double b) { return a + b > 0 ? 2 * a * b / (a + b) : 0; }

namespace {

// The opening words of a text, folded, apostrophes kept ("can't"); a typographic apostrophe counts as one.
std::vector<std::string> opening_words(std::string_view text, std::size_t count) {
  std::vector<std::string> words;
  std::string word;
  const std::string folded = text::fold(text);
  for (std::size_t i = 0; i < folded.size() && words.size() < count; ++i) {
    const char c = folded[i];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '\'') {
      word += c;
      continue;
    }
    if (folded.compare(i, 3, "\u2019") == 0) {
      word += '\'';
      i += 2;
      continue;
    }
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  }
  if (!word.empty() && words.size() < count) words.push_back(std::move(word));
  return words;
}

bool one_of(std::string_view word, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), word) != options.end();
}

}  // namespace

QuestionForm question_form(std::string_view language, std::string_view text) {
  if (language != "en") return QuestionForm::none;
  auto words = opening_words(text, 3);
  // Openers that do not change what is asked: "So, how ...", "Hi, can I ...".
  if (!words.empty() && one_of(words[0], {"so", "and", "but", "also", "ok", "okay", "hi", "hello", "please"})) {
    words.erase(words.begin());
  }
  if (words.empty()) return QuestionForm::none;
  const std::string_view first = words[0];
  const std::string_view second = words.size() > 1 ? std::string_view(words[1]) : std::string_view();
  if (one_of(first, {"who", "whom", "whose"})) return QuestionForm::who;
  if (first == "where") return QuestionForm::where;
  if (first == "when") return QuestionForm::when;
  if (first == "why") return QuestionForm::why;
  if (first == "how") {
    if (one_of(second, {"long", "soon", "quickly"})) return QuestionForm::duration;
    if (one_of(second, {"much", "many", "often"})) return QuestionForm::amount;
    return QuestionForm::how;
  }
  if (first == "what" || first == "which") {
    // "What should I do", "what can we do", "what to do": a way of acting, as "how" asks.
    return one_of(second, {"should", "can", "could", "must", "to", "do"}) ? QuestionForm::how : QuestionForm::what;
  }
  const std::string_view auxiliary = first.ends_with("n't") ? first.substr(0, first.size() - 3) : first;
  if (one_of(auxiliary, {"is", "are", "am", "was", "were", "can", "ca", "could", "do", "does", "did", "should",
                         "will", "wo", "would", "may", "might", "must", "shall", "has", "have"})) {
    return QuestionForm::yes_no;
  }
  return QuestionForm::none;
}

}  // namespace parley::search
