// Which web pages may call which endpoints.
//
// Admin endpoints send no CORS headers at all, and a signed-in session is honoured only for same-origin requests.
// The widget's public endpoints (chat, widget config, the visitor's conversation, feedback) decide per bot:
//   - no Origin header (server-to-server, curl): allowed, without CORS headers;
//   - the same origin as this server (the admin app's playground, /demo): allowed;
//   - an origin that matches the bot's settings.allowed_domains: allowed, with Access-Control-Allow-Origin naming it;
//   - anything else, including a bot without allowed domains: 403 and no CORS headers (the widget config's refusal
//     excepted: readable, carrying nothing of the bot, so that the widget can say which setting hides it).
#pragma once

#include <functional>
#include <string>

#include "api/api.h"
#include "http/message.h"

namespace parley::api {

// True when the request's Origin (or, without one, Sec-Fetch-Site) says it comes from a page of this server.
bool is_same_origin_request(const http::Request& request);

// A handler of a public endpoint (open to anyone, api/handlers.h): gets the bot of the {bot_id} path parameter once its page is allowed.
using PublicHandler = std::function<http::Response(http::Request&, const store::Bot&)>;
// `readable_refusal`: a refused page may read the refusal (the widget's config: the widget then names the setting).
http::Endpoint public_endpoint(ApiContext& context, PublicHandler handler, bool readable_refusal = false);

// The CORS preflight (OPTIONS) of a public endpoint answering `methods`.
http::Endpoint public_preflight(ApiContext& context, std::string methods);

}  // namespace parley::api
