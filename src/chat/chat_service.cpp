#include "chat/chat_service.h"

#include <algorithm>
#include <ctime>
#include <future>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/logging.h"
#include "common/utf8.h"
#include "llm/routing.h"
#include "metrics/metrics.h"

namespace parley::chat {
namespace {

// Earlier messages of a conversation given to a model as its history.
constexpr std::size_t kHistoryMessages = 12;

// Midnight UTC on the first day of the month of `now` (Unix milliseconds), for monthly spend caps.
std::int64_t start_of_utc_month_millis(std::int64_t now) {
  const std::time_t seconds = static_cast<std::time_t>(now / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  utc.tm_mday = 1;
  utc.tm_hour = utc.tm_min = utc.tm_sec = 0;
  return static_cast<std::int64_t>(timegm(&utc)) * 1000;
}

// parley_answers_total{bot, mode}, parley_retrieval_duration_seconds, parley_answer_duration_seconds{mode}.
struct ChatMetrics {
  metrics::Family<metrics::Counter>& answers = metrics::registry().counter(
      "parley_answers_total", "Answers recorded, by bot and mode (faq, extractive, generative, fallback)",
      {"bot", "mode"}, 1u << 16);
  metrics::Histogram& retrieval =
      metrics::registry().histogram("parley_retrieval_duration_seconds", "Retrieval of one question (the read transaction)").get();
  metrics::Family<metrics::Histogram>& answer = metrics::registry().histogram(
      "parley_answer_duration_seconds", "A whole chat turn, from the question to the recorded answer", {"mode"});
};

ChatMetrics& chat_metrics() {
  static ChatMetrics instance;
  return instance;
}

std::vector<store::MessageSource> to_message_sources(const std::vector<Citation>& citations) {
  std::vector<store::MessageSource> out;
  for (const auto& c : citations) out.push_back({c.chunk_id, c.title, c.url, c.snippet, c.score});
  return out;
}

// Applies the bot's content policy to passages the ingest-time screen flagged as prompt injections, before anything
// is composed from them or put in a prompt.
void apply_content_policy(search::SearchResult& found, const BotSettings& settings) {
  if (settings.content_injection_policy == "flag") return;
  const auto flagged = [](const search::Candidate& candidate) { return store::flagged_as_injection(candidate.chunk); };
  if (settings.content_injection_policy == "refuse") {
    // Among the passages an answer would be grounded on: the fallback instead of an answer.
    const auto grounding = found.candidates.begin() +
                           static_cast<std::ptrdiff_t>(std::min<std::size_t>(kGroundingPassages, found.candidates.size()));
    if (std::any_of(found.candidates.begin(), grounding, flagged)) found.candidates.clear();
    return;
  }
  std::erase_if(found.candidates, flagged);
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
  apply_content_policy(*found, settings);
  return compose_answer(*found, settings);
}

ChatService::ChatService(store::Store& store, const search::Retriever& retriever,
                         std::shared_ptr<const llm::ProviderRegistry> providers)
    : store_(store), retriever_(retriever), providers_(std::move(providers)) {
  // Served from the first scrape, at zero, not from the first answer.
  chat_metrics();
  llm::register_routing_metrics();
}

ChatService::~ChatService() {
  std::unique_lock lock(turns_mutex_);
  closing_ = true;
  for (const auto& cancellation : running_turns_) cancellation->cancel();
  turns_ended_.wait(lock, [&] { return running_turns_.empty(); });
  lock.unlock();
  recorder_.join();
}

std::shared_ptr<const llm::ProviderRegistry> ChatService::providers() const {
  std::lock_guard lock(providers_mutex_);
  return providers_;
}

void ChatService::set_providers(std::shared_ptr<const llm::ProviderRegistry> providers) {
  std::lock_guard lock(providers_mutex_);
  providers_ = std::move(providers);
}

bool ChatService::begin_turn(const std::shared_ptr<llm::Cancellation>& cancellation) const {
  std::lock_guard lock(turns_mutex_);
  if (closing_) return false;
  running_turns_.insert(cancellation);
  return true;
}

void ChatService::end_turn(const std::shared_ptr<llm::Cancellation>& cancellation) const {
  std::lock_guard lock(turns_mutex_);
  running_turns_.erase(cancellation);
  turns_ended_.notify_all();
}

void ChatService::ask_stream(const store::Scope& scope, const ChatRequest& request, ChatEvents events,
                             std::shared_ptr<llm::Cancellation> cancellation) const {
  const std::int64_t started = monotonic_micros();
  auto fail = [&](const Error& error) { events.on_done(error); };
  auto bot = request.bot && request.bot->id == request.bot_id ? Result<store::Bot>(*request.bot)
                                                              : find_bot(scope, request.bot_id);
  if (!bot.ok()) return fail(bot.error());
  auto settings = parse_bot_settings(bot->settings);
  if (!settings.ok()) return fail(settings.error());
  if (auto valid = validate_message(request.message, settings->max_message_chars); !valid.ok()) return fail(valid.error());
  auto policy = llm::routing_policy_from_settings(bot->settings);
  if (!policy.ok()) return fail(policy.error());
  const auto bot_scope = store::Scope::workspace(bot->workspace_id);
  const auto providers = this->providers();
  const bool may_generate = providers && !providers->empty() && policy->mode != llm::RoutingMode::off;

  std::optional<search::SearchResult> found;
  std::vector<llm::ChatMessage> history;
  llm::RoutingContext routing;
  const std::int64_t retrieval_started = monotonic_micros();
  const auto read = store_.read(bot_scope, [&](store::ReadTx& tx) -> Status {
    if (request.conversation_id) {
      PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.conversation(bot->id, *request.conversation_id));
      if (!conversation) return make_error(ErrorCode::not_found, "no such conversation for this bot");
      if (may_generate) {
        PARLEY_ASSIGN_OR_RETURN(const auto messages, tx.messages(*request.conversation_id));
        // The latest turns; the prompt builder trims them further to its token budget.
        const std::size_t first = messages.size() > kHistoryMessages ? messages.size() - kHistoryMessages : 0;
        for (std::size_t i = first; i < messages.size(); ++i) {
          if (messages[i].role == "user" || messages[i].role == "assistant") {
            history.push_back({messages[i].role, messages[i].text});
          }
        }
      }
    }
    PARLEY_ASSIGN_OR_RETURN(found, retriever_.search(tx, *bot, request.message));
    if (may_generate && (policy->bot_monthly_budget_usd > 0 || policy->workspace_monthly_budget_usd > 0)) {
      const std::int64_t month = start_of_utc_month_millis(unix_millis());
      PARLEY_ASSIGN_OR_RETURN(routing.bot_spend_usd, tx.spend_since(bot->id, month));
      PARLEY_ASSIGN_OR_RETURN(routing.workspace_spend_usd, tx.spend_since("", month));
    }
    return {};
  });
  if (!read.ok()) return fail(read.error());
  chat_metrics().retrieval.observe(static_cast<double>(monotonic_micros() - retrieval_started) / 1e6);
  apply_content_policy(*found, *settings);
  if (history.empty()) history = request.history;

  ChatReply reply;
  reply.answer = compose_answer(*found, *settings);
  // Curated answers win without a model, and a model is not asked when nothing relevant was retrieved.
  if (!may_generate || reply.answer.mode == "faq" || found->candidates.empty()) {
    reply.latency_us = monotonic_micros() - started;
    auto recorded = record(*bot, request, std::move(reply));
    if (recorded.ok()) stream_sentences(recorded->answer.text, events.on_delta);
    return events.on_done(std::move(recorded));
  }

  routing.retrieval_confidence = reply.answer.confidence;
  GenerativeInput input{*bot, *settings, *policy, routing, request.message, std::move(history), std::move(*found),
                        reply.answer, std::string(current_request_id())};
  if (!cancellation) cancellation = std::make_shared<llm::Cancellation>();
  if (!begin_turn(cancellation)) return fail(make_error(ErrorCode::unavailable, "the chat service is shutting down"));
  AnswerStream stream;
  stream.on_delta = events.on_delta;
  stream.on_reset = events.on_reset;
  stream.on_done = [this, bot = *bot, request, started, events, cancellation, request_id = input.request_id](
                       ComposedAnswer answer, GenerationSummary summary) {
    boost::asio::post(recorder_, [this, bot, request, started, events, cancellation, request_id, answer = std::move(answer),
                                  summary = std::move(summary)]() mutable {
      const RequestScope logged_as(request_id);
      ChatReply generated;
      generated.answer = std::move(answer);
      generated.generation = std::move(summary);
      generated.latency_us = monotonic_micros() - started;
      // The recorder thread's edge: a throwing callback must neither end the thread nor keep the turn open, or
      // the destructor would wait for it forever.
      try {
        events.on_done(record(bot, request, std::move(generated)));
      } catch (const std::exception& error) {
        spdlog::error("chat turn callback failed: {}", error.what());
      } catch (...) {
        spdlog::error("chat turn callback failed");
      }
      end_turn(cancellation);
    });
  };
  try {
    generate_answer(providers, std::move(input), std::move(stream), cancellation);
  } catch (...) {
    end_turn(cancellation);  // a turn that failed to start has no on_done to end it; the caller's edge reports it
    throw;
  }
}

Result<ChatReply> ChatService::record(const store::Bot& bot, const ChatRequest& request, ChatReply reply) const {
  PARLEY_TRY(store_.write(store::Scope::workspace(bot.workspace_id), [&](store::WriteTx& tx) -> Status {
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
    PARLEY_ASSIGN_OR_RETURN(const auto stored_question, tx.append_message(question));
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
    for (auto& attempt : reply.generation.attempts) {
      attempt.message_id = stored.id;
      attempt.routing["plan"] = reply.generation.routing;
      PARLEY_TRY(tx.record_generation(attempt));
    }
    if (request.record_also) PARLEY_TRY(request.record_also(tx, stored_question, stored));
    return {};
  }));
  ChatMetrics& metrics = chat_metrics();
  metrics.answers.labels({bot.id, reply.answer.mode}).add();
  metrics.answer.labels({reply.answer.mode}).observe(static_cast<double>(reply.latency_us) / 1e6);
  return reply;
}

Result<ChatReply> ChatService::ask(const store::Scope& scope, const ChatRequest& request) const {
  std::promise<Result<ChatReply>> promise;
  auto future = promise.get_future();
  ChatEvents events;
  events.on_done = [&promise](Result<ChatReply> reply) { promise.set_value(std::move(reply)); };
  ask_stream(scope, request, std::move(events));
  return future.get();
}

}  // namespace parley::chat
