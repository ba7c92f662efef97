// Visitor tokens: how a widget visitor proves that a conversation is theirs. A token names the conversation and
// when it expires, and carries an HMAC-SHA256 of (bot id, conversation id, expiry) under an instance-wide key kept
// in the store, so the server needs no per-visitor state and a token for one conversation or bot opens no other.
// Every answer comes with a fresh token, so a conversation in use never expires; one left alone for the token's
// lifetime (7 days unless configured) can no longer be read or continued with it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace parley::auth {

constexpr std::chrono::seconds kVisitorTokenLifetime = std::chrono::hours(24 * 7);

// What a genuine token says.
struct VisitorGrant {
  std::string conversation_id;
  bool expired = false;  // past its expiry: the conversation is no longer the visitor's to continue
};

class VisitorTokens {
 public:
  using Clock = std::chrono::system_clock;

  // Loads the instance's signing key, creating it on first use.
  static Result<VisitorTokens> load(store::Store& store, std::chrono::seconds lifetime = kVisitorTokenLifetime);

  // "<conversation id>.<expiry, unix seconds>.<base64url MAC>", valid for the lifetime from `now`.
  std::string issue(std::string_view bot_id, std::string_view conversation_id, Clock::time_point now = Clock::now()) const;

  // What `token` grants for `bot_id`, expired or not; `unauthorized` for a token this instance did not sign for
  // this bot (tampered, another bot's, malformed). Tokens from before expiries (no expiry field) are genuine and
  // expired.
  Result<VisitorGrant> check(std::string_view bot_id, std::string_view token, Clock::time_point now = Clock::now()) const;

  // The conversation id of a genuine token that has not expired, or `unauthorized`.
  Result<std::string> verify(std::string_view bot_id, std::string_view token, Clock::time_point now = Clock::now()) const;

 private:
  VisitorTokens(std::string key, std::chrono::seconds lifetime) : key_(std::move(key)), lifetime_(lifetime) {}
  std::string mac(std::string_view message) const;

  std::string key_;  // raw key bytes
  std::chrono::seconds lifetime_;
};

}  // namespace parley::auth
