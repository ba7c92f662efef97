// Abuse and cost limits on the HTTP API, and the headers every response carries.
//
// Around every request (http::Router middleware): the client's address is resolved behind the configured trusted
// proxies (X-Forwarded-For read from the right, see limits/client_address.h), then token buckets are taken:
//   - public widget traffic (POST .../chat, /api/v1/widget/...): per client address (IPv6 by /64);
//   - sign-in (POST /api/v1/auth/login): per client address, a much smaller allowance (password guessing);
//   - the admin API: per API key or session (unauthenticated attempts: per client address);
//   - POST .../chat: per bot as well (one bot cannot take the whole server).
// In the chat handler (api/chat_routes.cpp): per visitor (conversation), the bot's daily message quota, the
// conversation length cap, and concurrent event streams (in total and per bot). A refusal is 429 with Retry-After
// (whole seconds) and the usual JSON error naming the limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/visitor_tokens.h"
#include "http/message.h"
#include "http/router.h"
#include "limits/client_address.h"
#include "limits/concurrency.h"
#include "limits/quota.h"
#include "limits/rate_limiter.h"
#include "store/store.h"

namespace parley::api {

struct LimitOptions {
  limits::TrustedProxies trusted_proxies;  // empty: the TCP peer is the client
  limits::Rate per_ip{10, 40};             // public endpoints, per client address
  limits::Rate per_ip_sign_in{0.2, 10};    // sign-in attempts, per client address
  limits::Rate per_key{50, 200};           // admin API, per API key or session
  limits::Rate per_bot{50, 200};           // chat messages, per bot
  limits::Rate per_visitor{1, 10};         // chat messages, per conversation
  std::size_t max_streams = 512;           // concurrent event streams, in total (0: no cap)
  std::size_t max_streams_per_bot = 64;    // and per bot
  std::int64_t daily_messages_per_bot = 0;  // for bots without settings.daily_message_quota; 0: none
  std::int64_t max_bots_per_workspace = 0;  // bots a workspace may have; 0: no limit
  std::size_t max_conversation_messages = 200;  // stored messages (both sides) before a conversation is closed
  // How long a visitor token stays valid after its conversation's last answer (auth/visitor_tokens.h).
  std::chrono::seconds visitor_token_lifetime = auth::kVisitorTokenLifetime;
};

class Protection {
 public:
  Protection(store::Store& store, LimitOptions options);

  // The server's screen (http::Router::Screen), on the I/O thread before the body is read: resolves the client
  // address and applies the request-level limits; a refusal (with the security headers) costs no body read and no
  // worker.
  std::optional<http::Response> screen(http::Request& request);
  // The middleware: adds security headers; for a request the screen has not seen (a router used without the
  // server), resolves the address and applies the limits itself.
  http::Response around(http::Request& request, const http::Handler& next);

  // The chat handler's checks; each returns the refusal to send, or nullopt to go on.
  std::optional<http::Response> visitor_turn(std::string_view conversation_id);
  // Counts the message against the bot's daily quota in the store (survives a restart); refuses until the next UTC
  // midnight when it is spent. `now` is for tests.
  std::optional<http::Response> daily_quota(const store::Bot& bot,
                                            std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  // A slot for one event stream of `bot_id`, or nullptr when a cap is reached.
  limits::Slot stream_slot(std::string_view bot_id);

  std::shared_ptr<const LimitOptions> options() const;
  // Applies new limits (a configuration reload, SIGHUP): buckets keep their tokens under the new rates, open
  // streams keep their slots.
  void reconfigure(LimitOptions options);

 private:
  std::optional<http::Response> check(const http::Request& request);
  bool from_trusted_proxy(std::string_view peer) const;

  store::Store& store_;
  mutable std::mutex options_mutex_;
  std::shared_ptr<const LimitOptions> options_;
  limits::KeyedRateLimiter per_ip_;
  limits::KeyedRateLimiter per_ip_sign_in_;
  limits::KeyedRateLimiter per_key_;
  limits::KeyedRateLimiter per_bot_;
  limits::KeyedRateLimiter per_visitor_;
  std::shared_ptr<limits::ConcurrencyLimiter> streams_;
};

// 429 with Retry-After for a refusal of `what` ("requests from this address").
http::Response too_many(const limits::Decision& decision, std::string_view what);

// The headers every response gets (nosniff, referrer policy; no caching of API responses unless a handler chose).
void add_security_headers(const http::Request& request, http::Response& response);

}  // namespace parley::api
