// Authentication: API keys, users, sign-in sessions and instance secrets.
#include "common/clock.h"
#include "common/ids.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

Result<std::optional<ApiKey>> SqlTx::api_key_by_prefix(std::string_view prefix) {
  return one(sql({"SELECT ", kApiKeyColumns, " FROM api_keys WHERE prefix = ? AND ", kInScope}), read_api_key, prefix);
}

Result<std::vector<ApiKey>> SqlTx::api_keys() {
  return all(sql({"SELECT ", kApiKeyColumns, " FROM api_keys WHERE ", kInScope, " ORDER BY created_at"}), read_api_key);
}

Result<ApiKey> SqlTx::create_api_key(const ApiKey& key) {
  PARLEY_TRY(require_workspace(key.workspace_id));
  ApiKey stored = key;
  stored.id = new_id("key");
  stored.created_at = unix_millis();
  db_.prepare("INSERT INTO api_keys (id, workspace_id, name, prefix, secret_hash, role, created_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind(1, stored.id)
      .bind(2, stored.workspace_id)
      .bind(3, stored.name)
      .bind(4, stored.prefix)
      .bind(5, stored.secret_hash)
      .bind(6, role_name(stored.role))
      .bind(7, stored.created_at)
      .run();
  return stored;
}

Status SqlTx::touch_api_key(std::string_view key_id, std::int64_t used_at) {
  auto stmt = db_.prepare(sql({"UPDATE api_keys SET last_used_at = ? WHERE id = ? AND ", kInScope}));
  stmt.bind(1, used_at).bind(2, key_id);
  bind_scope(stmt);
  stmt.run();
  return {};
}

Status SqlTx::revoke_api_key(std::string_view key_id) {
  auto stmt = db_.prepare(sql({"UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND ", kInScope}));
  stmt.bind(1, unix_millis()).bind(2, key_id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such active API key");
  return {};
}

Result<std::optional<User>> SqlTx::user_by_email(std::string_view email) {
  return one(sql({"SELECT ", kUserColumns, " FROM users WHERE email = ? AND ", kInScope}), read_user, ascii_lower(email));
}

Result<std::optional<User>> SqlTx::user(std::string_view user_id) {
  return one(sql({"SELECT ", kUserColumns, " FROM users WHERE id = ? AND ", kInScope}), read_user, user_id);
}

Result<std::optional<Session>> SqlTx::session(std::string_view session_id) {
  return one(sql({"SELECT id, workspace_id, user_id, created_at, expires_at FROM sessions WHERE id = ? AND ", kInScope}),
             [](const Statement& row) { return Session{row.text(0), row.text(1), row.text(2), row.integer(3), row.integer(4)}; },
             session_id);
}

Result<std::vector<User>> SqlTx::users() {
  return all(sql({"SELECT ", kUserColumns, " FROM users WHERE ", kInScope, " ORDER BY created_at, id"}), read_user);
}

Result<std::optional<AccountToken>> SqlTx::account_token(std::string_view token_id) {
  return one(sql({"SELECT id, workspace_id, user_id, purpose, created_at, expires_at FROM account_tokens WHERE id = ? AND ",
                  kInScope}),
             [](const Statement& row) {
               return AccountToken{row.text(0), row.text(1), row.text(2), row.text(3), row.integer(4), row.integer(5)};
             },
             token_id);
}

Result<User> SqlTx::create_user(const User& user) {
  PARLEY_TRY(require_workspace(user.workspace_id));
  User stored = user;
  stored.id = new_id("usr");
  stored.email = ascii_lower(user.email);
  stored.created_at = unix_millis();
  db_.prepare(sql({"INSERT INTO users (", kUserColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?)"}))
      .bind(1, stored.id)
      .bind(2, stored.workspace_id)
      .bind(3, stored.email)
      .bind(4, stored.name)
      .bind(5, stored.password_hash)
      .bind(6, role_name(stored.role))
      .bind(7, stored.created_at)
      .run();
  return stored;
}

Status SqlTx::set_user_column(std::string_view column, std::string_view value, std::string_view user_id) {
  auto stmt = db_.prepare(sql({"UPDATE users SET ", column, " = ? WHERE id = ? AND ", kInScope}));
  stmt.bind(1, value).bind(2, user_id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such user");
  return {};
}

Status SqlTx::set_user_password(std::string_view user_id, std::string_view password_hash) {
  return set_user_column("password_hash", password_hash, user_id);
}

Status SqlTx::set_user_role(std::string_view user_id, Role role) {
  return set_user_column("role", role_name(role), user_id);
}

Status SqlTx::delete_user(std::string_view user_id) {
  auto stmt = db_.prepare(sql({"DELETE FROM users WHERE id = ? AND ", kInScope}));  // cascades to sessions
  stmt.bind(1, user_id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such user");
  return {};
}

Status SqlTx::set_user_name(std::string_view user_id, std::string_view name) {
  return set_user_column("name", name, user_id);
}

Status SqlTx::create_account_token(const AccountToken& token) {
  PARLEY_TRY(require_workspace(token.workspace_id));
  const std::int64_t now = unix_millis();
  db_.prepare("INSERT INTO account_tokens (id, workspace_id, user_id, purpose, created_at, expires_at) "
              "VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, token.id)
      .bind(2, token.workspace_id)
      .bind(3, token.user_id)
      .bind(4, token.purpose)
      .bind(5, now)
      .bind(6, token.expires_at)
      .run();
  // Expired links of anyone are dropped here, so the table never grows without bound.
  db_.prepare("DELETE FROM account_tokens WHERE expires_at < ?").bind(1, now).run();
  return {};
}

Status SqlTx::delete_account_tokens(std::string_view user_id) {
  auto stmt = db_.prepare(sql({"DELETE FROM account_tokens WHERE user_id = ? AND ", kInScope}));
  stmt.bind(1, user_id);
  bind_scope(stmt);
  stmt.run();
  return {};
}

Result<Session> SqlTx::create_session(const Session& session) {
  PARLEY_TRY(require_workspace(session.workspace_id));
  Session stored = session;
  stored.created_at = unix_millis();
  db_.prepare("INSERT INTO sessions (id, workspace_id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
      .bind(1, stored.id)
      .bind(2, stored.workspace_id)
      .bind(3, stored.user_id)
      .bind(4, stored.created_at)
      .bind(5, stored.expires_at)
      .run();
  // Expired sessions of anyone are dropped here, so the table never grows without bound.
  db_.prepare("DELETE FROM sessions WHERE expires_at < ?").bind(1, stored.created_at).run();
  return stored;
}

Status SqlTx::delete_session(std::string_view session_id) {
  auto stmt = db_.prepare(sql({"DELETE FROM sessions WHERE id = ? AND ", kInScope}));
  stmt.bind(1, session_id);
  bind_scope(stmt);
  stmt.run();
  return {};
}

Result<int> SqlTx::delete_user_sessions(std::string_view user_id, std::string_view kept_session_id) {
  auto stmt = db_.prepare(sql({"DELETE FROM sessions WHERE user_id = ? AND id <> ? AND ", kInScope}));
  stmt.bind(1, user_id).bind(2, kept_session_id);
  bind_scope(stmt);
  stmt.run();
  return db_.changes();
}

Result<std::string> SqlTx::instance_secret(std::string_view name, std::string_view initial) {
  if (!scope_.is_system()) return make_error(ErrorCode::forbidden, "instance secrets belong to the system scope");
  db_.prepare("INSERT INTO instance_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
      .bind(1, name)
      .bind(2, initial)
      .bind(3, unix_millis())
      .run();
  auto stmt = db_.prepare("SELECT value FROM instance_secrets WHERE name = ?");
  stmt.bind(1, name);
  if (!stmt.step()) return make_error(ErrorCode::internal, "instance secret missing");
  return stmt.text(0);
}

}  // namespace parley::store
