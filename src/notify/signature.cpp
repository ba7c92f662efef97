#include "notify/signature.h"

#include <sodium.h>

#include "common/ids.h"

namespace parley::notify {

std::string sign_payload(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  const std::string prefix = std::to_string(timestamp) + ".";
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(prefix.data()), prefix.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[2 * crypto_auth_hmacsha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return "v1=" + std::string(hex);
}

bool verify_signature(std::string_view secret, std::int64_t timestamp, std::string_view body, std::string_view signature) {
  return constant_time_equal(sign_payload(secret, timestamp, body), signature);
}

std::string new_webhook_secret() { return "whsec_" + random_token(32); }

}  // namespace parley::notify
