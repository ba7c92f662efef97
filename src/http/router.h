// Routes "METHOD /path/{param}/..." patterns to handlers. Unknown paths answer 404, known paths with another
// method 405 with an Allow header.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/message.h"

namespace parley::http {

using Handler = std::function<Response(Request&)>;
// Runs around every dispatch (rate limits, security headers): calls `next` to route the request, or answers itself.
using Middleware = std::function<Response(Request&, const Handler& next)>;

class Router {
 public:
  // `pattern` segments in braces capture one path segment into Request::params.
  void add(std::string method, std::string pattern, Handler handler);
  Response dispatch(Request& request) const;
  // Set once, before the server starts.
  void set_middleware(Middleware middleware) { middleware_ = std::move(middleware); }
  // The upper bound for the body of requests to `path` (uploads get a large one, everything else a small one).
  std::size_t body_limit(std::string_view method, std::string_view path) const;
  void set_body_limit(std::string method, std::string pattern, std::size_t limit);

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
    std::size_t body_limit = 0;  // 0: the default
  };
  static bool match(const Route& route, const std::vector<std::string_view>& segments,
                    std::map<std::string, std::string>* params);
  const Route* find(std::string_view method, std::string_view path, std::map<std::string, std::string>* params,
                    std::vector<std::string>* allowed) const;

  Response route(Request& request) const;

  std::vector<Route> routes_;
  Middleware middleware_;
};

constexpr std::size_t kDefaultBodyLimit = 1u << 20;

}  // namespace parley::http
