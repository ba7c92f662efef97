// Routes "METHOD /path/{param}/..." patterns to handlers. Unknown paths answer 404, known paths with another
// method 405 with an Allow header.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"

namespace parley::http {

using Handler = std::function<Response(Request&)>;
// A handler with the access rule its module declared for it ("public", or the least role allowed). The router
// does not interpret `access` (the module that made the handler enforces it inside); it keeps it with the route so
// that the rule of every route can be listed (Router::routes) and checked.
struct Endpoint {
  Handler handler;
  std::string access;
};

// One route as registered.
struct RouteEntry {
  std::string method;
  std::string pattern;
  std::string access;  // empty: the route was added without a declared rule
};

// Runs around every dispatch (rate limits, security headers): calls `next` to route the request, or answers itself.
using Middleware = std::function<Response(Request&, const Handler& next)>;
// Runs on the server's I/O thread right after a request's header is parsed, before the body is read and before the
// hop to the worker pool, so that a cheap refusal (a rate limit) costs neither. The request has no body yet. Returns
// the response to send instead of dispatching, or nullopt. Must not block.
using Screen = std::function<std::optional<Response>(Request&)>;

class Router {
 public:
  // `pattern` segments in braces capture one path segment into Request::params.
  void add(std::string method, std::string pattern, Endpoint endpoint);
  void add(std::string method, std::string pattern, Handler handler);  // no declared access rule
  // Every route, in the order added.
  std::vector<RouteEntry> routes() const;
  Response dispatch(Request& request) const;
  // Set once, before the server starts.
  void set_middleware(Middleware middleware) { middleware_ = std::move(middleware); }
  void set_screen(Screen screen) { screen_ = std::move(screen); }
  // The screen's verdict on a request whose header (not body) has arrived; nullopt without a screen.
  std::optional<Response> screen(Request& request) const;
  // The upper bound for the body of requests to `path` (uploads get a large one, everything else a small one).
  std::size_t body_limit(std::string_view method, std::string_view path) const;
  void set_body_limit(std::string method, std::string pattern, std::size_t limit);

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    std::string access;
    std::size_t body_limit = 0;  // 0: the default
  };
  static bool match(const Route& route, const std::vector<std::string_view>& segments,
                    std::map<std::string, std::string>* params);
  const Route* find(std::string_view method, std::string_view path, std::map<std::string, std::string>* params,
                    std::vector<std::string>* allowed) const;

  Response route(Request& request) const;

  std::vector<Route> routes_;
  Middleware middleware_;
  Screen screen_;
};

constexpr std::size_t kDefaultBodyLimit = 1u << 20;

}  // namespace parley::http
