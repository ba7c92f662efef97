// Shared pieces of the route handlers: authentication wrappers and result-to-response helpers.
#pragma once

#include <functional>

#include "api/api.h"
#include "api/views.h"
#include "audit/audit.h"
#include "auth/api_keys.h"
#include "http/message.h"

namespace parley::api {

using AdminHandler = std::function<http::Response(http::Request&, const auth::Principal&)>;

// Who sends the request: an API key (Authorization: Bearer, or X-API-Key), or a signed-in user's session cookie
// from a same-origin page.
Result<auth::Principal> authenticate(ApiContext& context, const http::Request& request);

// Who may call a route. Every route declares it where it is added, through the wrapper that also enforces it, and
// the router keeps it with the route (docs/SECURITY.md, "Roles"; tests/security/route_roles_test.cpp walks every
// route with every role):
//   router.add("DELETE", "/api/v1/bots/{bot_id}", admin(context, store::Role::admin, handler));  // admins, owners
//   router.add("GET", "/api/v1/bots", admin(context, store::Role::viewer, handler));             // every member
//   router.add("GET", "/healthz", anyone(handler));                                              // no credentials
// Roles are ordered viewer < agent < admin < owner; a route for a role admits every role above it.

// A route of the admin API for members of the workspace whose role is at least `least`: an API key of the
// workspace, or a signed-in user's session cookie from a same-origin page. Without either: 401; with a lower role:
// 403. Both before the handler runs.
http::Endpoint admin(ApiContext& context, store::Role least, AdminHandler handler);

// A route anyone may call without credentials (health checks, static files, signing in, the widget's public
// endpoints): its handler checks whatever else it needs (the page's origin, a visitor token).
http::Endpoint anyone(http::Handler handler);

// The access rule of anyone().
inline constexpr std::string_view kPublicAccess = "public";

// The body's error as a response, or the value.
#define PARLEY_RESPOND_ON_ERROR(decl, expr)                                 \
  auto PARLEY_CONCAT(handler_result_, __LINE__) = (expr);                   \
  if (!PARLEY_CONCAT(handler_result_, __LINE__).ok())                       \
    return http::error_response(PARLEY_CONCAT(handler_result_, __LINE__).error()); \
  decl = std::move(PARLEY_CONCAT(handler_result_, __LINE__)).value()

// An error about one field of the request body ({"error": {code, message, field}}), for a form to show next to
// that field.
http::Response field_error(std::string_view field, ErrorCode code, const std::string& message);
http::Response field_error(std::string_view field, const Error& error);

// An integer query parameter (`fallback` when absent), or an invalid_request error naming the allowed range.
Result<int> int_param(const http::Request& request, const char* name, int fallback, int low, int high);

inline store::Scope scope_of(const auth::Principal& principal) { return store::Scope::workspace(principal.workspace_id); }

// Who did it, for the audit log: "key:<id>" or "user:<id>".
inline std::string actor_of(const auth::Principal& principal) {
  return principal.key_id.empty() ? "user:" + principal.user_id : "key:" + principal.key_id;
}

// Records `change` (its actor filled in from `who`) in a transaction of its own, right after a change that a module
// made in its own transactions (a queued crawl or ingestion, a job control).
Status record_audit(ApiContext& context, const auth::Principal& who, audit::Change change);

// Checks an email and password, opens a session and answers with its cookie and the account (the sign-in, also
// after a person set their password from an invitation link); sign-ins are audited.
http::Response sign_in_response(ApiContext& context, const http::Request& request, const std::string& email,
                                const std::string& password);

void register_system_routes(http::Router& router, ApiContext& context);
void register_bot_routes(http::Router& router, ApiContext& context);
void register_source_routes(http::Router& router, ApiContext& context);
void register_chat_routes(http::Router& router, ApiContext& context);
void register_conversation_routes(http::Router& router, ApiContext& context);
void register_crawl_routes(http::Router& router, ApiContext& context);
void register_job_routes(http::Router& router, ApiContext& context);
void register_report_routes(http::Router& router, ApiContext& context);
void register_auth_routes(http::Router& router, ApiContext& context);
void register_widget_routes(http::Router& router, ApiContext& context);
void register_analytics_routes(http::Router& router, ApiContext& context);
void register_conversation_export_routes(http::Router& router, ApiContext& context);
void register_static_routes(http::Router& router, ApiContext& context);
void register_audit_routes(http::Router& router, ApiContext& context);
void register_lead_routes(http::Router& router, ApiContext& context);     // leads (public form, list, export)
void register_support_routes(http::Router& router, ApiContext& context);  // handoff: inbox, claim, reply, live events
void register_webhook_routes(http::Router& router, ApiContext& context);  // webhooks, deliveries, replay
void register_openai_routes(http::Router& router, ApiContext& context);
void register_account_routes(http::Router& router, ApiContext& context);  // team, API keys, own account, links
void register_installation_routes(http::Router& router, ApiContext& context);  // "Check my installation"
void register_eval_routes(http::Router& router, ApiContext& context);  // a bot's test suite
void register_learn_routes(http::Router& router, ApiContext& context);  // suggestions and curated Q&A
void register_metrics_routes(http::Router& router, ApiContext& context);  // GET /metrics (Prometheus)
void register_governance_routes(http::Router& router, ApiContext& context);  // retention, erasure, fine-tuning export

// The conversation filter of a request's query: q, mode, rating (up/down), from, to (YYYY-MM-DD, UTC), limit,
// offset.
Result<store::ConversationFilter> conversation_filter(const http::Request& request);

}  // namespace parley::api
