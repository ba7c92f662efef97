// One chat turn: validate the visitor's message, retrieve, compose the answer, and record both messages in the
// conversation (created on the first turn) in one transaction.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include <boost/asio/thread_pool.hpp>

#include "chat/answer.h"
#include "chat/generative.h"
#include "common/result.h"
#include "llm/registry.h"
#include "search/retriever.h"
#include "store/store.h"

namespace parley::chat {

struct ChatRequest {
  std::string bot_id;
  // The bot as the caller has just read it (the public endpoint must, to check the caller's origin); read again
  // when absent. Saves a read transaction per turn.
  std::optional<store::Bot> bot;
  std::string message;
  std::optional<std::string> conversation_id;  // continue this conversation; a new one when absent
  // Earlier turns given by the caller (the OpenAI-compatible API, whose clients send the whole conversation);
  // used when there is no stored conversation.
  std::vector<llm::ChatMessage> history;
  // More writes in the turn's own transaction, after both messages are stored (the API adds the outbox's
  // message.created events here, so they exist exactly when the turn does). An error rolls the turn back.
  std::function<Status(store::WriteTx& tx, const store::Message& question, const store::Message& answer)> record_also;
};

struct ChatReply {
  ComposedAnswer answer;
  std::string conversation_id;
  std::int64_t message_id = 0;
  std::int64_t latency_us = 0;
  GenerationSummary generation;  // empty provider when no model wrote the answer
};

// A turn as it happens: deltas of the answer (on providers' threads for generative answers), a reset when text
// already sent is withdrawn, and the recorded reply (or the error) exactly once.
struct ChatEvents {
  std::function<void(std::string_view text)> on_delta;
  std::function<void()> on_reset;
  std::function<void(Result<ChatReply> reply)> on_done;
};

class ChatService {
 public:
  // Without providers every answer is faq, extractive or fallback.
  ChatService(store::Store& store, const search::Retriever& retriever,
              std::shared_ptr<const llm::ProviderRegistry> providers = nullptr);
  // Cancels the generative turns still running and waits until each has been recorded and reported: their
  // providers' threads would otherwise reach a destroyed service.
  ~ChatService();
  ChatService(const ChatService&) = delete;
  ChatService& operator=(const ChatService&) = delete;

  // One turn, streamed. `scope` is the caller's workspace, or the system scope for public traffic that knows only
  // the bot id (then the bot's own workspace scopes everything that follows). Returns at once for a generative
  // turn; `cancellation` stops it (the visitor left). Errors before any answer (no such bot, a bad message) reach
  // on_done without any delta.
  void ask_stream(const store::Scope& scope, const ChatRequest& request, ChatEvents events,
                  std::shared_ptr<llm::Cancellation> cancellation = nullptr) const;
  // The same turn, waited for (CLI, tests).
  Result<ChatReply> ask(const store::Scope& scope, const ChatRequest& request) const;
  // The providers turns start with now (turns already running keep the ones they started with).
  std::shared_ptr<const llm::ProviderRegistry> providers() const;
  // Replaces them (a configuration reload, SIGHUP).
  void set_providers(std::shared_ptr<const llm::ProviderRegistry> providers);

  // Retrieval and composition only, nothing recorded (the CLI's `ask` and the evaluation benches use it too).
  Result<ComposedAnswer> answer(const store::Scope& scope, std::string_view bot_id, std::string_view question) const;

 private:
  Result<store::Bot> find_bot(const store::Scope& scope, std::string_view bot_id) const;
  // Records the question, the answer and its generations in one transaction.
  Result<ChatReply> record(const store::Bot& bot, const ChatRequest& request, ChatReply reply) const;
  // A generative turn starts (false once the service is closing) and ends after its on_done.
  bool begin_turn(const std::shared_ptr<llm::Cancellation>& cancellation) const;
  void end_turn(const std::shared_ptr<llm::Cancellation>& cancellation) const;

  store::Store& store_;
  const search::Retriever& retriever_;
  mutable std::mutex providers_mutex_;
  std::shared_ptr<const llm::ProviderRegistry> providers_;
  // Generative turns end on providers' threads; their store writes run here so no provider thread waits on disk.
  mutable boost::asio::thread_pool recorder_{1};
  mutable std::mutex turns_mutex_;
  mutable std::condition_variable turns_ended_;
  mutable bool closing_ = false;
  mutable std::unordered_set<std::shared_ptr<llm::Cancellation>> running_turns_;
};

// Checks a visitor message: valid UTF-8, not blank, at most `max_chars` characters.
Status validate_message(std::string_view message, std::size_t max_chars);

}  // namespace parley::chat
