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

// Wraps a handler that needs an API key of the workspace, or a signed-in user's session cookie from a same-origin
// page; answers 401 without either.
http::Handler admin(ApiContext& context, AdminHandler handler);

// The body's error as a response, or the value.
#define PARLEY_RESPOND_ON_ERROR(decl, expr)                                 \
  auto PARLEY_CONCAT(handler_result_, __LINE__) = (expr);                   \
  if (!PARLEY_CONCAT(handler_result_, __LINE__).ok())                       \
    return http::error_response(PARLEY_CONCAT(handler_result_, __LINE__).error()); \
  decl = std::move(PARLEY_CONCAT(handler_result_, __LINE__)).value()

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
void register_metrics_routes(http::Router& router, ApiContext& context);  // GET /metrics (Prometheus)

// The conversation filter of a request's query: q, mode, rating (up/down), from, to (YYYY-MM-DD, UTC), limit,
// offset.
Result<store::ConversationFilter> conversation_filter(const http::Request& request);

}  // namespace parley::api
