// Passwords of admin-app users: stored only as argon2id hashes (libsodium's crypto_pwhash_str format, which carries
// its own salt and cost parameters), verified in constant time.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace parley::auth {

constexpr std::size_t kMinPasswordChars = 10;
constexpr std::size_t kMaxPasswordBytes = 1024;

// The argon2id hash of `password` (interactive cost: about 64 MiB and a fraction of a second). Fails on a password
// that is too short or too long.
Result<std::string> hash_password(std::string_view password);

// True when `password` matches `hash`. A malformed or empty hash never matches.
bool verify_password(std::string_view password, std::string_view hash);

// Spends the time of one verification without a user, so that an unknown email and a wrong password take as long.
void verify_against_dummy(std::string_view password);

// A random password for a new account (about 120 bits, URL-safe), to be shown once.
std::string generate_password();

}  // namespace parley::auth
