#include "auth/visitor_tokens.h"

#include <sodium.h>

#include "common/ids.h"

namespace parley::auth {
namespace {

constexpr std::string_view kSecretName = "visitor_token_key";
constexpr std::size_t kMaxTokenChars = 256;

Error invalid_token() { return make_error(ErrorCode::unauthorized, "this conversation is not yours, or it has expired"); }

}  // namespace

Result<VisitorTokens> VisitorTokens::load(store::Store& store) {
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
  return VisitorTokens(std::move(key));
}

std::string VisitorTokens::mac(std::string_view bot_id, std::string_view conversation_id) const {
  const std::string message = "parley-visitor-v1\n" + std::string(bot_id) + "\n" + std::string(conversation_id);
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  crypto_auth_hmacsha256_final(&state, out);
  char encoded[sodium_base64_ENCODED_LEN(sizeof out, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, out, sizeof out, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return encoded;
}

std::string VisitorTokens::issue(std::string_view bot_id, std::string_view conversation_id) const {
  return std::string(conversation_id) + "." + mac(bot_id, conversation_id);
}

Result<std::string> VisitorTokens::verify(std::string_view bot_id, std::string_view token) const {
  if (token.size() > kMaxTokenChars) return invalid_token();
  const std::size_t dot = token.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return invalid_token();
  const std::string_view conversation_id = token.substr(0, dot);
  if (!constant_time_equal(token.substr(dot + 1), mac(bot_id, conversation_id))) return invalid_token();
  return std::string(conversation_id);
}

}  // namespace parley::auth
