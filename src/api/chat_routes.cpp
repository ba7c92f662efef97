// The public chat endpoint: POST /api/v1/bots/{bot_id}/chat with {message, visitor_token? | conversation_id?}. JSON
// by default; Server-Sent Events (delta, reset, sources, done, error) when the client accepts text/event-stream.
// Which pages may call it: see api/origins.h. Every reply carries the visitor token of its conversation
// (api/widget_routes.cpp). Generative turns answer from providers' threads: the JSON reply is a deferred
// response, so no worker thread waits for a model.
#include <atomic>
#include <mutex>
#include <optional>

#include <spdlog/spdlog.h>

#include "api/handlers.h"
#include "api/origins.h"
#include "guard/injection.h"
#include "guard/pii.h"
#include "chat/bot_settings.h"
#include "leads/lead_form.h"
#include "llm/types.h"
#include "notify/outbox.h"

namespace parley::api {
namespace {

Json answer_json(const chat::ChatReply& reply, const std::string& visitor_token) {
  Json out = {{"answer", reply.answer.text},
              {"mode", reply.answer.mode},
              {"confidence", reply.answer.confidence},
              {"sources", citations_view(reply.answer.sources)},
              {"conversation_id", reply.conversation_id},
              {"message_id", reply.message_id},
              {"visitor_token", visitor_token},
              {"latency_ms", static_cast<double>(reply.latency_us) / 1000.0}};
  // Present whenever a model was asked, also when every route failed and the answer is extractive.
  if (!reply.generation.attempts.empty()) out["generation"] = generation_view(reply.generation);
  return out;
}

Json done_json(const chat::ChatReply& reply, const std::string& visitor_token) {
  Json done = answer_json(reply, visitor_token);
  done.erase("answer");
  done.erase("sources");
  return done;
}

// settings.injection_policy: "flag" (default: answer, and log the message redacted), "refuse" (answer 422 without
// any work), or "off".
std::optional<http::Response> screen_message(const store::Bot& bot, const std::string& message) {
  std::string policy = "flag";
  if (const auto it = bot.settings.find("injection_policy"); it != bot.settings.end() && it->is_string()) {
    policy = it->get<std::string>();
  }
  if (policy == "off") return std::nullopt;
  const auto verdict = guard::check_injection(message);
  if (!verdict.injection) return std::nullopt;
  std::string reasons;
  for (const auto& reason : verdict.reasons) reasons += (reasons.empty() ? "" : ", ") + reason;
  spdlog::warn("bot {}: message looks like a prompt injection (score {:.2f}: {}): {}", bot.id, verdict.score, reasons,
               guard::redact_pii(message.substr(0, 200)));
  if (policy != "refuse") return std::nullopt;
  return http::error_response(ErrorCode::unprocessable,
                              "this message looks like an attempt to change the assistant's instructions; please "
                              "rephrase your question");
}

// The number of messages a conversation of `bot` holds (0 when it does not exist; the chat service says so).
Result<std::size_t> conversation_length(ApiContext& context, const store::Bot& bot, const std::string& conversation_id) {
  std::size_t count = 0;
  PARLEY_TRY(context.store().read(store::Scope::workspace(bot.workspace_id), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.conversation(bot.id, conversation_id));
    if (!conversation) return {};
    PARLEY_ASSIGN_OR_RETURN(auto messages, tx.messages(conversation_id));
    count = messages.size();
    return {};
  }));
  return count;
}

// The reply when the message was not for the bot (leads/handoff.h): a person has (or is asked to take) the
// conversation. `mode` is "handoff" when this message started it, "agent" when a person already has it.
Json handoff_json(const leads::HandoffOutcome& outcome, bool started, const std::string& visitor_token) {
  return {{"answer", outcome.visitor_text},
          {"mode", started ? "handoff" : "agent"},
          {"status", outcome.conversation.status},
          {"offer_lead_form", outcome.offer_lead_form},
          {"confidence", 0.0},
          {"sources", Json::array()},
          {"conversation_id", outcome.conversation.id},
          {"message_id", 0},
          {"visitor_token", visitor_token},
          {"latency_ms", 0.0}};
}

// message.created for the visitor's question and the bot's answer, written by the turn's own transaction (the
// outbox pattern: the events exist exactly when the turn does, and a crash loses neither). `queued` says whether
// any delivery was added, so that the dispatcher is woken after the commit.
// A test turn also marks its conversation as a test (left out of analytics).
std::function<Status(store::WriteTx&, const store::Message&, const store::Message&)> announce_turn(
    const store::Bot& bot, std::shared_ptr<std::atomic<bool>> queued, bool test) {
  return [bot, queued, test](store::WriteTx& tx, const store::Message& question, const store::Message& answer) -> Status {
    if (test) PARLEY_TRY(tx.mark_test_conversation(question.conversation_id));
    PARLEY_ASSIGN_OR_RETURN(const auto webhooks, notify::subscribers(tx, notify::event_type::message_created, bot));
    if (webhooks.empty()) return {};
    for (const store::Message* message : {&question, &answer}) {
      Json view = leads::live_message_view(*message);
      if (message->role == "assistant") view["mode"] = message->mode;
      const Json data = {{"conversation_id", message->conversation_id}, {"bot_id", bot.id}, {"message", std::move(view)}};
      PARLEY_ASSIGN_OR_RETURN(const int added,
                              notify::enqueue_to(tx, notify::new_event(notify::event_type::message_created, bot, data),
                                                 webhooks));
      if (added > 0) queued->store(true);
    }
    return {};
  };
}

// `"test": true` marks the conversation as a test (the admin app's playground, or a script checking answers): only
// for the bot's own team, signed in on this server's pages or with an API key of its workspace, so that no
// visitor's site can hide traffic from the analytics.
Result<bool> marks_test(ApiContext& context, const http::Request& request, const Json& body, const store::Bot& bot) {
  const auto test = body.find("test");
  if (test == body.end() || test->is_null() || (test->is_boolean() && !test->get<bool>())) return false;
  if (!test->is_boolean()) return make_error(ErrorCode::invalid_request, "`test` must be true or false");
  const auto who = authenticate(context, request);
  if (!who.ok() || who->workspace_id != bot.workspace_id) {
    return make_error(ErrorCode::forbidden, "only the bot's team can mark test conversations (sign in, or send an API key)");
  }
  return true;
}

// Adds to a reply why it offers the lead form (the bot's triggers, leads/lead_form.h), when it does.
void offer_lead_form(Json& view, const store::Bot& bot, const chat::BotSettings& settings, const std::string& message,
                     const chat::ChatReply& reply) {
  const auto form = leads::parse_lead_form(bot.settings);
  if (!form.ok() || !form->enabled) return;
  const auto intent = leads::detect_intent(message, settings.language);
  const std::string_view trigger = leads::lead_form_trigger(*form, intent, reply.answer.mode == "fallback");
  if (!trigger.empty()) view["lead_form_trigger"] = trigger;
}

}  // namespace

void register_chat_routes(http::Router& router, ApiContext& context) {
  const auto chat = [&context](http::Request& request, const store::Bot& bot) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const auto message = body.find("message");
    if (message == body.end() || !message->is_string()) {
      return http::error_response(ErrorCode::invalid_request, "`message` must be a string");
    }
    PARLEY_RESPOND_ON_ERROR(const auto tokens, context.visitor_tokens());
    chat::ChatRequest chat_request;
    chat_request.bot_id = bot.id;
    chat_request.bot = bot;
    chat_request.message = message->get<std::string>();
    if (const auto token = body.find("visitor_token"); token != body.end() && !token->is_null()) {
      // The widget continues its visitor's conversation by the token it was given; once that has expired, the
      // message starts a new conversation (with a new token) instead of failing.
      if (!token->is_string()) return http::error_response(ErrorCode::invalid_request, "`visitor_token` must be a string");
      PARLEY_RESPOND_ON_ERROR(const auto grant, tokens->check(bot.id, token->get<std::string>()));
      if (!grant.expired) chat_request.conversation_id = grant.conversation_id;
    } else if (const auto conversation = body.find("conversation_id"); conversation != body.end() && !conversation->is_null()) {
      if (!conversation->is_string()) return http::error_response(ErrorCode::invalid_request, "`conversation_id` must be a string");
      chat_request.conversation_id = conversation->get<std::string>();
    }
    PARLEY_RESPOND_ON_ERROR(const bool test, marks_test(context, request, body, bot));
    Protection& protection = context.protection();
    if (auto refusal = screen_message(bot, chat_request.message)) return std::move(*refusal);
    if (chat_request.conversation_id) {
      if (auto refusal = protection.visitor_turn(*chat_request.conversation_id)) return std::move(*refusal);
      PARLEY_RESPOND_ON_ERROR(const std::size_t length, conversation_length(context, bot, *chat_request.conversation_id));
      if (length >= protection.options()->max_conversation_messages) {
        return http::error_response(ErrorCode::unprocessable,
                                    "this conversation has reached its length limit; please start a new one");
      }
    }
    limits::Slot stream_slot;
    if (request.accepts("text/event-stream")) {
      stream_slot = protection.stream_slot(bot.id);
      if (!stream_slot) return too_many({false, std::chrono::seconds(1)}, "open answer streams");
    }
    if (auto refusal = protection.daily_quota(bot)) return std::move(*refusal);
    // A person has the conversation, or the visitor asks for one: the bot stays out of it.
    PARLEY_RESPOND_ON_ERROR(const auto settings, chat::parse_bot_settings(bot.settings));
    if (const auto valid = chat::validate_message(chat_request.message, settings.max_message_chars); !valid.ok()) {
      return http::error_response(valid.error());
    }
    PARLEY_RESPOND_ON_ERROR(const auto handoff,
                            context.handoff().intercept(bot, chat_request.conversation_id.value_or(""), chat_request.message));
    if (handoff) {
      const bool started = !handoff->visitor_text.empty();
      const std::string token = tokens->issue(bot.id, handoff->conversation.id);
      const Json view = handoff_json(*handoff, started, token);
      if (request.accepts("text/event-stream")) {
        auto events = std::make_shared<http::EventStream>();
        if (started) events->push({"delta", Json{{"text", handoff->visitor_text}}.dump()});
        events->push({"sources", Json{{"sources", Json::array()}}.dump()});
        Json done = view;
        done.erase("answer");
        done.erase("sources");
        events->push({"done", done.dump()});
        events->close();
        http::Response response;
        response.events = events;
        return response;
      }
      return http::json_response(200, view);
    }
    const bool streaming = request.accepts("text/event-stream");
    auto queued = std::make_shared<std::atomic<bool>>(false);
    chat_request.record_also = announce_turn(bot, queued, test);
    auto cancellation = std::make_shared<llm::Cancellation>();
    chat::ChatEvents events;
    if (streaming) {
      // Text as it is written (delta), withdrawn text (reset), then the sources and `done` with the metadata; an
      // error event when the turn fails before answering.
      auto stream = std::make_shared<http::EventStream>();
      events.on_delta = [stream, cancellation](std::string_view text) {
        if (stream->cancelled()) cancellation->cancel();  // the visitor has gone: stop the model too
        stream->push({"delta", Json{{"text", text}}.dump()});
      };
      events.on_reset = [stream] { stream->push({"reset", "{}"}); };
      // A turn refused before it starts (no such conversation, a bad message) is a plain error response, as
      // without streaming; `refusal` catches it while ask_stream has not returned.
      struct Refusal {
        std::mutex mutex;
        bool returned = false;
        std::optional<Error> error;
      };
      auto refusal = std::make_shared<Refusal>();
      events.on_done = [stream, tokens, refusal, bot_id = bot.id, &context, bot, settings, queued,
                        message = chat_request.message](Result<chat::ChatReply> reply) {
        if (!reply.ok()) {
          {
            std::lock_guard lock(refusal->mutex);
            if (!refusal->returned) {
              refusal->error = reply.error();
              return;
            }
          }
          stream->push({"error", Json{{"error", {{"code", error_code_name(reply.error().code)},
                                                 {"message", reply.error().message}}}}.dump()});
        } else {
          const std::string visitor_token = tokens->issue(bot_id, reply->conversation_id);
          stream->push({"sources", Json{{"sources", citations_view(reply->answer.sources)}}.dump()});
          Json done = done_json(*reply, visitor_token);
          offer_lead_form(done, bot, settings, message, *reply);
          stream->push({"done", done.dump()});
          if (*queued) context.notification_queued();
        }
        stream->close();
      };
      context.chat().ask_stream(store::Scope::system(), chat_request, std::move(events), cancellation);
      {
        std::lock_guard lock(refusal->mutex);
        refusal->returned = true;
        if (refusal->error) return http::error_response(*refusal->error);
      }
      stream->hold(std::move(stream_slot));
      http::Response response;
      response.events = stream;
      return response;
    }
    auto deferred = std::make_shared<http::DeferredResponse>();
    events.on_done = [deferred, tokens, bot_id = bot.id, &context, bot, settings, queued,
                      message = chat_request.message](Result<chat::ChatReply> reply) {
      if (!reply.ok()) return deferred->resolve(http::error_response(reply.error()));
      if (*queued) context.notification_queued();
      Json view = answer_json(*reply, tokens->issue(bot_id, reply->conversation_id));
      offer_lead_form(view, bot, settings, message, *reply);
      deferred->resolve(http::json_response(200, view));
    };
    context.chat().ask_stream(store::Scope::system(), chat_request, std::move(events), cancellation);
    http::Response response;
    response.deferred = deferred;
    return response;
  };
  router.add("POST", "/api/v1/bots/{bot_id}/chat", public_endpoint(context, chat));
  router.add("OPTIONS", "/api/v1/bots/{bot_id}/chat", public_preflight(context, "POST, OPTIONS"));
  router.set_body_limit("POST", "/api/v1/bots/{bot_id}/chat", context.options().max_chat_body_bytes);
}

}  // namespace parley::api
