// Signing in to the admin app: POST /api/v1/auth/login {email, password} sets the session cookie, POST
// /api/v1/auth/logout ends it, GET /api/v1/auth/me tells who is signed in (401 when nobody), GET
// /api/v1/auth/session the same or {"signed_in": false}. The cookie is HttpOnly (no script reads it),
// SameSite=Strict (no other site's page sends it), and Secure when the request came over https through a trusted
// proxy.
#include <chrono>

#include "api/handlers.h"
#include "api/origins.h"
#include "auth/sessions.h"

namespace parley::api {
namespace {

std::string session_cookie(const http::Request& request, std::string_view value, std::chrono::seconds max_age) {
  std::string cookie = std::string(auth::kSessionCookie) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age.count());
  // A TLS-terminating proxy in front of Parley says so in X-Forwarded-Proto (kept only from a trusted proxy:
  // Protection::screen).
  if (request.header("X-Forwarded-Proto") == "https") cookie += "; Secure";
  return cookie;
}

// Sign-ins, successful or not, go to the audit log of the account's workspace with the client's address. A failed
// attempt for an email that has no account belongs to no workspace and is not recorded (the sign-in rate limit
// still counts it).
Status record_sign_in(ApiContext& context, const store::User& user, bool succeeded, const http::Request& request) {
  const Json details = {{"email", user.email}, {"address", request.remote_address}};
  return context.store().write(store::Scope::workspace(user.workspace_id), [&](store::WriteTx& tx) {
    return audit::record(tx, user.workspace_id,
                         {succeeded ? "user:" + user.id : "anonymous", succeeded ? "user.sign_in" : "user.sign_in_failed",
                          user.id, nullptr, details});
  });
}

Status record_failed_sign_in(ApiContext& context, const std::string& email, const http::Request& request) {
  std::optional<store::User> user;
  PARLEY_TRY(context.store().read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(user, tx.user_by_email(email));
    return {};
  }));
  return user ? record_sign_in(context, *user, false, request) : Status{};
}

// Who is signed in: the role, and the account for a session (`session`: with "signed_in": true).
http::Response me(ApiContext& context, const auth::Principal& who, bool session) {
  Json view = {{"workspace_id", who.workspace_id}, {"role", std::string(store::role_name(who.role))}};
  if (session) view["signed_in"] = true;
  if (!who.user_id.empty()) {
    std::optional<store::User> user;
    const auto status = context.store().read(scope_of(who), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(user, tx.user(who.user_id));
      return {};
    });
    if (!status.ok()) return http::error_response(status.error());
    if (user) view["user"] = user_view(*user);
  }
  http::Response response = http::json_response(200, view);
  response.headers["Cache-Control"] = "no-store";
  return response;
}

}  // namespace

http::Response sign_in_response(ApiContext& context, const http::Request& request, const std::string& email,
                                const std::string& password) {
  auto signed_in = auth::sign_in(context.store(), email, password);
  if (!signed_in.ok()) {
    if (signed_in.error().code == ErrorCode::unauthorized) {
      if (auto recorded = record_failed_sign_in(context, email, request); !recorded.ok()) {
        return http::error_response(recorded.error());
      }
    }
    return http::error_response(signed_in.error());
  }
  if (auto recorded = record_sign_in(context, signed_in->user, true, request); !recorded.ok()) {
    return http::error_response(recorded.error());
  }
  http::Response response = http::json_response(200, {{"user", user_view(signed_in->user)}});
  response.headers["Set-Cookie"] =
      session_cookie(request, signed_in->token, std::chrono::duration_cast<std::chrono::seconds>(auth::kSessionLifetime));
  response.headers["Cache-Control"] = "no-store";
  return response;
}

void register_auth_routes(http::Router& router, ApiContext& context) {
  router.add("POST", "/api/v1/auth/login", anyone([&context](http::Request& request) {
    if (!is_same_origin_request(request)) {
      return http::error_response(ErrorCode::forbidden, "sign in from this server's own admin app");
    }
    PARLEY_RESPOND_ON_ERROR(const Json body, http::parse_json_object(request));
    const auto email = body.find("email");
    const auto password = body.find("password");
    if (email == body.end() || !email->is_string() || password == body.end() || !password->is_string()) {
      return http::error_response(ErrorCode::invalid_request, "send {\"email\": ..., \"password\": ...}");
    }
    return sign_in_response(context, request, email->get<std::string>(), password->get<std::string>());
  }));
  router.set_body_limit("POST", "/api/v1/auth/login", 8192);

  router.add("POST", "/api/v1/auth/logout", anyone([&context](http::Request& request) {
    if (!is_same_origin_request(request)) return http::error_response(ErrorCode::forbidden, "cross-site request");
    const auto status = auth::sign_out(context.store(), auth::cookie_value(request.header("Cookie"), auth::kSessionCookie));
    if (!status.ok()) return http::error_response(status.error());
    http::Response response;
    response.status = 204;
    response.headers["Set-Cookie"] = session_cookie(request, "", std::chrono::seconds(0));
    return response;
  }));

  router.add("GET", "/api/v1/auth/me", admin(context, store::Role::viewer, [&context](http::Request&, const auth::Principal& who) {
    return me(context, who, false);
  }));

  // Whether the browser is signed in, always 200: the admin app asks this on every start, and a 401 would show as
  // an error in the browser's console each time.
  router.add("GET", "/api/v1/auth/session", anyone([&context](http::Request& request) {
    const auto who = authenticate(context, request);
    if (!who.ok()) {
      http::Response response = http::json_response(200, {{"signed_in", false}});
      response.headers["Cache-Control"] = "no-store";
      return response;
    }
    return me(context, *who, true);
  }));
}

}  // namespace parley::api
