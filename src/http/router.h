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
  // What the server needs to know of a request's route before dispatching it: its body limit, and its name for
  // metrics ("POST /api/v1/bots/{bot_id}/chat"; kUnmatchedRoute for paths no route takes, so that metrics never
  // grow a series per path a scanner tries).
  struct RouteInfo {
    std::size_t body_limit = 0;
    std::string_view label;
    bool sheddable = true;  // may be refused with 503 when the server is past capacity
  };
  RouteInfo route_info(std::string_view method, std::string_view path) const;
  // Never shed under overload: what load balancers and monitoring ask (/healthz, /metrics).
  void exempt_from_shedding(std::string method, std::string pattern);

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::string label;  // "METHOD /pattern", the route's name in metrics
    std::vector<std::string> segments;
    Handler handler;
    std::string access;
    std::size_t body_limit = 0;  // 0: the default
    bool sheddable = true;
  };
  static bool match(const Route& route, const std::vector<std::string_view>& segments,
                    std::map<std::string, std::string>* params);
  const Route* find(std::string_view method, std::string_view path, std::map<std::string, std::string>* params,
                    std::vector<std::string>* allowed) const;
  // The route added with exactly this method and pattern.
  Route* find_pattern(std::string_view method, std::string_view pattern);

  Response route(Request& request) const;

  std::vector<Route> routes_;
  Middleware middleware_;
  Screen screen_;
};

constexpr std::size_t kDefaultBodyLimit = 1u << 20;
inline constexpr std::string_view kUnmatchedRoute = "unmatched";

}  // namespace parley::http
