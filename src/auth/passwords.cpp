#include "auth/passwords.h"

#include <sodium.h>

#include <mutex>

#include "common/ids.h"

namespace parley::auth {

Result<std::string> hash_password(std::string_view password) {
  if (password.size() < kMinPasswordChars) {
    return make_error(ErrorCode::invalid_request,
                      "the password must have at least " + std::to_string(kMinPasswordChars) + " characters");
  }
  if (password.size() > kMaxPasswordBytes) return make_error(ErrorCode::invalid_request, "the password is too long");
  if (sodium_init() < 0) return make_error(ErrorCode::internal, "libsodium is not available");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return make_error(ErrorCode::unavailable, "not enough memory to hash the password");
  }
  return std::string(hash);
}

bool verify_password(std::string_view password, std::string_view hash) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES || password.size() > kMaxPasswordBytes) return false;
  if (sodium_init() < 0) return false;
  // crypto_pwhash_str_verify wants a NUL-terminated hash.
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void verify_against_dummy(std::string_view password) {
  static std::once_flag once;
  static std::string dummy;
  std::call_once(once, [] {
    auto hashed = hash_password(generate_password());
    if (hashed.ok()) dummy = std::move(hashed).value();
  });
  verify_password(password, dummy);
}

std::string generate_password() { return random_token(15); }

}  // namespace parley::auth
