// Answers without a model: a curated answer returned verbatim when the question matches a curated question well,
// otherwise the best sentences of the best passages with their sources, otherwise an honest "I don't know" that
// offers a person. Never text that is not in the bot's knowledge.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat/bot_settings.h"
#include "search/retriever.h"

namespace parley::chat {

struct Citation {
  std::int64_t chunk_id = 0;
  std::string title;    // document title (and section), or the curated question
  std::string url;      // file name or page URL
  std::string snippet;  // the cited text
  double score = 0;
};

struct ComposedAnswer {
  std::string text;
  std::string mode;  // faq | extractive | fallback
  double confidence = 0;
  std::vector<Citation> sources;
};

ComposedAnswer compose_answer(const search::SearchResult& result, const BotSettings& settings);

// The citation of a retrieved candidate: its title (and section), link and a snippet of its text.
Citation citation_of(const search::Candidate& candidate);

// How strongly the evidence supports an answer (0..1): the best retrieval score among the candidates, a mix of
// shares of the question they cover (see search::Candidate), so questions with terms the knowledge never uses score
// low. The best score, not the first candidate's: the ranking also weighs the question's form, which is no evidence.
double answer_confidence(const search::SearchResult& result);

}  // namespace parley::chat
