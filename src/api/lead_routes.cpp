// Leads (leads/lead_service.h):
//   POST   /api/v1/bots/{bot_id}/leads                 public (the widget's page rules): {fields, consent, trigger,
//                                                      visitor_token?} → 201 {lead_id, created, conversation_id,
//                                                      visitor_token}; a bad field → 400 with error.fields
//   GET    /api/v1/bots/{bot_id}/leads                 q, trigger, from, to (YYYY-MM-DD, UTC), limit, offset
//   GET    /api/v1/bots/{bot_id}/leads/export          format=csv|json, the same filters (up to 100,000 leads)
//   GET    /api/v1/bots/{bot_id}/leads/{lead_id}       with its conversations
//   DELETE /api/v1/bots/{bot_id}/leads/{lead_id}
#include "api/handlers.h"
#include "api/origins.h"
#include "leads/lead_form.h"

namespace parley::api {
namespace {

constexpr int kMaxExportLeads = 100'000;

Result<store::LeadFilter> lead_filter(const http::Request& request) {
  PARLEY_ASSIGN_OR_RETURN(const store::ConversationFilter dates, conversation_filter(request));
  store::LeadFilter filter;
  filter.since = dates.since;
  filter.until = dates.until;
  filter.text = dates.text;
  filter.limit = dates.limit;
  filter.offset = dates.offset;
  if (const auto it = request.query.find("trigger"); it != request.query.end()) {
    if (leads::normalize_trigger(it->second) != it->second) {
      return make_error(ErrorCode::invalid_request,
                        "`trigger` must be before_chat, after_messages, buying_intent, fallback, request or handoff");
    }
    filter.trigger = it->second;
  }
  return filter;
}

Result<store::Bot> find_bot(store::ReadTx& tx, const std::string& bot_id) {
  PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_id));
  if (!bot) return make_error(ErrorCode::not_found, "no such bot");
  return std::move(*bot);
}

}  // namespace

void register_lead_routes(http::Router& router, ApiContext& context) {
  const auto submit = [&context](http::Request& request, const store::Bot& bot) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    PARLEY_RESPOND_ON_ERROR(const auto tokens, context.visitor_tokens());
    leads::LeadSubmission submission;
    submission.bot_id = bot.id;
    submission.visitor_key = request.remote_address;
    if (const auto fields = body.find("fields"); fields != body.end()) submission.values = *fields;
    if (const auto consent = body.find("consent"); consent != body.end()) {
      if (!consent->is_boolean()) return http::error_response(ErrorCode::invalid_request, "`consent` must be true or false");
      submission.consent = consent->get<bool>();
    }
    if (const auto trigger = body.find("trigger"); trigger != body.end() && trigger->is_string()) {
      submission.trigger = trigger->get<std::string>();
    }
    if (const auto country = body.find("country"); country != body.end() && country->is_string()) {
      submission.country = country->get<std::string>();
    }
    if (const auto token = body.find("visitor_token"); token != body.end() && !token->is_null()) {
      if (!token->is_string()) return http::error_response(ErrorCode::invalid_request, "`visitor_token` must be a string");
      // An expired token's lead starts a new conversation, like its next message would.
      PARLEY_RESPOND_ON_ERROR(const auto grant, tokens->check(bot.id, token->get<std::string>()));
      if (!grant.expired) submission.conversation_id = grant.conversation_id;
    }
    PARLEY_RESPOND_ON_ERROR(const auto outcome, context.leads().submit(submission));
    if (!outcome.errors.empty()) {
      Json fields = Json::object();
      for (const auto& [name, problem] : outcome.errors) fields[name] = problem;
      return http::json_response(400, {{"error", {{"code", "invalid_request"},
                                                  {"message", "some fields need fixing"},
                                                  {"fields", fields}}}});
    }
    return http::json_response(outcome.created ? 201 : 200,
                               {{"lead_id", outcome.lead->id},
                                {"created", outcome.created},
                                {"conversation_id", outcome.conversation_id},
                                {"visitor_token", tokens->issue(bot.id, outcome.conversation_id)}});
  };
  router.add("POST", "/api/v1/bots/{bot_id}/leads", public_endpoint(context, submit));
  router.add("OPTIONS", "/api/v1/bots/{bot_id}/leads", public_preflight(context, "POST, OPTIONS"));
  router.set_body_limit("POST", "/api/v1/bots/{bot_id}/leads", 32u << 10);

  router.add("GET", "/api/v1/bots/{bot_id}/leads", admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const store::LeadFilter filter, lead_filter(request));
    Json rows = Json::array();
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto bot, find_bot(tx, request.params["bot_id"]));
      PARLEY_ASSIGN_OR_RETURN(const auto found, tx.leads(bot.id, filter));
      for (const auto& lead : found) rows.push_back(leads::lead_json(lead));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, {{"leads", rows}, {"limit", filter.limit}, {"offset", filter.offset}});
  }));

  router.add("GET", "/api/v1/bots/{bot_id}/leads/export",
             admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
               PARLEY_RESPOND_ON_ERROR(store::LeadFilter filter, lead_filter(request));
               const auto format_it = request.query.find("format");
               const std::string format = format_it == request.query.end() ? "csv" : format_it->second;
               if (format != "csv" && format != "json") {
                 return http::error_response(ErrorCode::invalid_request, "`format` must be csv or json");
               }
               if (request.query.find("limit") == request.query.end()) filter.limit = kMaxExportLeads;
               std::vector<store::Lead> found;
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(const auto bot, find_bot(tx, request.params["bot_id"]));
                 PARLEY_ASSIGN_OR_RETURN(found, tx.leads(bot.id, filter));
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               http::Response response;
               if (format == "csv") {
                 response = http::text_response(200, leads::leads_csv(found), "text/csv; charset=utf-8");
               } else {
                 Json rows = Json::array();
                 for (const auto& lead : found) rows.push_back(leads::lead_json(lead));
                 response = http::json_response(200, {{"leads", rows}});
               }
               response.headers["Content-Disposition"] =
                   "attachment; filename=\"leads-" + request.params["bot_id"] + "." + format + "\"";
               return response;
             }));

  router.add("GET", "/api/v1/bots/{bot_id}/leads/{lead_id}",
             admin(context, store::Role::viewer, [&context](http::Request& request, const auth::Principal& who) {
               Json view;
               const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(const auto lead, tx.lead(request.params["lead_id"]));
                 if (!lead || lead->bot_id != request.params["bot_id"]) return make_error(ErrorCode::not_found, "no such lead");
                 view = leads::lead_json(*lead);
                 PARLEY_ASSIGN_OR_RETURN(const auto conversations, tx.lead_conversations(lead->id));
                 view["conversations"] = Json::array();
                 for (const auto& conversation : conversations) view["conversations"].push_back(conversation_view(conversation));
                 return {};
               });
               if (!status.ok()) return http::error_response(status.error());
               return http::json_response(200, view);
             }));

  router.add("DELETE", "/api/v1/bots/{bot_id}/leads/{lead_id}",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               const auto status = context.store().write(scope_of(who), [&](store::WriteTx& tx) -> Status {
                 PARLEY_ASSIGN_OR_RETURN(const auto lead, tx.lead(request.params["lead_id"]));
                 if (!lead || lead->bot_id != request.params["bot_id"]) return make_error(ErrorCode::not_found, "no such lead");
                 return tx.delete_lead(lead->id);
               });
               if (!status.ok()) return http::error_response(status.error());
               http::Response response;
               response.status = 204;
               return response;
             }));
}

}  // namespace parley::api
