// Account changes that involve a password: an owner's invitation and password-reset links (one-time tokens), a
// generated password shown once, and a signed-in user's own password change. Every password an account gets is
// written here (set_password), so what must go with a new password happens in one place.
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

// Sets the password of a link's account (and its name when not empty), and uses up every link of the account.
Result<store::User> redeem_account_link(store::Store& store, std::string_view token, std::string_view password,
                                        std::string_view name);

// Gives `user` a new generated password in the transaction and returns it (to be shown once).
Result<std::string> reset_to_generated_password(store::WriteTx& tx, const store::User& user);

// A signed-in user's own change: the current password must match.
Status change_password(store::Store& store, const std::string& workspace_id, const std::string& user_id,
                       std::string_view current_password, std::string_view new_password);

// Stores `password_hash` as the account's password; every password change goes through here.
Status set_password(store::WriteTx& tx, const std::string& user_id, std::string_view password_hash);

}  // namespace parley::auth
