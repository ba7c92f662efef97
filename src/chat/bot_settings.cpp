#include "chat/bot_settings.h"

#include "common/utf8.h"

namespace parley::chat {
namespace {

Status read_string(const store::Json& settings, const char* key, std::string& out, std::size_t max_bytes) {
  const auto it = settings.find(key);
  if (it == settings.end() || it->is_null()) return {};
  if (!it->is_string()) return make_error(ErrorCode::invalid_request, std::string("settings.") + key + " must be a string");
  const auto& value = it->get_ref<const std::string&>();
  if (value.size() > max_bytes) {
    return make_error(ErrorCode::invalid_request, std::string("settings.") + key + " is too long");
  }
  out = value;
  return {};
}

Status read_number(const store::Json& settings, const char* key, double& out, double low, double high) {
  const auto it = settings.find(key);
  if (it == settings.end() || it->is_null()) return {};
  if (!it->is_number()) return make_error(ErrorCode::invalid_request, std::string("settings.") + key + " must be a number");
  const double value = it->get<double>();
  if (!(value >= low && value <= high)) {
    return make_error(ErrorCode::invalid_request, std::string("settings.") + key + " must be between " +
                                                      std::to_string(low) + " and " + std::to_string(high));
  }
  out = value;
  return {};
}

}  // namespace

Result<BotSettings> parse_bot_settings(const store::Json& settings) {
  BotSettings out;
  if (!settings.is_object()) return out;
  PARLEY_TRY(read_string(settings, "language", out.language, 16));
  if (out.language.empty()) out.language = "en";
  PARLEY_TRY(read_string(settings, "greeting", out.greeting, 2000));
  PARLEY_TRY(read_string(settings, "fallback_message", out.fallback_message, 2000));
  PARLEY_TRY(read_number(settings, "faq_threshold", out.faq_threshold, 0.0, 1.0));
  PARLEY_TRY(read_number(settings, "answer_threshold", out.answer_threshold, 0.0, 1.0));
  double max_sources = out.max_sources;
  PARLEY_TRY(read_number(settings, "max_sources", max_sources, 1, 10));
  out.max_sources = static_cast<int>(max_sources);
  double sentences = out.max_answer_sentences;
  PARLEY_TRY(read_number(settings, "max_answer_sentences", sentences, 1, 10));
  out.max_answer_sentences = static_cast<int>(sentences);
  double max_chars = static_cast<double>(out.max_message_chars);
  PARLEY_TRY(read_number(settings, "max_message_chars", max_chars, 1, 100000));
  out.max_message_chars = static_cast<std::size_t>(max_chars);
  return out;
}

Status validate_bot_settings(const store::Json& settings) {
  if (!settings.is_object()) return make_error(ErrorCode::invalid_request, "settings must be a JSON object");
  PARLEY_TRY(parse_bot_settings(settings));
  return {};
}

}  // namespace parley::chat
