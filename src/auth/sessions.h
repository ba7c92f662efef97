// Sign-in sessions of the admin app. A session token is random (160 bits), handed to the browser once in an
// HttpOnly cookie and stored only as its SHA-256; sessions expire after kSessionLifetime.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "auth/api_keys.h"
#include "common/result.h"
#include "store/store.h"

namespace parley::auth {

constexpr std::string_view kSessionCookie = "parley_session";
constexpr std::chrono::hours kSessionLifetime{24 * 7};

struct SignedIn {
  std::string token;  // the cookie value: give it to the browser once, never store it
  store::Session session;
  store::User user;
};

// Checks the email and password and opens a session. Any failure is the same `unauthorized` error (an unknown
// email costs as much time as a wrong password).
Result<SignedIn> sign_in(store::Store& store, std::string_view email, std::string_view password);

struct SessionUser {
  store::Session session;
  store::User user;
};

// The live session of a presented token, or `unauthorized`.
Result<SessionUser> resume_session(store::Store& store, std::string_view token);

// Ends the session of a presented token (nothing happens for an unknown one).
Status sign_out(store::Store& store, std::string_view token);

// The principal a session acts as: the user's workspace and role.
Principal session_principal(const SessionUser& signed_in);

// The value of cookie `name` in a Cookie request header; empty when absent.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace parley::auth
