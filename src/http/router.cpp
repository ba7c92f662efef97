#include "http/router.h"

namespace parley::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    segments.push_back(path.substr(start, end - start));
    start = end;
  }
  return segments;
}

bool is_param(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string pattern, Endpoint endpoint) {
  Route route;
  route.label = method + " " + pattern;
  route.method = std::move(method);
  for (auto segment : split_path(pattern)) route.segments.emplace_back(segment);
  route.pattern = std::move(pattern);
  route.handler = std::move(endpoint.handler);
  route.access = std::move(endpoint.access);
  routes_.push_back(std::move(route));
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  add(std::move(method), std::move(pattern), Endpoint{std::move(handler), {}});
}

std::vector<RouteEntry> Router::routes() const {
  std::vector<RouteEntry> entries;
  entries.reserve(routes_.size());
  for (const auto& route : routes_) entries.push_back({route.method, route.pattern, route.access});
  return entries;
}

Router::Route* Router::find_pattern(std::string_view method, std::string_view pattern) {
  const auto segments = split_path(pattern);
  for (auto& route : routes_) {
    if (route.method == method && route.segments.size() == segments.size() &&
        std::equal(route.segments.begin(), route.segments.end(), segments.begin())) {
      return &route;
    }
  }
  return nullptr;
}

void Router::set_body_limit(std::string method, std::string pattern, std::size_t limit) {
  if (Route* route = find_pattern(method, pattern)) route->body_limit = limit;
}

void Router::exempt_from_shedding(std::string method, std::string pattern) {
  if (Route* route = find_pattern(method, pattern)) route->sheddable = false;
}

bool Router::match(const Route& route, const std::vector<std::string_view>& segments,
                   std::map<std::string, std::string>* params) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& expected = route.segments[i];
    if (is_param(expected)) continue;
    if (expected != segments[i]) return false;
  }
  if (params != nullptr) {
    for (std::size_t i = 0; i < segments.size(); ++i) {
      const std::string& expected = route.segments[i];
      if (is_param(expected)) (*params)[expected.substr(1, expected.size() - 2)] = std::string(segments[i]);
    }
  }
  return true;
}

const Router::Route* Router::find(std::string_view method, std::string_view path,
                                  std::map<std::string, std::string>* params, std::vector<std::string>* allowed) const {
  const auto segments = split_path(path);
  for (const auto& route : routes_) {
    if (!match(route, segments, nullptr)) continue;
    if (route.method == method || (method == "HEAD" && route.method == "GET")) {
      match(route, segments, params);
      return &route;
    }
    if (allowed != nullptr) allowed->push_back(route.method);
  }
  return nullptr;
}

std::size_t Router::body_limit(std::string_view method, std::string_view path) const {
  return route_info(method, path).body_limit;
}

Router::RouteInfo Router::route_info(std::string_view method, std::string_view path) const {
  const Route* route = find(method, path, nullptr, nullptr);
  if (route == nullptr) return {kDefaultBodyLimit, kUnmatchedRoute, true};
  return {route->body_limit > 0 ? route->body_limit : kDefaultBodyLimit, route->label, route->sheddable};
}

std::optional<Response> Router::screen(Request& request) const {
  if (!screen_) return std::nullopt;
  return screen_(request);
}

Response Router::dispatch(Request& request) const {
  if (!middleware_) return route(request);
  return middleware_(request, [this](Request& inner) { return route(inner); });
}

Response Router::route(Request& request) const {
  std::vector<std::string> allowed;
  const Route* route = find(request.method, request.path, &request.params, &allowed);
  if (route != nullptr) return route->handler(request);
  if (!allowed.empty()) {
    Response response = error_response(ErrorCode::method_not_allowed, "method " + request.method + " is not allowed here");
    std::string allow;
    for (const auto& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
    response.headers["Allow"] = allow;
    return response;
  }
  return error_response(ErrorCode::not_found, "no such endpoint: " + request.path);
}

}  // namespace parley::http
