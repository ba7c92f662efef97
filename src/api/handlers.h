// Shared pieces of the route handlers: authentication wrappers and result-to-response helpers.
#pragma once

#include <functional>

#include "api/api.h"
#include "api/views.h"
#include "auth/api_keys.h"
#include "http/message.h"

namespace parley::api {

using AdminHandler = std::function<http::Response(http::Request&, const auth::Principal&)>;

// Wraps a handler that needs an API key of the workspace; answers 401 without a valid one.
http::Handler admin(ApiContext& context, AdminHandler handler);

// The body's error as a response, or the value.
#define PARLEY_RESPOND_ON_ERROR(decl, expr)                                 \
  auto PARLEY_CONCAT(handler_result_, __LINE__) = (expr);                   \
  if (!PARLEY_CONCAT(handler_result_, __LINE__).ok())                       \
    return http::error_response(PARLEY_CONCAT(handler_result_, __LINE__).error()); \
  decl = std::move(PARLEY_CONCAT(handler_result_, __LINE__)).value()

inline store::Scope scope_of(const auth::Principal& principal) { return store::Scope::workspace(principal.workspace_id); }

void register_system_routes(http::Router& router, ApiContext& context);
void register_bot_routes(http::Router& router, ApiContext& context);
void register_source_routes(http::Router& router, ApiContext& context);
void register_chat_routes(http::Router& router, ApiContext& context);
void register_conversation_routes(http::Router& router, ApiContext& context);

}  // namespace parley::api
