// Data governance (issue 17): the workspace's retention, erasure of one person's data, and the export of rated
// conversations for fine-tuning; each audited (governance/).
//   GET   /api/v1/workspace/retention                  {conversations_days, leads_days} (0: kept forever)
//   PATCH /api/v1/workspace/retention                  the same fields; negative or fractional days: 400
//   POST  /api/v1/erasure {visitor | email}            counts of what went; nothing found: 200, nothing_to_erase
//   GET   /api/v1/bots/{bot_id}/conversations/export-finetune?include_negative=1&redact=0   JSON Lines
#include "api/handlers.h"
#include "governance/erasure.h"
#include "governance/finetune.h"
#include "governance/retention.h"

namespace parley::api {
namespace {

// A yes/no query parameter: 1/true/yes or 0/false/no; `fallback` when absent.
Result<bool> flag_param(const http::Request& request, const char* name, bool fallback) {
  const auto found = request.query.find(name);
  if (found == request.query.end()) return fallback;
  const std::string& value = found->second;
  if (value == "1" || value == "true" || value == "yes") return true;
  if (value == "0" || value == "false" || value == "no") return false;
  return make_error(ErrorCode::invalid_request, std::string("`") + name + "` must be 1 or 0");
}

std::string text_field(const Json& body, const char* name) {
  const auto found = body.find(name);
  return found != body.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

void register_governance_routes(http::Router& router, ApiContext& context) {
  router.add("GET", "/api/v1/workspace/retention", admin(context, store::Role::viewer, [&context](http::Request&, const auth::Principal& who) {
    Json view;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto workspace, tx.workspace(who.workspace_id));
      if (!workspace) return make_error(ErrorCode::not_found, "no such workspace");
      view = governance::retention_json(workspace->retention);
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, view);
  }));

  router.add("PATCH", "/api/v1/workspace/retention", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    store::Retention current;
    const auto read = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto workspace, tx.workspace(who.workspace_id));
      if (!workspace) return make_error(ErrorCode::not_found, "no such workspace");
      current = workspace->retention;
      return {};
    });
    if (!read.ok()) return http::error_response(read.error());
    store::Retention wanted;
    const std::pair<const char*, int store::Retention::*> fields[] = {{"conversations_days", &store::Retention::conversation_days},
                                                                       {"leads_days", &store::Retention::lead_days}};
    for (const auto& [field, member] : fields) {
      auto days = governance::parse_retention_days(body, field, current.*member);
      if (!days.ok()) return field_error(field, days.error());
      wanted.*member = *days;
    }
    const auto status = governance::set_retention(context.store(), who.workspace_id, wanted, actor_of(who));
    if (!status.ok()) return http::error_response(status.error());
    return http::json_response(200, governance::retention_json(wanted));
  }));

  router.add("POST", "/api/v1/erasure", admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    governance::ErasureRequest wanted{text_field(body, "visitor"), text_field(body, "email")};
    PARLEY_RESPOND_ON_ERROR(const auto counts, governance::erase_person(context.store(), who.workspace_id, wanted, actor_of(who)));
    Json view = governance::erasure_json(counts);
    if (counts.nothing()) view["message"] = "nothing to erase: no conversation, lead or delivery of this person";
    return http::json_response(200, {{"erased", view}});
  }));

  router.add("GET", "/api/v1/bots/{bot_id}/conversations/export-finetune",
             admin(context, store::Role::admin, [&context](http::Request& request, const auth::Principal& who) {
               governance::FinetuneOptions options;
               PARLEY_RESPOND_ON_ERROR(options.include_negative, flag_param(request, "include_negative", false));
               PARLEY_RESPOND_ON_ERROR(options.redact, flag_param(request, "redact", true));
               const std::string bot_id = request.params["bot_id"];
               PARLEY_RESPOND_ON_ERROR(auto exported, governance::export_finetune(context.store(), who.workspace_id, bot_id,
                                                                                 options, actor_of(who)));
               http::Response response = http::text_response(200, std::move(exported.jsonl), "application/x-ndjson");
               response.headers["Content-Disposition"] = "attachment; filename=\"finetune-" + bot_id + ".jsonl\"";
               response.headers["X-Exported-Conversations"] = std::to_string(exported.conversations);
               return response;
             }));
}

}  // namespace parley::api
