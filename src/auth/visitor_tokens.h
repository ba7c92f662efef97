// Visitor tokens: how a widget visitor proves that a conversation is theirs. A token names the conversation and
// carries an HMAC-SHA256 of (bot id, conversation id) under an instance-wide key kept in the store, so the server
// needs no per-visitor state and a token for one conversation or bot opens no other.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace parley::auth {

class VisitorTokens {
 public:
  // Loads the instance's signing key, creating it on first use.
  static Result<VisitorTokens> load(store::Store& store);

  // "<conversation id>.<base64url MAC>".
  std::string issue(std::string_view bot_id, std::string_view conversation_id) const;

  // The conversation id that `token` grants for `bot_id`, or `unauthorized`.
  Result<std::string> verify(std::string_view bot_id, std::string_view token) const;

 private:
  explicit VisitorTokens(std::string key) : key_(std::move(key)) {}
  std::string mac(std::string_view bot_id, std::string_view conversation_id) const;

  std::string key_;  // raw key bytes
};

}  // namespace parley::auth
