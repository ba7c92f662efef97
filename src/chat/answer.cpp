#include "chat/answer.h"

#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "common/utf8.h"
#include "text/analyzer.h"
#include "text/sentences.h"

namespace parley::chat {
namespace {

constexpr std::size_t kSnippetBytes = 240;
// A further source must score at least this share of the best candidate's score.
constexpr double kFurtherSourceShare = 0.5;
// An extractive answer stops adding sentences past this length (the best sentence is always kept).
constexpr std::size_t kMaxAnswerBytes = 700;
// The score of the best candidate's first sentence when it has none of the question's words: above nothing.
constexpr double kOpeningSentenceScore = 1e-6;

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

struct ScoredSentence {
  std::size_t passage;   // index into the candidates
  std::size_t position;  // sentence index within the passage
  std::string text;
  double score;
};

// A table rule or a line of symbols ("|---|---|", "* * *"): nothing a visitor should read as an answer.
bool is_rule_line(std::string_view sentence) {
  return std::none_of(sentence.begin(), sentence.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || static_cast<unsigned char>(c) >= 0x80;
  });
}

// A row of a table as the loaders render it ("Pedals | 35 Nm").
bool is_table_row(std::string_view sentence) { return sentence.find(" | ") != std::string_view::npos; }

// The best sentences of the top passages, in reading order: a sentence scores by the IDF weight of the question
// terms it contains (synonyms and misspellings count partly, as in retrieval); a passage's first sentence gets a
// small bonus since it usually states the point; table rules and header rows never count. At most
// `max_sentences`, and no more than kMaxAnswerBytes.
std::vector<ScoredSentence> pick_sentences(const search::SearchResult& result, const text::Analyzer& analyzer,
                                           int max_sentences) {
  std::vector<ScoredSentence> scored;
  const std::size_t passages = std::min<std::size_t>(2, result.candidates.size());
  const double best_score = result.candidates.front().score;
  search::QueryMatcher matcher(result.terms);
  for (std::size_t p = 0; p < passages; ++p) {
    const auto& candidate = result.candidates[p];
    if (p > 0 && candidate.score < 0.8 * best_score) break;  // only a close second contributes
    const std::string& text = candidate.chunk.text;
    const auto spans = text::split_sentences(text);
    for (std::size_t s = 0; s < spans.size(); ++s) {
      const std::string_view sentence = spans[s].of(text);
      if (is_rule_line(sentence)) continue;
      // A table's first row names its columns ("Bolt | Torque"): it matches the question's words without
      // answering it.
      const bool header_row = is_table_row(sentence) && (s == 0 || !is_table_row(spans[s - 1].of(text)));
      if (header_row) continue;
      const auto match = matcher.match(search::analyse_field(analyzer, sentence));
      double score = 0;
      for (std::size_t t = 0; t < result.terms.size(); ++t) score += result.terms[t].idf * match.term_best[t];
      // The best candidate was chosen for its title or curated question even when its text repeats none of the
      // question's words; its opening sentence then stands for it.
      if (score <= 0 && p == 0 && s == 0) score = kOpeningSentenceScore;
      if (score <= 0) continue;
      if (s == 0) score *= 1.1;
      if (p > 0) score *= 0.8;
      scored.push_back({p, s, std::string(sentence), score});
    }
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  // The answer rests on the best candidate: its best sentence comes first even when a sentence of the close
  // second happens to carry more of the question's words.
  const auto best_of_first = std::find_if(scored.begin(), scored.end(), [](const auto& s) { return s.passage == 0; });
  if (best_of_first != scored.end()) std::rotate(scored.begin(), best_of_first, best_of_first + 1);
  if (scored.size() > static_cast<std::size_t>(max_sentences)) scored.resize(static_cast<std::size_t>(max_sentences));
  // Keep sentences that carry at least a third of the best one's weight, while they fit.
  if (!scored.empty()) {
    const double floor = std::max_element(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
                           return a.score < b.score;
                         })->score / 3;
    std::size_t bytes = 0;
    std::size_t kept = 0;
    for (const auto& sentence : scored) {
      if (kept > 0 && (sentence.score < floor || bytes + sentence.text.size() > kMaxAnswerBytes)) break;
      bytes += sentence.text.size() + 1;
      ++kept;
    }
    scored.resize(kept);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.passage != b.passage ? a.passage < b.passage : a.position < b.position;
  });
  return scored;
}

}  // namespace

Citation citation_of(const search::Candidate& candidate) { return cite(candidate, snippet_of(candidate.chunk.text)); }

double answer_confidence(const search::SearchResult& result) {
  double best = 0;
  for (const auto& candidate : result.candidates) best = std::max(best, candidate.score);
  return best;
}

namespace {

// Sources after the cited ones: the next candidates that still score close to the best, for further reading.
void add_further_sources(const search::SearchResult& result, const std::vector<bool>& cited,
                         const BotSettings& settings, ComposedAnswer& answer) {
  const double floor = kFurtherSourceShare * result.candidates.front().score;
  for (std::size_t i = 0; i < result.candidates.size(); ++i) {
    if (answer.sources.size() >= static_cast<std::size_t>(settings.max_sources)) break;
    const auto& candidate = result.candidates[i];
    if (cited[i] || candidate.score < floor) continue;
    Citation citation = cite(candidate, snippet_of(candidate.chunk.text));
    // Another chunk of a section already cited would show the visitor the same link twice.
    const bool same_link = std::any_of(answer.sources.begin(), answer.sources.end(), [&](const Citation& source) {
      return source.url == citation.url && source.title == citation.title;
    });
    if (!same_link) answer.sources.push_back(std::move(citation));
  }
}

}  // namespace

ComposedAnswer compose_answer(const search::SearchResult& result, const BotSettings& settings) {
  ComposedAnswer answer;
  answer.confidence = answer_confidence(result);
  if (result.candidates.empty() || answer.confidence < settings.answer_threshold) {
    answer.mode = "fallback";
    answer.text = settings.fallback_message;
    return answer;
  }
  const auto& best = result.candidates.front();
  std::vector<bool> cited(result.candidates.size(), false);
  if (best.chunk.kind == store::ChunkKind::qa && best.title_match >= settings.faq_threshold) {
    answer.mode = "faq";
    answer.text = best.chunk.text;
    answer.sources.push_back(cite(best, snippet_of(best.chunk.text)));
    cited[0] = true;
    add_further_sources(result, cited, settings, answer);
    return answer;
  }

  const text::Analyzer analyzer(settings.language);
  const auto sentences = pick_sentences(result, analyzer, settings.max_answer_sentences);
  if (sentences.empty()) {
    answer.mode = "fallback";
    answer.text = settings.fallback_message;
    return answer;
  }
  answer.mode = "extractive";
  std::vector<std::string> cited_snippet(result.candidates.size());
  for (const auto& sentence : sentences) {
    if (!answer.text.empty()) answer.text += ' ';
    answer.text += sentence.text;
    cited[sentence.passage] = true;
    if (!cited_snippet[sentence.passage].empty()) cited_snippet[sentence.passage] += ' ';
    cited_snippet[sentence.passage] += sentence.text;
  }
  // Sources: the passages the sentences came from, best first, then other strong candidates.
  for (std::size_t i = 0; i < result.candidates.size(); ++i) {
    if (cited[i]) answer.sources.push_back(cite(result.candidates[i], snippet_of(cited_snippet[i])));
  }
  add_further_sources(result, cited, settings, answer);
  return answer;
}

}  // namespace parley::chat
