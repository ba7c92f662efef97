// Generative answers: the bot's retrieved passages given to a model with the grounded prompt (llm/grounding.h),
// along the routes the bot's policy plans (llm/routing.h). The answer streams as it is written; a route that
// fails before its first token is replaced by the next, one that fails mid-answer is withdrawn (`reset`) and
// replaced; when every route fails the extractive answer stands, so a visitor always gets an answer. A model that
// says the passages do not answer becomes the bot's fallback. Every route tried is one llm generation record.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chat/answer.h"
#include "llm/registry.h"
#include "llm/routing.h"
#include "store/types.h"

namespace parley::chat {

// What a generative turn produced, beyond the answer itself.
struct GenerationSummary {
  std::string provider;  // empty when no model wrote the answer
  std::string model;
  llm::Usage usage;
  double cost_usd = 0;
  double first_token_ms = 0;
  store::Json routing = store::Json::object();  // the plan, with the reason of each step and each attempt's outcome
  std::vector<store::Generation> attempts;       // one per route tried (message_id filled in when recorded)
};

struct GenerativeInput {
  store::Bot bot;
  BotSettings settings;
  llm::RoutingPolicy policy;
  llm::RoutingContext context;
  std::string question;
  std::vector<llm::ChatMessage> history;  // earlier turns, oldest first
  search::SearchResult found;
  ComposedAnswer extractive;  // what stands when no route answers
  std::string request_id;     // the HTTP request's (common/logging.h), carried to the providers
};

// How a turn reaches the visitor as it happens. on_delta and on_reset run on providers' threads; on_done exactly
// once, with the final answer (its text is what was streamed, unless a reset replaced it).
struct AnswerStream {
  std::function<void(std::string_view text)> on_delta;
  std::function<void()> on_reset;  // withdraw the text streamed so far: a different answer follows
  std::function<void(ComposedAnswer answer, GenerationSummary summary)> on_done;
};

// How many retrieved passages a model is given.
inline constexpr int kGroundingPassages = 5;

// Starts the turn and returns at once; `cancellation` stops it (the visitor left).
void generate_answer(std::shared_ptr<const llm::ProviderRegistry> registry, GenerativeInput input,
                     AnswerStream stream, std::shared_ptr<llm::Cancellation> cancellation);

// Streams a finished answer (faq, extractive, fallback) in sentence-sized deltas that concatenate to its text.
void stream_sentences(std::string_view text, const std::function<void(std::string_view)>& on_delta);

}  // namespace parley::chat
