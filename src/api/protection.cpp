#include "api/protection.h"

#include "auth/sessions.h"
#include "metrics/metrics.h"

namespace parley::api {
namespace {

std::vector<std::string_view> segments_of(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

// Credentials as a rate-limit key, bounded in length (a forged giant header must not become a giant key).
std::string credential_key(const http::Request& request) {
  std::string_view token = request.header("Authorization");
  if (token.empty()) token = request.header("X-API-Key");
  if (!token.empty()) return "key:" + std::string(token.substr(0, 96));
  const std::string_view session = auth::cookie_value(request.header("Cookie"), auth::kSessionCookie);
  if (!session.empty()) return "session:" + std::string(session.substr(0, 96));
  return {};
}

}  // namespace

namespace {

metrics::Family<metrics::Counter>& rate_limited() {
  static auto& refused = metrics::registry().counter("parley_rate_limited_total",
                                                     "Requests refused with 429 by a rate limit, quota or cap", {"limit"});
  return refused;
}

}  // namespace

http::Response too_many(const limits::Decision& decision, std::string_view what) {
  rate_limited().labels({what}).add();
  const long seconds = limits::retry_after_seconds(decision.retry_after);
  http::Response response = http::error_response(
      ErrorCode::rate_limited, "too many " + std::string(what) + "; retry in " + std::to_string(seconds) + " s");
  response.headers["Retry-After"] = std::to_string(seconds);
  return response;
}

void add_security_headers(const http::Request& request, http::Response& response) {
  response.headers.try_emplace("X-Content-Type-Options", "nosniff");
  response.headers.try_emplace("Referrer-Policy", "strict-origin-when-cross-origin");
  if (request.path.starts_with("/api/") || request.path.starts_with("/v1/")) {
    response.headers.try_emplace("Cache-Control", "no-store");
    // JSON is never a document: nothing in it may run or load anything if a browser opens it directly.
    response.headers.try_emplace("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }
}

Protection::Protection(store::Store& store, LimitOptions options)
    : store_(store),
      options_(std::make_shared<const LimitOptions>(std::move(options))),
      per_ip_(options_->per_ip),
      per_ip_sign_in_(options_->per_ip_sign_in),
      per_key_(options_->per_key),
      per_bot_(options_->per_bot),
      per_visitor_(options_->per_visitor),
      streams_(std::make_shared<limits::ConcurrencyLimiter>(options_->max_streams, options_->max_streams_per_bot)) {
  rate_limited();  // served from the first scrape, at zero
}

std::shared_ptr<const LimitOptions> Protection::options() const {
  std::lock_guard lock(options_mutex_);
  return options_;
}

void Protection::reconfigure(LimitOptions options) {
  per_ip_.set_rate(options.per_ip);
  per_ip_sign_in_.set_rate(options.per_ip_sign_in);
  per_key_.set_rate(options.per_key);
  per_bot_.set_rate(options.per_bot);
  per_visitor_.set_rate(options.per_visitor);
  streams_->set_limits(options.max_streams, options.max_streams_per_bot);
  std::lock_guard lock(options_mutex_);
  options_ = std::make_shared<const LimitOptions>(std::move(options));
}

std::optional<http::Response> Protection::screen(http::Request& request) {
  // What a proxy says about the original request (its scheme: the session cookie's Secure flag) counts only when a
  // trusted proxy says it; from anyone else the header is dropped before a handler can read it.
  if (!from_trusted_proxy(request.remote_address)) request.headers.erase("X-Forwarded-Proto");
  request.remote_address =
      options()->trusted_proxies.client_address(request.remote_address, request.header("X-Forwarded-For"));
  auto refusal = check(request);
  if (refusal) add_security_headers(request, *refusal);
  return refusal;
}

http::Response Protection::around(http::Request& request, const http::Handler& next) {
  if (!request.screened) {
    if (auto refusal = screen(request)) return std::move(*refusal);
  }
  http::Response response = next(request);
  add_security_headers(request, response);
  return response;
}

bool Protection::from_trusted_proxy(std::string_view peer) const {
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(peer, error);
  return !error && options()->trusted_proxies.contains(address);
}

std::optional<http::Response> Protection::check(const http::Request& request) {
  // The REST API, the OpenAI-compatible API (/v1/...) and the metrics (whose key checks read the store); static files
  // and health checks are not limited.
  if (request.method == "OPTIONS" ||
      !(request.path.starts_with("/api/") || request.path.starts_with("/v1/") || request.path == "/metrics")) {
    return std::nullopt;
  }
  const auto segments = segments_of(request.path);  // api, v1, ...
  const std::string address = limits::rate_key(request.remote_address);
  const bool chat = request.method == "POST" && segments.size() == 5 && segments[2] == "bots" && segments[4] == "chat";
  const bool widget = segments.size() >= 3 && segments[2] == "widget";
  if (chat || widget) {
    if (auto decision = per_ip_.acquire(address); !decision.allowed) return too_many(decision, "requests from this address");
    if (chat) {
      if (auto decision = per_bot_.acquire(segments[3]); !decision.allowed) return too_many(decision, "messages for this bot");
    }
    return std::nullopt;
  }
  // Everything that checks a password (or a link standing in for one) is counted as a sign-in attempt.
  if (request.method == "POST" && (request.path == "/api/v1/auth/login" || request.path == "/api/v1/auth/password" ||
                                   request.path.starts_with("/api/v1/auth/link"))) {
    if (auto decision = per_ip_sign_in_.acquire(address); !decision.allowed) return too_many(decision, "sign-in attempts");
    return std::nullopt;
  }
  const std::string credentials = credential_key(request);
  if (credentials.empty()) {
    if (auto decision = per_ip_.acquire(address); !decision.allowed) return too_many(decision, "requests from this address");
  } else if (auto decision = per_key_.acquire(credentials); !decision.allowed) {
    return too_many(decision, "requests with this key");
  }
  return std::nullopt;
}

std::optional<http::Response> Protection::visitor_turn(std::string_view conversation_id) {
  if (auto decision = per_visitor_.acquire(conversation_id); !decision.allowed) {
    return too_many(decision, "messages in this conversation");
  }
  return std::nullopt;
}

std::optional<http::Response> Protection::daily_quota(const store::Bot& bot, std::chrono::system_clock::time_point now) {
  std::int64_t limit = options()->daily_messages_per_bot;
  if (const auto it = bot.settings.find("daily_message_quota"); it != bot.settings.end() && it->is_number_integer()) {
    limit = it->get<std::int64_t>();
  }
  if (limit <= 0) return std::nullopt;
  bool counted = false;
  const Status taken = store_.write(store::Scope::workspace(bot.workspace_id), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(counted, tx.take_daily_message(bot.id, limits::utc_day(now), limit));
    return {};
  });
  if (!taken.ok()) return http::error_response(taken.error());
  if (!counted) return too_many(limits::until_next_utc_day(now), "messages for this bot today");
  return std::nullopt;
}

limits::Slot Protection::stream_slot(std::string_view bot_id) { return streams_->try_acquire(bot_id); }

}  // namespace parley::api
