#include "chat/chat_service.h"

#include "common/clock.h"
#include "common/utf8.h"

namespace parley::chat {
namespace {

std::size_t count_code_points(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

std::vector<store::MessageSource> to_message_sources(const std::vector<Citation>& citations) {
  std::vector<store::MessageSource> out;
  for (const auto& c : citations) out.push_back({c.chunk_id, c.title, c.url, c.snippet, c.score});
  return out;
}

}  // namespace

Status validate_message(std::string_view message, std::size_t max_chars) {
  if (!is_valid_utf8(message)) return make_error(ErrorCode::invalid_utf8, "the message is not valid UTF-8");
  if (message.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return make_error(ErrorCode::invalid_request, "the message is empty");
  }
  if (count_code_points(message) > max_chars) {
    return make_error(ErrorCode::payload_too_large, "the message is longer than " + std::to_string(max_chars) + " characters");
  }
  return {};
}

Result<store::Bot> ChatService::find_bot(const store::Scope& scope, std::string_view bot_id) const {
  std::optional<store::Bot> bot;
  PARLEY_TRY(store_.read(scope, [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(bot, tx.bot(bot_id));
    return {};
  }));
  if (!bot) return make_error(ErrorCode::not_found, "no such bot");
  return *bot;
}

Result<ComposedAnswer> ChatService::answer(const store::Scope& scope, std::string_view bot_id,
                                           std::string_view question) const {
  PARLEY_ASSIGN_OR_RETURN(const store::Bot bot, find_bot(scope, bot_id));
  PARLEY_ASSIGN_OR_RETURN(const BotSettings settings, parse_bot_settings(bot.settings));
  PARLEY_TRY(validate_message(question, settings.max_message_chars));
  std::optional<search::SearchResult> found;
  PARLEY_TRY(store_.read(store::Scope::workspace(bot.workspace_id), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(found, retriever_.search(tx, bot, question));
    return {};
  }));
  return compose_answer(*found, settings);
}

Result<ChatReply> ChatService::ask(const store::Scope& scope, const ChatRequest& request) const {
  const std::int64_t started = monotonic_micros();
  PARLEY_ASSIGN_OR_RETURN(const store::Bot bot, find_bot(scope, request.bot_id));
  PARLEY_ASSIGN_OR_RETURN(const BotSettings settings, parse_bot_settings(bot.settings));
  PARLEY_TRY(validate_message(request.message, settings.max_message_chars));
  const auto bot_scope = store::Scope::workspace(bot.workspace_id);

  std::optional<search::SearchResult> found;
  PARLEY_TRY(store_.read(bot_scope, [&](store::ReadTx& tx) -> Status {
    if (request.conversation_id) {
      PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.conversation(bot.id, *request.conversation_id));
      if (!conversation) return make_error(ErrorCode::not_found, "no such conversation for this bot");
    }
    PARLEY_ASSIGN_OR_RETURN(found, retriever_.search(tx, bot, request.message));
    return {};
  }));
  ChatReply reply;
  reply.answer = compose_answer(*found, settings);
  reply.latency_us = monotonic_micros() - started;

  PARLEY_TRY(store_.write(bot_scope, [&](store::WriteTx& tx) -> Status {
    if (request.conversation_id) {
      reply.conversation_id = *request.conversation_id;
    } else {
      PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.create_conversation(bot.id));
      reply.conversation_id = conversation.id;
    }
    store::Message question;
    question.conversation_id = reply.conversation_id;
    question.role = "user";
    question.text = request.message;
    PARLEY_TRY(tx.append_message(question));
    store::Message answer;
    answer.conversation_id = reply.conversation_id;
    answer.role = "assistant";
    answer.text = reply.answer.text;
    answer.mode = reply.answer.mode;
    answer.confidence = reply.answer.confidence;
    answer.sources = to_message_sources(reply.answer.sources);
    answer.latency_us = reply.latency_us;
    PARLEY_ASSIGN_OR_RETURN(auto stored, tx.append_message(answer));
    reply.message_id = stored.id;
    return {};
  }));
  return reply;
}

}  // namespace parley::chat
