#include "auth/sessions.h"

#include "audit/audit.h"
#include "auth/passwords.h"
#include "common/clock.h"
#include "common/ids.h"

namespace parley::auth {
namespace {

Error wrong_credentials() { return make_error(ErrorCode::unauthorized, "wrong email or password"); }
Error no_session() { return make_error(ErrorCode::unauthorized, "please sign in"); }

constexpr std::size_t kTokenBytes = 20;
constexpr std::size_t kMaxTokenChars = 64;

}  // namespace

Result<SignedIn> sign_in(store::Store& store, std::string_view email, std::string_view password) {
  std::optional<store::User> user;
  PARLEY_TRY(store.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(user, tx.user_by_email(email));
    return {};
  }));
  // An unknown email, or an invited account without a password yet, costs as much time as a wrong password.
  if (!user || user->password_hash.empty()) {
    verify_against_dummy(password);
    return wrong_credentials();
  }
  if (!verify_password(password, user->password_hash)) return wrong_credentials();
  SignedIn signed_in;
  signed_in.token = random_token(kTokenBytes);
  signed_in.user = *user;
  store::Session session;
  session.id = sha256_hex(signed_in.token);
  session.workspace_id = user->workspace_id;
  session.user_id = user->id;
  session.expires_at = unix_millis() + std::chrono::duration_cast<std::chrono::milliseconds>(kSessionLifetime).count();
  PARLEY_TRY(store.write(store::Scope::workspace(user->workspace_id), [&](store::WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(signed_in.session, tx.create_session(session));
    return {};
  }));
  return signed_in;
}

Result<SessionUser> resume_session(store::Store& store, std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenChars) return no_session();
  std::optional<store::Session> session;
  std::optional<store::User> user;
  PARLEY_TRY(store.read(store::Scope::system(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(session, tx.session(sha256_hex(token)));
    if (session) {
      PARLEY_ASSIGN_OR_RETURN(user, tx.user(session->user_id));
    }
    return {};
  }));
  if (!session || !user || session->expires_at <= unix_millis()) return no_session();
  return SessionUser{*session, *user};
}

Status sign_out(store::Store& store, std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenChars) return {};
  return store.write(store::Scope::system(), [&](store::WriteTx& tx) { return tx.delete_session(sha256_hex(token)); });
}

Status replace_password(store::WriteTx& tx, const store::User& user, std::string_view password_hash,
                        const PasswordChange& change) {
  PARLEY_TRY(tx.set_user_password(user.id, password_hash));
  PARLEY_ASSIGN_OR_RETURN(const int ended, tx.delete_user_sessions(user.id, change.kept_session_id));
  const store::Json after = {{"id", user.id}, {"email", user.email}, {"sessions_ended", ended}};
  return audit::record(tx, user.workspace_id,
                       {change.actor, change.kept_session_id.empty() ? "user.password_reset" : "user.password_change",
                        user.id, nullptr, after});
}

Status change_password(store::Store& store, const SessionUser& signed_in, std::string_view current_password,
                       std::string_view new_password) {
  if (!verify_password(current_password, signed_in.user.password_hash)) {
    return make_error(ErrorCode::unauthorized, "the current password is wrong");
  }
  PARLEY_ASSIGN_OR_RETURN(const std::string hash, hash_password(new_password));
  return store.write(store::Scope::workspace(signed_in.user.workspace_id), [&](store::WriteTx& tx) {
    return replace_password(tx, signed_in.user, hash, {"user:" + signed_in.user.id, signed_in.session.id});
  });
}

Principal session_principal(const SessionUser& signed_in) {
  Principal principal;
  principal.workspace_id = signed_in.user.workspace_id;
  principal.role = signed_in.user.role;
  principal.user_id = signed_in.user.id;
  return principal;
}

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) return pair.substr(equals + 1);
  }
  return {};
}

}  // namespace parley::auth
