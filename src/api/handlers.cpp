#include "api/handlers.h"

#include <charconv>

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
  register_crawl_routes(router, context);
  register_job_routes(router, context);
  register_report_routes(router, context);
}

}  // namespace parley::api
