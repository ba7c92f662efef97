// Handing conversations to people (leads/handoff.h).
//
// Agents (any role but viewer; an API key or the admin app's session):
//   GET  /api/v1/inbox                     conversations waiting for or held by a person (bot_id, status filters)
//   GET  /api/v1/inbox/events              Server-Sent Events: "inbox" (the list, first), then handoff_requested,
//                                          handoff_outside_hours, message, claimed, handed_back, closed, unclaimed, ping
//   POST /api/v1/bots/{bot_id}/conversations/{conversation_id}/claim | reply {text} | handback | close
// Visitors (public, the widget's page rules, the conversation's visitor token):
//   POST /api/v1/widget/{bot_id}/handoff   the "talk to a person" button: {visitor_token?}
//   GET  /api/v1/widget/{bot_id}/events?visitor_token=...   Server-Sent Events of that conversation: "status" (first),
//                                          message (agent replies and notices), status, ping
#include "api/handlers.h"
#include "api/origins.h"
#include "http/event_stream.h"

namespace parley::api {
namespace {

Result<leads::Agent> agent_of(ApiContext& context, const auth::Principal& who, const Json* body) {
  leads::Agent agent;
  if (!who.user_id.empty()) {
    agent.id = who.user_id;
    PARLEY_TRY(context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto user, tx.user(who.user_id));
      if (user) agent.name = !user->name.empty() ? user->name : user->email.substr(0, user->email.find('@'));
      return {};
    }));
  } else {
    agent.id = "key:" + who.key_id;
  }
  if (body != nullptr) {
    if (const auto name = body->find("agent_name"); name != body->end() && name->is_string() &&
                                                    !name->get_ref<const std::string&>().empty() &&
                                                    name->get_ref<const std::string&>().size() <= 80) {
      agent.name = name->get<std::string>();
    }
  }
  if (agent.name.empty()) agent.name = "Support";
  return agent;
}

// An SSE stream fed by a hub topic; the subscription ends when the client goes away (found at the next event or
// ping).
std::shared_ptr<http::EventStream> subscribe(leads::LiveHub& hub, const std::string& topic) {
  auto events = std::make_shared<http::EventStream>();
  std::weak_ptr<http::EventStream> weak = events;
  hub.subscribe(topic, [weak](const std::string& name, const Json& data) {
    const auto stream = weak.lock();
    if (!stream || stream->cancelled() || stream->closed()) return false;
    stream->push({name, data.dump()});
    return true;
  });
  return events;
}

using Action = std::function<Result<Json>(ApiContext&, const auth::Principal&, const leads::Agent&, http::Request&,
                                          const Json&)>;

http::Endpoint agent_action(ApiContext& context, Action action) {
  return admin(context, store::Role::agent, [&context, action = std::move(action)](http::Request& request, const auth::Principal& who) {
    Json body = Json::object();
    if (!request.body.empty()) {
      PARLEY_RESPOND_ON_ERROR(body, http::parse_json_object(request));
    }
    PARLEY_RESPOND_ON_ERROR(const leads::Agent agent, agent_of(context, who, &body));
    PARLEY_RESPOND_ON_ERROR(const Json result, action(context, who, agent, request, body));
    return http::json_response(200, result);
  });
}

}  // namespace

void register_support_routes(http::Router& router, ApiContext& context) {
  const auto inbox_rows = [&context](const auth::Principal& who, const http::Request& request) -> Result<Json> {
    store::InboxFilter filter;
    if (const auto bot = request.query.find("bot_id"); bot != request.query.end()) filter.bot_id = bot->second;
    if (const auto status = request.query.find("status"); status != request.query.end()) {
      if (status->second != "waiting_for_agent" && status->second != "with_agent") {
        return make_error(ErrorCode::invalid_request, "`status` must be waiting_for_agent or with_agent");
      }
      filter.statuses = {status->second};
    }
    Json rows = Json::array();
    PARLEY_TRY(context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto found, tx.inbox(filter));
      for (const auto& conversation : found) rows.push_back(leads::support_view(conversation));
      return {};
    }));
    return rows;
  };

  router.add("GET", "/api/v1/inbox", admin(context, store::Role::agent, [inbox_rows](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json rows, inbox_rows(who, request));
    return http::json_response(200, {{"conversations", rows}});
  }));

  router.add("GET", "/api/v1/inbox/events", admin(context, store::Role::agent, [&context, inbox_rows](http::Request& request, const auth::Principal& who) {
    // Subscribe first, then read: nothing that happens in between is missed. Live events may thus come before
    // the "inbox" snapshot; the snapshot is at least as new as they are (a client replaces its list with it).
    http::Response response;
    response.events = subscribe(context.live(), leads::workspace_topic(who.workspace_id));
    const auto rows = inbox_rows(who, request);
    if (!rows.ok()) {
      response.events->close();
      return http::error_response(rows.error());
    }
    response.events->push({"inbox", Json{{"conversations", *rows}}.dump()});
    response.headers["Cache-Control"] = "no-store";
    return response;
  }));

  const std::string conversation_path = "/api/v1/bots/{bot_id}/conversations/{conversation_id}/";
  router.add("POST", conversation_path + "claim",
             agent_action(context, [](ApiContext& ctx, const auth::Principal& who, const leads::Agent& agent,
                                      http::Request& request, const Json&) -> Result<Json> {
               PARLEY_ASSIGN_OR_RETURN(const auto conversation,
                                       ctx.handoff().claim(scope_of(who), request.params["bot_id"],
                                                           request.params["conversation_id"], agent));
               return leads::support_view(conversation);
             }));
  router.add("POST", conversation_path + "reply",
             agent_action(context, [](ApiContext& ctx, const auth::Principal& who, const leads::Agent& agent,
                                      http::Request& request, const Json& body) -> Result<Json> {
               const auto text = body.find("text");
               if (text == body.end() || !text->is_string()) {
                 return make_error(ErrorCode::invalid_request, "`text` must be a string");
               }
               PARLEY_ASSIGN_OR_RETURN(const auto message,
                                       ctx.handoff().reply(scope_of(who), request.params["bot_id"],
                                                           request.params["conversation_id"], agent, text->get<std::string>()));
               return leads::live_message_view(message);
             }));
  router.add("POST", conversation_path + "handback",
             agent_action(context, [](ApiContext& ctx, const auth::Principal& who, const leads::Agent& agent,
                                      http::Request& request, const Json&) -> Result<Json> {
               PARLEY_ASSIGN_OR_RETURN(const auto conversation,
                                       ctx.handoff().hand_back(scope_of(who), request.params["bot_id"],
                                                               request.params["conversation_id"], agent));
               return leads::support_view(conversation);
             }));
  router.add("POST", conversation_path + "close",
             agent_action(context, [](ApiContext& ctx, const auth::Principal& who, const leads::Agent& agent,
                                      http::Request& request, const Json&) -> Result<Json> {
               PARLEY_ASSIGN_OR_RETURN(const auto conversation,
                                       ctx.handoff().close(scope_of(who), request.params["bot_id"],
                                                           request.params["conversation_id"], agent));
               return leads::support_view(conversation);
             }));
  router.set_body_limit("POST", conversation_path + "reply", 64u << 10);

  router.add("POST", "/api/v1/widget/{bot_id}/handoff", public_endpoint(context, [&context](http::Request& request, const store::Bot& bot) {
    Json body = Json::object();
    if (!request.body.empty()) {
      PARLEY_RESPOND_ON_ERROR(body, http::parse_json_object(request));
    }
    PARLEY_RESPOND_ON_ERROR(const auto tokens, context.visitor_tokens());
    std::string conversation_id;
    if (const auto token = body.find("visitor_token"); token != body.end() && !token->is_null()) {
      if (!token->is_string()) return http::error_response(ErrorCode::invalid_request, "`visitor_token` must be a string");
      // An expired token's request starts a new conversation, like its next message would.
      PARLEY_RESPOND_ON_ERROR(const auto grant, tokens->check(bot.id, token->get<std::string>()));
      if (!grant.expired) conversation_id = grant.conversation_id;
    }
    PARLEY_RESPOND_ON_ERROR(const auto outcome, context.handoff().request(bot, conversation_id, leads::HandoffReason::button));
    return http::json_response(200, {{"status", outcome.conversation.status},
                                     {"text", outcome.visitor_text},
                                     {"offer_lead_form", outcome.offer_lead_form},
                                     {"conversation_id", outcome.conversation.id},
                                     {"visitor_token", tokens->issue(bot.id, outcome.conversation.id)}});
  }));
  router.add("OPTIONS", "/api/v1/widget/{bot_id}/handoff", public_preflight(context, "POST, OPTIONS"));
  router.set_body_limit("POST", "/api/v1/widget/{bot_id}/handoff", 4096);

  router.add("GET", "/api/v1/widget/{bot_id}/events", public_endpoint(context, [&context](http::Request& request, const store::Bot& bot) {
    // EventSource cannot send headers: the token comes in the query (or the header, for other clients).
    std::string token(request.header("X-Visitor-Token"));
    if (const auto it = request.query.find("visitor_token"); it != request.query.end()) token = it->second;
    if (token.empty()) return http::error_response(ErrorCode::unauthorized, "send the conversation's visitor_token");
    PARLEY_RESPOND_ON_ERROR(const auto tokens, context.visitor_tokens());
    PARLEY_RESPOND_ON_ERROR(const std::string conversation_id, tokens->verify(bot.id, token));
    http::Response response;
    response.events = subscribe(context.live(), leads::conversation_topic(conversation_id));
    std::optional<store::Conversation> conversation;
    const auto status = context.store().read(store::Scope::workspace(bot.workspace_id), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(conversation, tx.conversation(bot.id, conversation_id));
      if (!conversation) return make_error(ErrorCode::not_found, "no such conversation");
      return {};
    });
    if (!status.ok()) {
      response.events->close();
      return http::error_response(status.error());
    }
    response.events->push({"status", Json{{"status", conversation->status}, {"agent_name", conversation->agent_name}}.dump()});
    response.headers["Cache-Control"] = "no-store";
    return response;
  }));
  router.add("OPTIONS", "/api/v1/widget/{bot_id}/events", public_preflight(context, "GET, OPTIONS"));
}

}  // namespace parley::api
