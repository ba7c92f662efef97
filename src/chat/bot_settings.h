// The settings of a bot that the answer pipeline reads, with their defaults. Stored as a JSON object on the bot;
// keys this version does not know are kept untouched (later versions and the web app add their own).
#pragma once

#include <string>

#include "common/result.h"
#include "store/types.h"

namespace parley::chat {

struct BotSettings {
  std::string language = "en";
  std::string greeting = "Hi! How can I help you today?";
  std::string fallback_message =
      "I'm sorry, I couldn't find that in our help content. Would you like me to connect you with a person?";
  // Curated answers are returned verbatim when the question matches a curated question at least this well.
  double faq_threshold = 0.62;
  // Below this confidence the bot declines instead of answering from passages.
  double answer_threshold = 0.5;
  int max_sources = 3;
  int max_answer_sentences = 3;
  std::size_t max_message_chars = 4000;
};

// Reads the known keys, checking types and ranges; other keys are ignored here.
Result<BotSettings> parse_bot_settings(const store::Json& settings);

// Validates a settings object sent by a client (the same checks as parse_bot_settings, plus: must be an object).
Status validate_bot_settings(const store::Json& settings);

}  // namespace parley::chat
