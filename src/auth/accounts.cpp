#include "auth/accounts.h"

#include "auth/passwords.h"
#include "auth/sessions.h"
#include "common/clock.h"
#include "common/ids.h"

namespace parley::auth {
namespace {

constexpr std::size_t kLinkTokenBytes = 24;
constexpr std::size_t kMaxLinkTokenChars = 64;

Error dead_link() {
  return make_error(ErrorCode::unauthorized, "this link has expired or was already used; ask the workspace's owner for a new one");
}

}  // namespace

std::string_view link_purpose_name(LinkPurpose purpose) { return purpose == LinkPurpose::invite ? "invite" : "reset"; }

Result<std::string> issue_account_link(store::WriteTx& tx, const store::User& user, LinkPurpose purpose) {
  PARLEY_TRY(tx.delete_account_tokens(user.id));
  const std::string token = random_token(kLinkTokenBytes);
  store::AccountToken record;
  record.id = sha256_hex(token);
  record.workspace_id = user.workspace_id;
  record.user_id = user.id;
  record.purpose = std::string(link_purpose_name(purpose));
  const auto lifetime = purpose == LinkPurpose::invite ? kInviteLifetime : kResetLifetime;
  record.expires_at = unix_millis() + std::chrono::duration_cast<std::chrono::milliseconds>(lifetime).count();
  PARLEY_TRY(tx.create_account_token(record));
  return token;
}

Result<AccountLink> find_account_link(store::Store& store, std::string_view token) {
  if (token.empty() || token.size() > kMaxLinkTokenChars) return dead_link();
  std::optional<store::AccountToken> found;
  std::optional<store::User> user;
  PARLEY_TRY(store.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(found, tx.account_token(sha256_hex(token)));
    if (found) {
      PARLEY_ASSIGN_OR_RETURN(user, tx.user(found->user_id));
    }
    return {};
  }));
  if (!found || !user || found->expires_at <= unix_millis()) return dead_link();
  return AccountLink{*found, *user};
}

Result<store::User> redeem_account_link(store::Store& store, std::string_view token, std::string_view password,
                                        std::string_view name) {
  PARLEY_ASSIGN_OR_RETURN(const AccountLink link, find_account_link(store, token));
  PARLEY_ASSIGN_OR_RETURN(const std::string hash, hash_password(password));
  store::User user = link.user;
  PARLEY_TRY(store.write(store::Scope::workspace(user.workspace_id), [&](store::WriteTx& tx) -> Status {
    // Used up in this transaction: a second use of the same link finds nothing.
    PARLEY_ASSIGN_OR_RETURN(const auto still, tx.account_token(link.token.id));
    if (!still) return dead_link();
    PARLEY_TRY(replace_password(tx, user, hash, {"user:" + user.id, {}}));
    if (!name.empty()) {
      PARLEY_TRY(tx.set_user_name(user.id, name));
      user.name = std::string(name);
    }
    return tx.delete_account_tokens(user.id);
  }));
  user.password_hash = hash;
  return user;
}

Result<std::string> reset_to_generated_password(store::WriteTx& tx, const store::User& user, const std::string& actor) {
  std::string password = generate_password();
  PARLEY_ASSIGN_OR_RETURN(const std::string hash, hash_password(password));
  PARLEY_TRY(replace_password(tx, user, hash, {actor, {}}));
  PARLEY_TRY(tx.delete_account_tokens(user.id));
  return password;
}

}  // namespace parley::auth
