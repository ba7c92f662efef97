#include "chat/answer.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "chat/specifics.h"
#include "common/utf8.h"
#include "text/analyzer.h"

namespace parley::chat {
namespace {

constexpr std::size_t kSnippetBytes = 240;
// A further source must score at least this share of the best candidate's score.
constexpr double kFurtherSourceShare = 0.5;
// An extractive answer stops adding sentences past this length (the best sentence is always kept).
constexpr std::size_t kMaxAnswerBytes = 700;
// The score of the best candidate's first sentence when it has none of the question's words: above nothing.
constexpr double kOpeningSentenceScore = 1e-6;
// A sentence shaped like an answer to the question's form (answers_form) outweighs one that only repeats more of
// its words.
constexpr double kAnswerFormBonus = 1.3;
// Sentences after the best one carry at least this share of its weight.
constexpr double kKeptSentenceShare = 0.5;
// The share of the question made of words the knowledge lacks from which they are what the question is about.
constexpr double kUnknownMajority = 0.5;

std::string snippet_of(std::string_view text) {
  if (text.size() <= kSnippetBytes) return std::string(text);
  std::size_t cut = utf8_prefix_length(text, kSnippetBytes);
  const auto space = text.rfind(' ', cut);
  if (space != std::string_view::npos && space > kSnippetBytes / 2) cut = space;
  return std::string(text.substr(0, cut)) + "\xE2\x80\xA6";
}

Citation cite(const search::Candidate& candidate, std::string snippet) {
  const auto& chunk = candidate.chunk;
  Citation citation;
  citation.chunk_id = chunk.id;
  citation.title = chunk.title;
  if (chunk.kind == store::ChunkKind::passage && !chunk.heading_path.empty()) {
    citation.title += " \xE2\x80\xBA " + chunk.heading_path;  // "Title › Section"
  }
  citation.url = chunk.document_uri;
  citation.snippet = std::move(snippet);
  citation.score = candidate.score;
  return citation;
}

// How a line of a passage reads: prose, an item of a list ("- ", "1. "), or a row of a table as the loaders render
// it ("Pedals | 35 Nm").
enum class LineKind { prose, list_item, table_row };

struct ScoredSentence {
  std::size_t passage;   // index into the candidates
  std::size_t position;  // sentence index within the passage
  std::string text;
  double score;
  LineKind kind = LineKind::prose;
  std::string table_header;  // table rows: the first row of their table, which names the columns
};

// A table rule or a line of symbols ("|---|---|", "* * *"): nothing a visitor should read as an answer.
bool is_rule_line(std::string_view sentence) {
  return std::none_of(sentence.begin(), sentence.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || static_cast<unsigned char>(c) >= 0x80;
  });
}

// A row of a table as the loaders render it ("Pedals | 35 Nm").
bool is_table_row(std::string_view sentence) { return sentence.find(" | ") != std::string_view::npos; }

LineKind kind_of(std::string_view sentence, std::string_view text, std::size_t begin) {
  if (is_table_row(sentence)) return LineKind::table_row;
  // Only a line that starts where the chunk's line starts can be a list item ("- " as the chunker renders them).
  const bool line_start = begin == 0 || text[begin - 1] == '\n' || text.substr(0, begin).find_last_not_of(' ') ==
                                                                         text.substr(0, begin).rfind('\n');
  if (!line_start) return LineKind::prose;
  if (sentence.starts_with("- ") || sentence.starts_with("* ")) return LineKind::list_item;
  std::size_t digits = 0;
  while (digits < sentence.size() && digits < 3 && std::isdigit(static_cast<unsigned char>(sentence[digits]))) ++digits;
  if (digits > 0 && sentence.substr(digits).starts_with(". ")) return LineKind::list_item;
  return LineKind::prose;
}

bool has_digit(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

bool contains_word(std::string_view folded, std::initializer_list<std::string_view> words) {
  for (const auto word : words) {
    for (std::size_t at = folded.find(word); at != std::string_view::npos; at = folded.find(word, at + 1)) {
      const bool starts = at == 0 || std::isalnum(static_cast<unsigned char>(folded[at - 1])) == 0;
      const std::size_t after = at + word.size();
      const bool ends = after >= folded.size() || std::isalnum(static_cast<unsigned char>(folded[after])) == 0;
      if (starts && ends) return true;
    }
  }
  return false;
}

// Whether a sentence has the shape of an answer to the question's form: a definition for "what is", a step or a
// command for "how do I", a number for "how much / many / long" and "when". English cues, as question_form.
bool answers_form(search::QuestionForm form, std::string_view sentence, LineKind kind) {
  const std::string folded = text::fold(sentence);
  switch (form) {
    case search::QuestionForm::what:
      return contains_word(folded, {"is", "are", "means", "refers to", "stands for", "is called", "defines"});
    case search::QuestionForm::how:
      return kind == LineKind::list_item || folded.find('`') != std::string::npos ||
             contains_word(folded, {"use", "run", "set", "go to", "click", "tap", "open", "select", "press", "enter",
                                    "choose", "add", "create", "call", "type", "start", "follow", "specify"});
    case search::QuestionForm::amount:
      return has_digit(sentence) || contains_word(folded, {"free", "no charge", "all", "none"});
    case search::QuestionForm::duration:
      return (has_digit(sentence) || contains_word(folded, {"one", "two", "three", "few", "several"})) &&
             contains_word(folded, {"second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week",
                                    "weeks", "month", "months", "year", "years", "immediately", "instantly"});
    case search::QuestionForm::when:
      return has_digit(sentence) || contains_word(folded, {"before", "after", "during", "until", "when", "once"});
    default:
      return false;
  }
}

// Whether an English sentence opens with a word that points back to the sentence before it ("Otherwise standard
// shipping costs $7.95.", "However, ...", "This takes ..."): read alone it says something else or nothing.
bool leans_on_previous(std::string_view sentence) {
  const std::string folded = text::fold(sentence.substr(0, std::min<std::size_t>(sentence.size(), 24)));
  std::size_t end = 0;
  while (end < folded.size() && std::isalpha(static_cast<unsigned char>(folded[end])) != 0) ++end;
  static const std::unordered_set<std::string_view> kOpeners = {
      "otherwise", "however", "but",     "also",      "instead",      "therefore",     "thus",        "hence",
      "still",     "besides", "moreover", "furthermore", "additionally", "alternatively", "nevertheless", "nonetheless",
      "consequently", "likewise", "similarly", "then", "this", "that", "these", "those", "it", "they", "such"};
  if (kOpeners.contains(std::string_view(folded).substr(0, end))) return true;
  for (const std::string_view phrase : {"in that case", "in this case", "if not", "if so", "in addition", "as a result",
                                        "on the other hand", "for this reason", "even so", "after that"}) {
    if (folded.starts_with(phrase)) return true;
  }
  return false;
}

// Scores the sentences of candidates' texts for one question: by the IDF weight of the question terms a sentence
// contains (synonyms and misspellings count partly, as in retrieval), more when it has the shape of an answer to
// the question's form; table rules and header rows never count. Shared by the answer and the sources' snippets.
class SentenceScorer {
 public:
  SentenceScorer(const search::SearchResult& result, const text::Analyzer& analyzer)
      : result_(result),
        analyzer_(analyzer),
        form_(search::question_form(analyzer.language(), result.question)),
        matcher_(result.terms) {}

  search::QuestionForm form() const { return form_; }

  // The prose sentence just before `sentence` in the same paragraph of its passage, when `sentence` leans on it
  // (leans_on_previous; English cues). It scores nothing of its own.
  std::optional<ScoredSentence> antecedent(const ScoredSentence& sentence) {
    if (sentence.kind != LineKind::prose || sentence.position == 0 || analyzer_.language() != "en" ||
        !leans_on_previous(sentence.text)) {
      return std::nullopt;
    }
    const std::string& text = result_.candidates[sentence.passage].chunk.text;
    const auto& sentences = sentences_of(result_.candidates[sentence.passage]);
    const auto& before = sentences[sentence.position - 1].span;
    const std::string_view between(text.data() + before.end, sentences[sentence.position].span.begin - before.end);
    const std::string_view previous = before.of(text);
    if (between.find('\n') != std::string_view::npos || is_rule_line(previous) ||
        kind_of(previous, text, before.begin) != LineKind::prose) {
      return std::nullopt;
    }
    return ScoredSentence{sentence.passage, sentence.position - 1, std::string(previous), 0, LineKind::prose, ""};
  }

  // The sentences of `text` (candidate `passage`) that carry any of the question's words, in reading order. With
  // `opening_stands_for_it`, the opening sentence is kept (scoring just above nothing) when no sentence repeats a
  // question word. `list_items`, when given, receives every list item whatever its score.
  std::vector<ScoredSentence> score(std::size_t passage, bool opening_stands_for_it,
                                    std::vector<ScoredSentence>* list_items) {
    std::vector<ScoredSentence> scored;
    const std::string& text = result_.candidates[passage].chunk.text;
    const auto& sentences = sentences_of(result_.candidates[passage]);
    std::string header;  // the first row of the table being read
    for (std::size_t s = 0; s < sentences.size(); ++s) {
      const std::string_view sentence = sentences[s].span.of(text);
      if (is_rule_line(sentence)) continue;
      const LineKind kind = kind_of(sentence, text, sentences[s].span.begin);
      // A table's first row names its columns ("Bolt | Torque"): it matches the question's words without
      // answering it.
      if (kind == LineKind::table_row && (s == 0 || !is_table_row(sentences[s - 1].span.of(text)))) {
        header = sentence;
        continue;
      }
      if (list_items != nullptr && kind == LineKind::list_item) {
        list_items->push_back({passage, s, std::string(sentence), 0, kind, ""});
      }
      const auto match = matcher_.match(sentences[s].terms);
      double weight = 0;
      for (std::size_t t = 0; t < result_.terms.size(); ++t) weight += result_.terms[t].idf * match.term_best[t];
      // The best candidate was chosen for its title or curated question even when its text repeats none of the
      // question's words; its opening sentence then stands for it.
      if (weight <= 0 && opening_stands_for_it && s == 0) weight = kOpeningSentenceScore;
      if (weight <= 0) continue;
      if (answers_form(form_, sentence, kind)) weight *= kAnswerFormBonus;
      scored.push_back({passage, s, std::string(sentence), weight, kind, kind == LineKind::table_row ? header : ""});
    }
    return scored;
  }

 private:
  // The candidate's analysed sentences: those the retriever keeps with the prepared chunk when they are in this
  // answer's language, else analysed here.
  const std::vector<search::AnalysedSentence>& sentences_of(const search::Candidate& candidate) {
    if (candidate.sentences && candidate.sentences->language() == analyzer_.language()) {
      return candidate.sentences->of(candidate.chunk.text);
    }
    uncached_ = search::analyse_sentences(analyzer_, candidate.chunk.text);
    return uncached_;
  }

  const search::SearchResult& result_;
  const text::Analyzer& analyzer_;
  search::QuestionForm form_;
  search::QueryMatcher matcher_;
  std::vector<search::AnalysedSentence> uncached_;
};

// The best sentences of the top passages, in reading order (see SentenceScorer). A sentence must carry half the
// weight of the best one, so that a sentence sharing one common word with the question does not open the answer.
// At most `max_sentences`, and no more than kMaxAnswerBytes.
std::vector<ScoredSentence> pick_sentences(const search::SearchResult& result, SentenceScorer& scorer,
                                           int max_sentences) {
  std::vector<ScoredSentence> scored;
  std::vector<ScoredSentence> steps;  // the list items of the best passage, for "how" questions
  const std::size_t passages = std::min<std::size_t>(2, result.candidates.size());
  const double best_score = result.candidates.front().score;
  const search::QuestionForm form = scorer.form();
  for (std::size_t p = 0; p < passages; ++p) {
    const auto& candidate = result.candidates[p];
    if (p > 0 && candidate.score < 0.8 * best_score) break;  // only a close second contributes
    for (auto& sentence : scorer.score(p, p == 0, p == 0 ? &steps : nullptr)) {
      if (p > 0) sentence.score *= 0.8;
      scored.push_back(std::move(sentence));
    }
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  // The answer rests on the best candidate: its best sentence comes first even when a sentence of the close
  // second happens to carry more of the question's words.
  const auto best_of_first = std::find_if(scored.begin(), scored.end(), [](const auto& s) { return s.passage == 0; });
  if (best_of_first != scored.end()) std::rotate(scored.begin(), best_of_first, best_of_first + 1);
  if (scored.size() > static_cast<std::size_t>(max_sentences)) scored.resize(static_cast<std::size_t>(max_sentences));
  if (!scored.empty()) {
    const double floor = kKeptSentenceShare * std::max_element(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
                                                return a.score < b.score;
                                              })->score;
    std::size_t bytes = 0;
    std::size_t kept = 0;
    for (const auto& sentence : scored) {
      if (kept > 0 && (sentence.score < floor || bytes + sentence.text.size() > kMaxAnswerBytes)) break;
      bytes += sentence.text.size() + 1;
      ++kept;
    }
    scored.resize(kept);
  }
  // A kept sentence that leans on the one before it ("Otherwise ...") brings that one along.
  for (std::size_t i = 0, n = scored.size(); i < n; ++i) {
    auto previous = scorer.antecedent(scored[i]);
    if (previous && std::none_of(scored.begin(), scored.end(), [&](const auto& s) {
          return s.passage == previous->passage && s.position == previous->position;
        })) {
      scored.push_back(std::move(*previous));
    }
  }
  const auto reading_order = [](const auto& a, const auto& b) {
    return a.passage != b.passage ? a.passage < b.passage : a.position < b.position;
  };
  std::sort(scored.begin(), scored.end(), reading_order);
  // Steps are read whole: a "how" answer that quotes a list item, or the line that introduces a list, goes on
  // with the rest of that list, as far as it fits.
  if (form == search::QuestionForm::how && !scored.empty() && scored.front().passage == 0) {
    std::size_t bytes = 0;
    for (const auto& sentence : scored) bytes += sentence.text.size() + 1;
    const std::size_t from = scored.front().position;
    std::size_t expected = from + 1;
    for (const auto& step : steps) {
      if (step.position < expected) continue;
      if (step.position != expected || bytes + step.text.size() > kMaxAnswerBytes) break;
      ++expected;
      if (std::any_of(scored.begin(), scored.end(), [&](const auto& s) { return s.passage == 0 && s.position == step.position; })) {
        continue;
      }
      bytes += step.text.size() + 1;
      scored.push_back(step);
    }
    std::sort(scored.begin(), scored.end(), reading_order);
  }
  return scored;
}

// The cells of a rendered table row.
std::vector<std::string_view> cells_of(std::string_view row) {
  std::vector<std::string_view> cells;
  while (true) {
    const auto bar = row.find(" | ");
    cells.push_back(row.substr(0, bar));
    if (bar == std::string_view::npos) break;
    row.remove_prefix(bar + 3);
  }
  return cells;
}

std::string markdown_row(const std::vector<std::string_view>& cells) {
  std::string row = "|";
  for (const auto cell : cells) row += " " + std::string(cell) + " |";
  return row;
}

// The answer's text from its sentences in reading order: prose as a paragraph, list items as a list, table rows as
// a Markdown table under their header row (the widget shows it as a table; as text it still names its columns).
std::string answer_text(const std::vector<ScoredSentence>& sentences) {
  std::string text;
  const ScoredSentence* previous = nullptr;
  for (const auto& sentence : sentences) {
    const bool same_block = previous != nullptr && previous->kind == sentence.kind &&
                            previous->passage == sentence.passage &&
                            (sentence.kind == LineKind::prose || previous->table_header == sentence.table_header);
    if (!text.empty()) text += same_block ? (sentence.kind == LineKind::prose ? " " : "\n") : "\n\n";
    if (sentence.kind == LineKind::table_row) {
      const auto cells = cells_of(sentence.text);
      if (!same_block && !sentence.table_header.empty()) {
        const auto header = cells_of(sentence.table_header);
        text += markdown_row(header) + "\n|";
        for (std::size_t i = 0; i < header.size(); ++i) text += "---|";
        text += "\n";
      }
      text += markdown_row(cells);
    } else {
      text += sentence.text;
    }
    previous = &sentence;
  }
  return text;
}

}  // namespace

Citation citation_of(const search::Candidate& candidate) { return cite(candidate, snippet_of(candidate.chunk.text)); }

double answer_confidence(const search::SearchResult& result) {
  double best = 0;
  for (const auto& candidate : result.candidates) best = std::max(best, candidate.score);
  return best;
}

namespace {

// A source's snippet as a search engine shows one: the sentences of its text that best match the question (see
// SentenceScorer), in reading order, as many as fit in kSnippetBytes — what the visitor would quote from it, not
// its opening lines. Its opening when no sentence repeats a question word.
std::string matching_snippet(std::size_t passage, const std::string& text, SentenceScorer& scorer) {
  auto sentences = scorer.score(passage, false, nullptr);
  if (sentences.empty()) return snippet_of(text);
  std::stable_sort(sentences.begin(), sentences.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  const double floor = kKeptSentenceShare * sentences.front().score;
  std::size_t bytes = 0;
  std::size_t kept = 0;
  for (const auto& sentence : sentences) {
    if (kept > 0 && (sentence.score < floor || bytes + sentence.text.size() > kSnippetBytes)) break;
    bytes += sentence.text.size() + 1;
    ++kept;
  }
  sentences.resize(kept);
  std::sort(sentences.begin(), sentences.end(), [](const auto& a, const auto& b) { return a.position < b.position; });
  std::string snippet;
  for (std::size_t i = 0; i < sentences.size(); ++i) {
    // Sentences that do not follow each other in the text are told apart by an ellipsis.
    if (i > 0) snippet += sentences[i].position == sentences[i - 1].position + 1 ? " " : " \xE2\x80\xA6 ";
    snippet += sentences[i].text;
  }
  return snippet_of(snippet);
}

// Sources after the cited ones: the next candidates that still score close to the best, for further reading.
void add_further_sources(const search::SearchResult& result, const std::vector<bool>& cited,
                         const BotSettings& settings, SentenceScorer& scorer, ComposedAnswer& answer) {
  const double floor = kFurtherSourceShare * result.candidates.front().score;
  for (std::size_t i = 0; i < result.candidates.size(); ++i) {
    if (answer.sources.size() >= static_cast<std::size_t>(settings.max_sources)) break;
    const auto& candidate = result.candidates[i];
    if (cited[i] || candidate.score < floor) continue;
    Citation citation = cite(candidate, "");
    // Another passage of a page already cited would show the visitor the same link twice (curated answers of one
    // file are told apart by their questions).
    const bool passage = candidate.chunk.kind == store::ChunkKind::passage;
    const bool same_link = std::any_of(answer.sources.begin(), answer.sources.end(), [&](const Citation& source) {
      return source.url == citation.url && (passage || source.title == citation.title);
    });
    if (same_link) continue;
    citation.snippet = matching_snippet(i, candidate.chunk.text, scorer);
    answer.sources.push_back(std::move(citation));
  }
}

}  // namespace

ComposedAnswer compose_answer(const search::SearchResult& result, const BotSettings& settings) {
  ComposedAnswer answer;
  const text::Analyzer analyzer(settings.language);
  // The evidence, less the share of the question the knowledge never speaks of, less what the best candidate
  // contradicts or lacks of the question's specifics.
  SpecificsCheck specifics;
  if (!result.candidates.empty()) {
    const auto& chunk = result.candidates.front().chunk;
    specifics = check_specifics(analyzer, specifics_of(analyzer, result.question),
                                chunk.title + "\n" + chunk.heading_path + "\n" + chunk.text);
  }
  // Words the knowledge lacks count when they are most of the question (what it is about), not one odd word in a
  // chatty question.
  const double unknown_factor = result.unknown_share >= kUnknownMajority ? 1 - result.unknown_share : 1.0;
  answer.confidence = answer_confidence(result) * unknown_factor *
                      specifics_factor(specifics);
  if (result.candidates.empty() || answer.confidence < settings.answer_threshold) {
    answer.mode = "fallback";
    answer.text = settings.fallback_message;
    return answer;
  }
  const auto& best = result.candidates.front();
  std::vector<bool> cited(result.candidates.size(), false);
  SentenceScorer scorer(result, analyzer);
  if (best.chunk.kind == store::ChunkKind::qa && best.title_match >= settings.faq_threshold) {
    answer.mode = "faq";
    // "Yes, within 30 days" does not answer "after 40 days": the policy is stated, the verdict left out. Nor does
    // "Yes." answer "how much", "when" or "what": the curated question was a yes/no question, the visitor's is not.
    const bool asks_other_than_yes_no =
        scorer.form() != search::QuestionForm::none && scorer.form() != search::QuestionForm::yes_no;
    answer.text = specifics.contradicted > 0 || asks_other_than_yes_no ? without_verdict(best.chunk.text)
                                                                        : best.chunk.text;
    answer.sources.push_back(cite(best, snippet_of(best.chunk.text)));
    cited[0] = true;
    add_further_sources(result, cited, settings, scorer, answer);
    return answer;
  }

  const auto sentences = pick_sentences(result, scorer, settings.max_answer_sentences);
  if (sentences.empty()) {
    answer.mode = "fallback";
    answer.text = settings.fallback_message;
    return answer;
  }
  answer.mode = "extractive";
  answer.text = answer_text(sentences);
  std::vector<std::string> cited_snippet(result.candidates.size());
  for (const auto& sentence : sentences) {
    cited[sentence.passage] = true;
    if (!cited_snippet[sentence.passage].empty()) cited_snippet[sentence.passage] += ' ';
    cited_snippet[sentence.passage] += sentence.text;
  }
  // Sources: the passages the sentences came from, best first, then other strong candidates.
  for (std::size_t i = 0; i < result.candidates.size(); ++i) {
    if (cited[i]) answer.sources.push_back(cite(result.candidates[i], snippet_of(cited_snippet[i])));
  }
  add_further_sources(result, cited, settings, scorer, answer);
  return answer;
}

}  // namespace parley::chat
