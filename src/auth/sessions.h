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

// Who changes a password, and which session outlives the change.
struct PasswordChange {
  std::string actor;            // for the audit log: "cli", "user:<id>", "key:<id>"
  std::string kept_session_id;  // a user changing their own password stays signed in in this session
};

// Stores `password_hash` as the account's password and ends the account's sessions, in the caller's transaction:
// all of them for a reset, all but `change.kept_session_id` for a change; audited as user.password_reset or
// user.password_change with the number of sessions ended. A session opened with the old password (a stolen
// cookie, a shared computer) does not outlive it.
Status replace_password(store::WriteTx& tx, const store::User& user, std::string_view password_hash,
                        const PasswordChange& change);

// A signed-in user changes their own password: the current one must be right (else `unauthorized`), the new one
// acceptable (passwords.h); the session that asks stays signed in, every other session of the account ends.
Status change_password(store::Store& store, const SessionUser& signed_in, std::string_view current_password,
                       std::string_view new_password);

// The principal a session acts as: the user's workspace and role.
Principal session_principal(const SessionUser& signed_in);

// The value of cookie `name` in a Cookie request header; empty when absent.
std::string_view cookie_value(std::string_view cookie_header, std::string_view name);

}  // namespace parley::auth
