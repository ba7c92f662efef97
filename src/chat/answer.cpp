#include "chat/answer.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "common/utf8.h"
#include "text/analyzer.h"
#include "text/sentences.h"

namespace parley::chat {
namespace {

constexpr std::size_t kSnippetBytes = 240;

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

// The best sentences of the top passages, in reading order: a sentence scores by the IDF weight of the question
// terms it contains; a passage's first sentence gets a small bonus since it usually states the point.
std::vector<ScoredSentence> pick_sentences(const search::SearchResult& result, const text::Analyzer& analyzer,
                                           int max_sentences) {
  std::unordered_map<std::string, double> weight;
  for (const auto& term : result.terms) weight[term.term] = term.idf;
  std::vector<ScoredSentence> scored;
  const std::size_t passages = std::min<std::size_t>(2, result.candidates.size());
  const double best_score = result.candidates.front().score;
  for (std::size_t p = 0; p < passages; ++p) {
    const auto& candidate = result.candidates[p];
    if (p > 0 && candidate.score < 0.8 * best_score) break;  // only a close second contributes
    const std::string& text = candidate.chunk.text;
    const auto spans = text::split_sentences(text);
    for (std::size_t s = 0; s < spans.size(); ++s) {
      const std::string_view sentence = spans[s].of(text);
      std::unordered_set<std::string> seen;
      double score = 0;
      for (auto& term : analyzer.terms(sentence)) {
        const auto it = weight.find(term);
        if (it != weight.end() && seen.insert(term).second) score += it->second;
      }
      if (score <= 0) continue;
      if (s == 0) score *= 1.1;
      if (p > 0) score *= 0.8;
      scored.push_back({p, s, std::string(sentence), score});
    }
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  if (scored.size() > static_cast<std::size_t>(max_sentences)) scored.resize(static_cast<std::size_t>(max_sentences));
  // Keep sentences that carry at least a third of the best one's weight.
  if (!scored.empty()) {
    const double floor = scored.front().score / 3;
    std::erase_if(scored, [&](const auto& s) { return s.score < floor; });
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.passage != b.passage ? a.passage < b.passage : a.position < b.position;
  });
  return scored;
}

}  // namespace

double answer_confidence(const search::SearchResult& result) {
  if (result.candidates.empty()) return 0;
  const auto& best = result.candidates.front();
  return std::max(best.coverage, best.question_match);
}

ComposedAnswer compose_answer(const search::SearchResult& result, const BotSettings& settings) {
  ComposedAnswer answer;
  answer.confidence = answer_confidence(result);
  if (result.candidates.empty() || answer.confidence < settings.answer_threshold) {
    answer.mode = "fallback";
    answer.text = settings.fallback_message;
    return answer;
  }
  const auto& best = result.candidates.front();
  if (best.chunk.kind == store::ChunkKind::qa && best.question_match >= settings.faq_threshold) {
    answer.mode = "faq";
    answer.text = best.chunk.text;
    answer.sources.push_back(cite(best, snippet_of(best.chunk.text)));
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
  std::vector<bool> cited(result.candidates.size(), false);
  std::vector<std::string> cited_snippet(result.candidates.size());
  for (const auto& sentence : sentences) {
    if (!answer.text.empty()) answer.text += ' ';
    answer.text += sentence.text;
    cited[sentence.passage] = true;
    if (!cited_snippet[sentence.passage].empty()) cited_snippet[sentence.passage] += ' ';
    cited_snippet[sentence.passage] += sentence.text;
  }
  // Sources: the passages the sentences came from, then other strong candidates for further reading.
  for (std::size_t i = 0; i < result.candidates.size(); ++i) {
    if (cited[i]) answer.sources.push_back(cite(result.candidates[i], snippet_of(cited_snippet[i])));
  }
  for (std::size_t i = 0; i < result.candidates.size() && answer.sources.size() < static_cast<std::size_t>(settings.max_sources); ++i) {
    const auto& candidate = result.candidates[i];
    if (cited[i] || candidate.coverage < settings.answer_threshold) continue;
    answer.sources.push_back(cite(candidate, snippet_of(candidate.chunk.text)));
  }
  return answer;
}

}  // namespace parley::chat
