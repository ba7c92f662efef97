// GET /api/v1/bots/{bot_id}/widget (admin): for the bot builder, the widget config and text defaults, the server's
// answering and routing defaults (what a bot without those settings uses), and the model providers it can route to.
// The widget's other public endpoints, beside chat (all under the page rules of api/origins.h):
//   GET  /api/v1/widget/{bot_id}/config        visible texts, colours, greeting, suggested questions
//   GET  /api/v1/widget/{bot_id}/conversation  the visitor's own conversation (X-Visitor-Token), to restore it
//   POST /api/v1/widget/{bot_id}/feedback      {message_id, rating: 1 | -1 | 0} on an answer of that conversation
// A visitor proves a conversation is theirs with the signed token every chat reply carries (auth/visitor_tokens.h);
// the conversation id alone opens nothing here.
#include "api/handlers.h"
#include "api/origins.h"
#include "chat/bot_settings.h"
#include "leads/lead_form.h"
#include "leads/validation.h"
#include "llm/routing.h"
#include "notify/outbox.h"

namespace parley::api {
namespace {

// What a visitor may see of their own conversation: what the widget showed them, nothing internal.
Json visitor_message_view(const store::Message& message) {
  Json view = {{"id", message.id}, {"role", message.role}, {"text", message.text}};
  if (!message.author.empty()) view["author"] = message.author;
  if (message.role == "assistant") {
    view["sources"] = Json::array();
    for (const auto& source : message.sources) view["sources"].push_back({{"title", source.title}, {"url", source.url}});
    view["rating"] = message.rating;
  }
  return view;
}

// The widget's public configuration, with the lead form and the handoff button (leads/).
Json widget_config(const store::Bot& bot) {
  Json config = chat::public_widget_config(bot);
  const auto form = leads::parse_lead_form(bot.settings);
  config["lead_form"] = form.ok() ? leads::public_lead_form(*form) : Json(nullptr);
  // The country a phone number without its code is read in, when the bot says (else the visitor's browser does).
  if (config["lead_form"].is_object()) config["lead_form"]["phone_country"] = leads::phone_country(bot.settings, "");
  const auto handoff = leads::parse_handoff_settings(bot.settings);
  // The widget's "talk to a person" button: exactly when visitors can ask for a person in words too.
  config["handoff"] = handoff.ok() && handoff->enabled;
  return config;
}

// What the answer pipeline uses for the settings a bot leaves out, read from the defaults of the structs themselves so
// that the builder shows (and never writes) the server's current values.
Json answering_defaults() {
  const chat::BotSettings defaults;
  return {{"faq_threshold", defaults.faq_threshold},
          {"answer_threshold", defaults.answer_threshold},
          {"max_sources", defaults.max_sources},
          {"fallback_message", defaults.fallback_message},
          {"fallback_without_handoff", std::string(chat::kFallbackWithoutHandoff)}};
}

// The providers settings.routing may name (no keys or addresses: names, kinds and models only).
Json provider_list(const ApiContext& context) {
  Json providers = Json::array();
  if (const auto registry = context.providers()) {
    for (const auto& info : registry->list()) {
      providers.push_back({{"name", info.name}, {"kind", info.kind}, {"model", info.model}, {"local", info.local}});
    }
  }
  return providers;
}

Result<std::string> visitor_conversation(ApiContext& context, const http::Request& request, const store::Bot& bot) {
  const std::string_view token = request.header("X-Visitor-Token");
  if (token.empty()) return make_error(ErrorCode::unauthorized, "send the conversation's X-Visitor-Token");
  PARLEY_ASSIGN_OR_RETURN(const auto tokens, context.visitor_tokens());
  return tokens->verify(bot.id, token);
}

}  // namespace

void register_widget_routes(http::Router& router, ApiContext& context) {
  // For the bot builder: what the widget shows with the saved settings, the default of every visible text and of
  // every answering and routing setting, and the providers to route to.
  router.add("GET", "/api/v1/bots/{bot_id}/widget", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    std::optional<store::Bot> bot;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(bot, tx.bot(request.params["bot_id"]));
      if (!bot) return make_error(ErrorCode::not_found, "no such bot");
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"config", widget_config(*bot)},
                                     {"text_defaults", chat::widget_text_defaults()},
                                     {"answering_defaults", answering_defaults()},
                                     {"routing_defaults", llm::routing_settings(llm::RoutingPolicy{})},
                                     {"providers", provider_list(context)}});
  }));

  router.add("GET", "/api/v1/widget/{bot_id}/config", public_endpoint(context, [](http::Request&, const store::Bot& bot) {
    http::Response response = http::json_response(200, widget_config(bot));
    // Short, so that a change in the bot builder reaches visitors quickly.
    response.headers["Cache-Control"] = "public, max-age=60";
    return response;
  }, /*readable_refusal=*/true));
  router.add("OPTIONS", "/api/v1/widget/{bot_id}/config", public_preflight(context, "GET, OPTIONS"));

  router.add("GET", "/api/v1/widget/{bot_id}/conversation",
             public_endpoint(context, [&context](http::Request& request, const store::Bot& bot) {
               PARLEY_RESPOND_ON_ERROR(const std::string conversation_id, visitor_conversation(context, request, bot));
               Json messages = Json::array();
               const auto status = context.store().read(store::Scope::workspace(bot.workspace_id), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.conversation(bot.id, conversation_id));
                 if (!conversation) return make_error(ErrorCode::not_found, "no such conversation");
                 PARLEY_ASSIGN_OR_RETURN(auto rows, tx.messages(conversation->id));
                 for (const auto& message : rows) messages.push_back(visitor_message_view(message));
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               // Reading the conversation back (a page load) is activity too: a fresh token goes with it.
               PARLEY_RESPOND_ON_ERROR(const auto tokens, context.visitor_tokens());
               http::Response response = http::json_response(200, {{"conversation_id", conversation_id},
                                                                    {"messages", messages},
                                                                    {"visitor_token", tokens->issue(bot.id, conversation_id)}});
               response.headers["Cache-Control"] = "no-store";
               return response;
             }));
  router.add("OPTIONS", "/api/v1/widget/{bot_id}/conversation", public_preflight(context, "GET, OPTIONS"));

  router.add("POST", "/api/v1/widget/{bot_id}/feedback",
             public_endpoint(context, [&context](http::Request& request, const store::Bot& bot) {
               PARLEY_RESPOND_ON_ERROR(const std::string conversation_id, visitor_conversation(context, request, bot));
               PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
               const auto message_id = body.find("message_id");
               const auto rating = body.find("rating");
               if (message_id == body.end() || !message_id->is_number_integer() || rating == body.end() ||
                   !rating->is_number_integer() || rating->get<int>() < -1 || rating->get<int>() > 1) {
                 return http::error_response(ErrorCode::invalid_request,
                                             "send {\"message_id\": <id>, \"rating\": 1 | -1 | 0}");
               }
               bool queued = false;
               const auto status = context.store().write(store::Scope::workspace(bot.workspace_id), [&](store::WriteTx& tx) -> Status {
                 PARLEY_TRY(tx.set_feedback(conversation_id, message_id->get<std::int64_t>(), rating->get<int>()));
                 if (rating->get<int>() == 0) return {};
                 // feedback.created, in the same transaction (notify/outbox.h).
                 std::string answer;
                 PARLEY_ASSIGN_OR_RETURN(const auto messages, tx.messages(conversation_id));
                 for (const auto& message : messages) {
                   if (message.id == message_id->get<std::int64_t>()) answer = message.text;
                 }
                 const auto event = notify::new_event(notify::event_type::feedback_created, bot,
                                                      {{"conversation_id", conversation_id},
                                                       {"message_id", *message_id},
                                                       {"rating", *rating},
                                                       {"answer", answer}});
                 PARLEY_ASSIGN_OR_RETURN(const int deliveries, notify::enqueue(tx, event));
                 queued = deliveries > 0;
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               if (queued) context.notification_queued();
               return http::json_response(200, {{"message_id", *message_id}, {"rating", *rating}});
             }));
  router.add("OPTIONS", "/api/v1/widget/{bot_id}/feedback", public_preflight(context, "POST, OPTIONS"));
  router.set_body_limit("POST", "/api/v1/widget/{bot_id}/feedback", 4096);
}

}  // namespace parley::api
