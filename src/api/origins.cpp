#include "api/origins.h"

#include "api/handlers.h"
#include "chat/bot_settings.h"

namespace parley::api {
namespace {

enum class Caller { server, same_origin, allowed_site, refused };

Caller classify(const http::Request& request, const store::Bot& bot) {
  const std::string_view origin = request.header("Origin");
  if (origin.empty()) return Caller::server;
  if (is_same_origin_request(request)) return Caller::same_origin;
  return chat::origin_allowed(bot.settings, origin) ? Caller::allowed_site : Caller::refused;
}

Result<store::Bot> public_bot(ApiContext& context, const std::string& bot_id) {
  std::optional<store::Bot> bot;
  PARLEY_TRY(context.store().read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(bot, tx.bot(bot_id));
    return {};
  }));
  if (!bot) return make_error(ErrorCode::not_found, "no such bot");
  return *bot;
}

http::Response refused() {
  return http::error_response(ErrorCode::forbidden, "this site is not allowed to use this bot (see its allowed domains)");
}

// A refusal the page may read (it carries nothing of the bot), so that the widget can tell the site's owner in the
// console which setting to change.
http::Response refused_readably(const http::Request& request) {
  http::Response response = refused();
  response.headers["Vary"] = "Origin";
  response.headers["Access-Control-Allow-Origin"] = std::string(request.header("Origin"));
  return response;
}

void allow_cross_origin(http::Response& response, const http::Request& request, Caller caller) {
  // Responses differ by Origin, so caches must key on it.
  response.headers["Vary"] = "Origin";
  if (caller == Caller::allowed_site) response.headers["Access-Control-Allow-Origin"] = std::string(request.header("Origin"));
}

}  // namespace

bool is_same_origin_request(const http::Request& request) {
  const std::string_view origin = request.header("Origin");
  if (origin.empty()) {
    const std::string_view site = request.header("Sec-Fetch-Site");
    return site.empty() || site == "same-origin" || site == "none";
  }
  const auto from = chat::parse_web_origin(origin);
  if (!from.ok()) return false;
  // The Host header is what this page's browser asked for; behind a TLS-terminating proxy the scheme differs.
  const auto self = chat::parse_web_origin(from->scheme + "://" + std::string(request.header("Host")));
  return self.ok() && self->host == from->host && self->port == from->port;
}

http::Endpoint public_endpoint(ApiContext& context, PublicHandler handler, bool readable_refusal) {
  return anyone([&context, handler = std::move(handler), readable_refusal](http::Request& request) {
    PARLEY_RESPOND_ON_ERROR(const store::Bot bot, public_bot(context, request.params["bot_id"]));
    const Caller caller = classify(request, bot);
    if (caller == Caller::refused) return readable_refusal ? refused_readably(request) : refused();
    http::Response response = handler(request, bot);
    allow_cross_origin(response, request, caller);
    return response;
  });
}

http::Endpoint public_preflight(ApiContext& context, std::string methods) {
  return anyone([&context, methods = std::move(methods)](http::Request& request) {
    PARLEY_RESPOND_ON_ERROR(const store::Bot bot, public_bot(context, request.params["bot_id"]));
    const Caller caller = classify(request, bot);
    if (caller == Caller::refused) return refused();
    http::Response response;
    response.status = 204;
    allow_cross_origin(response, request, caller);
    response.headers["Access-Control-Allow-Methods"] = methods;
    response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept, X-Visitor-Token";
    response.headers["Access-Control-Max-Age"] = "600";
    return response;
  });
}

}  // namespace parley::api
