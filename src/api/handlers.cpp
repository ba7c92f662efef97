#include "api/handlers.h"

namespace parley::api {

http::Handler admin(ApiContext& context, AdminHandler handler) {
  return [&context, handler = std::move(handler)](http::Request& request) {
    std::string_view key = auth::bearer_token(request.header("Authorization"));
    if (key.empty()) key = request.header("X-API-Key");
    auto principal = auth::authenticate_api_key(context.store(), key);
    if (!principal.ok()) {
      http::Response response = http::error_response(principal.error());
      response.headers["WWW-Authenticate"] = "Bearer";
      return response;
    }
    return handler(request, *principal);
  };
}

void register_routes(http::Router& router, ApiContext& context) {
  register_system_routes(router, context);
  register_bot_routes(router, context);
  register_source_routes(router, context);
  register_chat_routes(router, context);
  register_conversation_routes(router, context);
}

}  // namespace parley::api
