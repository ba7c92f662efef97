// One chat turn: validate the visitor's message, retrieve, compose the answer, and record both messages in the
// conversation (created on the first turn) in one transaction.
#pragma once

#include <optional>
#include <string>

#include "chat/answer.h"
#include "common/result.h"
#include "search/retriever.h"
#include "store/store.h"

namespace parley::chat {

struct ChatRequest {
  std::string bot_id;
  std::string message;
  std::optional<std::string> conversation_id;  // continue this conversation; a new one when absent
};

struct ChatReply {
  ComposedAnswer answer;
  std::string conversation_id;
  std::int64_t message_id = 0;
  std::int64_t latency_us = 0;
};

class ChatService {
 public:
  ChatService(store::Store& store, const search::Retriever& retriever) : store_(store), retriever_(retriever) {}

  // `scope` is the caller's workspace, or the system scope for public traffic that knows only the bot id (then
  // the bot's own workspace scopes everything that follows).
  Result<ChatReply> ask(const store::Scope& scope, const ChatRequest& request) const;

  // Retrieval and composition only, nothing recorded (the CLI's `ask` and the evaluation benches use it too).
  Result<ComposedAnswer> answer(const store::Scope& scope, std::string_view bot_id, std::string_view question) const;

 private:
  Result<store::Bot> find_bot(const store::Scope& scope, std::string_view bot_id) const;

  store::Store& store_;
  const search::Retriever& retriever_;
};

// Checks a visitor message: valid UTF-8, not blank, at most `max_chars` characters.
Status validate_message(std::string_view message, std::size_t max_chars);

}  // namespace parley::chat
