// Account changes that involve a password: an owner's invitation and password-reset links (one-time tokens) and a
// generated password shown once. Every new password goes through auth::replace_password (sessions.h), which ends
// the account's sessions and audits the change; a signed-in user's own change is auth::change_password.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"
#include "store/store.h"

namespace parley::auth {

enum class LinkPurpose { invite, reset };
std::string_view link_purpose_name(LinkPurpose purpose);

constexpr std::chrono::hours kInviteLifetime{24 * 7};
constexpr std::chrono::hours kResetLifetime{24};

// Creates a one-time link token for `user` in the transaction (the account's earlier links stop working); returns
// the token, to be put in a link and shown or emailed once. Only its SHA-256 is stored.
Result<std::string> issue_account_link(store::WriteTx& tx, const store::User& user, LinkPurpose purpose);

// What a presented link token opens: the account and why; `unauthorized` when unknown, used or expired.
struct AccountLink {
  store::AccountToken token;
  store::User user;
};
Result<AccountLink> find_account_link(store::Store& store, std::string_view token);

// Sets the password of a link's account (and its name when not empty), ends the account's sessions, and uses up
// every link of the account.
Result<store::User> redeem_account_link(store::Store& store, std::string_view token, std::string_view password,
                                        std::string_view name);

// Gives `user` a new generated password in the transaction and returns it (to be shown once); every session of the
// account ends and its links stop working. `actor` as in the audit log ("cli", "user:<id>", "key:<id>").
Result<std::string> reset_to_generated_password(store::WriteTx& tx, const store::User& user, const std::string& actor);

}  // namespace parley::auth
