#include "api/handlers.h"

#include <charconv>

#include "api/origins.h"
#include "auth/sessions.h"

namespace parley::api {

Result<int> int_param(const http::Request& request, const char* name, int fallback, int low, int high) {
  const auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), value);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || value < low || value > high) {
    return make_error(ErrorCode::invalid_request, std::string("`") + name + "` must be an integer from " +
                                                      std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

http::Response field_error(std::string_view field, ErrorCode code, const std::string& message) {
  return http::json_response(http_status(code), {{"error", {{"code", std::string(error_code_name(code))},
                                                            {"message", message},
                                                            {"field", std::string(field)}}}});
}

http::Response field_error(std::string_view field, const Error& error) { return field_error(field, error.code, error.message); }

Result<std::shared_ptr<const auth::VisitorTokens>> ApiContext::visitor_tokens() {
  std::lock_guard lock(visitor_tokens_mutex_);
  if (!visitor_tokens_) {
    PARLEY_ASSIGN_OR_RETURN(auto loaded, auth::VisitorTokens::load(store_, options_.limits.visitor_token_lifetime));
    visitor_tokens_ = std::make_shared<const auth::VisitorTokens>(std::move(loaded));
  }
  return visitor_tokens_;
}

namespace {

// The admin app's session: only from a page of this server (the cookie is SameSite=Strict as well; this also
// refuses requests that a browser marks cross-site).
Result<auth::Principal> session_principal(ApiContext& context, const http::Request& request) {
  const std::string_view token = auth::cookie_value(request.header("Cookie"), auth::kSessionCookie);
  if (token.empty()) return make_error(ErrorCode::unauthorized, "sign in, or send an API key");
  if (!is_same_origin_request(request)) {
    return make_error(ErrorCode::forbidden, "the admin API does not accept cross-site requests");
  }
  PARLEY_ASSIGN_OR_RETURN(const auto signed_in, auth::resume_session(context.store(), token));
  return auth::session_principal(signed_in);
}

}  // namespace

Result<auth::Principal> authenticate(ApiContext& context, const http::Request& request) {
  std::string_view key = auth::bearer_token(request.header("Authorization"));
  if (key.empty()) key = request.header("X-API-Key");
  return key.empty() ? session_principal(context, request) : auth::authenticate_api_key(context.store(), key);
}

http::Endpoint admin(ApiContext& context, store::Role least, AdminHandler handler) {
  auto checked = [&context, least, handler = std::move(handler)](http::Request& request) {
    auto principal = authenticate(context, request);
    if (!principal.ok()) {
      http::Response response = http::error_response(principal.error());
      response.headers["WWW-Authenticate"] = "Bearer";
      return response;
    }
    if (!auth::has_role(*principal, least)) {
      return http::error_response(ErrorCode::forbidden, "this needs the " + std::string(store::role_name(least)) +
                                                            " role or higher; this " +
                                                            (principal->key_id.empty() ? "account" : "API key") +
                                                            " is " + std::string(store::role_name(principal->role)));
    }
    return handler(request, *principal);
  };
  return {std::move(checked), std::string(store::role_name(least))};
}

http::Endpoint anyone(http::Handler handler) { return {std::move(handler), std::string(kPublicAccess)}; }

Status record_audit(ApiContext& context, const auth::Principal& who, audit::Change change) {
  change.actor = actor_of(who);
  return context.store().write(scope_of(who), [&](store::WriteTx& tx) { return audit::record(tx, who.workspace_id, change); });
}

void register_routes(http::Router& router, ApiContext& context) {
  router.set_middleware([&context](http::Request& request, const http::Handler& next) {
    return context.protection().around(request, next);
  });
  router.set_screen([&context](http::Request& request) { return context.protection().screen(request); });
  register_system_routes(router, context);
  register_metrics_routes(router, context);
  register_static_routes(router, context);
  register_auth_routes(router, context);
  register_bot_routes(router, context);
  register_eval_routes(router, context);
  register_learn_routes(router, context);
  register_source_routes(router, context);
  register_chat_routes(router, context);
  register_lead_routes(router, context);
  register_support_routes(router, context);
  register_webhook_routes(router, context);
  register_openai_routes(router, context);
  register_widget_routes(router, context);
  register_analytics_routes(router, context);
  // Before the conversation routes: /conversations/export would otherwise match /conversations/{conversation_id}.
  register_governance_routes(router, context);
  register_conversation_export_routes(router, context);
  register_conversation_routes(router, context);
  register_crawl_routes(router, context);
  register_job_routes(router, context);
  register_report_routes(router, context);
  register_audit_routes(router, context);
  register_account_routes(router, context);
  register_installation_routes(router, context);
}

}  // namespace parley::api
