#include "auth/visitor_tokens.h"

#include <sodium.h>

#include <charconv>

#include "common/ids.h"

namespace parley::auth {
namespace {

constexpr std::string_view kSecretName = "visitor_token_key";
constexpr std::size_t kMaxTokenChars = 256;

Error invalid_token() { return make_error(ErrorCode::unauthorized, "this conversation is not yours"); }

std::string signed_message(std::string_view bot_id, std::string_view conversation_id, std::string_view expires) {
  return "parley-visitor-v2\n" + std::string(bot_id) + "\n" + std::string(conversation_id) + "\n" + std::string(expires);
}

// Tokens issued before they had an expiry: "<conversation id>.<MAC>".
std::string legacy_message(std::string_view bot_id, std::string_view conversation_id) {
  return "parley-visitor-v1\n" + std::string(bot_id) + "\n" + std::string(conversation_id);
}

std::int64_t unix_seconds(VisitorTokens::Clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

}  // namespace

Result<VisitorTokens> VisitorTokens::load(store::Store& store, std::chrono::seconds lifetime) {
  if (sodium_init() < 0) return make_error(ErrorCode::internal, "libsodium is not available");
  unsigned char fresh[crypto_auth_hmacsha256_KEYBYTES];
  crypto_auth_hmacsha256_keygen(fresh);
  char hex[sizeof fresh * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, fresh, sizeof fresh);
  sodium_memzero(fresh, sizeof fresh);
  std::string stored;
  PARLEY_TRY(store.write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(stored, tx.instance_secret(kSecretName, hex));
    return {};
  }));
  std::string key(crypto_auth_hmacsha256_KEYBYTES, '\0');
  std::size_t key_length = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), stored.data(), stored.size(), nullptr,
                     &key_length, nullptr) != 0 ||
      key_length != key.size()) {
    return make_error(ErrorCode::internal, "the stored visitor-token key is malformed");
  }
  return VisitorTokens(std::move(key), lifetime);
}

std::string VisitorTokens::mac(std::string_view message) const {
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  crypto_auth_hmacsha256_final(&state, out);
  char encoded[sodium_base64_ENCODED_LEN(sizeof out, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, out, sizeof out, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return encoded;
}

std::string VisitorTokens::issue(std::string_view bot_id, std::string_view conversation_id, Clock::time_point now) const {
  const std::string expires = std::to_string(unix_seconds(now + lifetime_));
  return std::string(conversation_id) + "." + expires + "." + mac(signed_message(bot_id, conversation_id, expires));
}

Result<VisitorGrant> VisitorTokens::check(std::string_view bot_id, std::string_view token, Clock::time_point now) const {
  if (token.size() > kMaxTokenChars) return invalid_token();
  const std::size_t last_dot = token.rfind('.');
  if (last_dot == std::string_view::npos || last_dot == 0) return invalid_token();
  const std::string_view signature = token.substr(last_dot + 1);
  const std::string_view signed_part = token.substr(0, last_dot);
  // "<conversation>.<expiry>": the expiry is digits after the conversation id's last dot.
  const std::size_t dot = signed_part.rfind('.');
  std::int64_t expires = 0;
  if (dot != std::string_view::npos && dot > 0) {
    const std::string_view digits = signed_part.substr(dot + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), expires);
    if (error == std::errc() && end == digits.data() + digits.size() && !digits.empty()) {
      const std::string_view conversation_id = signed_part.substr(0, dot);
      if (!constant_time_equal(signature, mac(signed_message(bot_id, conversation_id, digits)))) return invalid_token();
      return VisitorGrant{std::string(conversation_id), expires <= unix_seconds(now)};
    }
  }
  if (!constant_time_equal(signature, mac(legacy_message(bot_id, signed_part)))) return invalid_token();
  return VisitorGrant{std::string(signed_part), true};
}

Result<std::string> VisitorTokens::verify(std::string_view bot_id, std::string_view token, Clock::time_point now) const {
  PARLEY_ASSIGN_OR_RETURN(auto grant, check(bot_id, token, now));
  if (grant.expired) {
    return make_error(ErrorCode::unauthorized, "this conversation has expired: start a new one");
  }
  return std::move(grant.conversation_id);
}

}  // namespace parley::auth
