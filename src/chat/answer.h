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

// How strongly the best candidate supports an answer (0..1): its retrieval score, a mix of shares of the question
// it covers (see search::Candidate), so questions with terms the knowledge never uses score low.
double answer_confidence(const search::SearchResult& result);

}  // namespace parley::chat
