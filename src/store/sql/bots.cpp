// Workspaces and bots: the tenants and their bots (a bot's full-text index is created and dropped with it).
#include "common/clock.h"
#include "common/ids.h"
#include "store/sql/sql_tx.h"

namespace parley::store {

// ---- reads ----
Result<std::optional<Workspace>> SqlTx::workspace(std::string_view id) {
  return one(sql({"SELECT ", kWorkspaceColumns, " FROM workspaces WHERE id = ? AND (:ws = '' OR id = :ws)"}),
             read_workspace, id);
}

Result<std::vector<Workspace>> SqlTx::workspaces() {
  return all(sql({"SELECT ", kWorkspaceColumns, " FROM workspaces WHERE (:ws = '' OR id = :ws) ORDER BY created_at"}),
             read_workspace);
}

Result<std::optional<Bot>> SqlTx::bot(std::string_view bot_id) {
  return one(sql({"SELECT ", kBotColumns, " FROM bots WHERE id = ? AND ", kInScope}), read_bot, bot_id);
}

Result<std::vector<Bot>> SqlTx::bots() {
  return all(sql({"SELECT ", kBotColumns, " FROM bots WHERE ", kInScope, " ORDER BY created_at, id"}), read_bot);
}

// ---- writes ----
Result<Workspace> SqlTx::create_workspace(std::string_view name) {
  if (!scope_.is_system()) return make_error(ErrorCode::forbidden, "workspaces are created by the system scope");
  Workspace workspace{new_id("ws"), std::string(name), unix_millis()};
  db_.prepare("INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)")
      .bind(1, workspace.id)
      .bind(2, workspace.name)
      .bind(3, workspace.created_at)
      .run();
  return workspace;
}

Result<Bot> SqlTx::create_bot(std::string_view name, const Json& settings) {
  if (scope_.is_system()) return make_error(ErrorCode::forbidden, "a bot belongs to a workspace");
  Bot bot;
  bot.id = new_id("bot");
  bot.workspace_id = scope_.workspace_id();
  bot.name = std::string(name);
  bot.settings = settings.is_object() ? settings : Json::object();
  bot.created_at = bot.updated_at = unix_millis();
  db_.prepare("INSERT INTO bots (id, workspace_id, name, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(1, bot.id)
      .bind(2, bot.workspace_id)
      .bind(3, bot.name)
      .bind(4, bot.settings.dump())
      .bind(5, bot.created_at)
      .bind(6, bot.updated_at)
      .run();
  on_bot_created(bot.id);
  return bot;
}

Result<Bot> SqlTx::create_bot_within_quota(std::string_view name, const Json& settings, std::int64_t max_bots) {
  if (scope_.is_system()) return make_error(ErrorCode::forbidden, "a bot belongs to a workspace");
  // Without the lock, two creators under READ COMMITTED would both count max_bots - 1 and both insert.
  lock_workspace("bots");
  auto count = db_.prepare(sql({"SELECT count(*) FROM bots WHERE ", kInScope}));
  bind_scope(count);
  count.step();
  if (count.integer(0) >= max_bots) {
    return make_error(ErrorCode::forbidden, "this workspace has reached its limit of " + std::to_string(max_bots) + " bots");
  }
  return create_bot(name, settings);
}

Result<Bot> SqlTx::update_bot(const Bot& bot) {
  auto stmt = db_.prepare(sql({"UPDATE bots SET name = ?, settings = ?, updated_at = ? WHERE id = ? AND ", kInScope}));
  stmt.bind(1, bot.name).bind(2, bot.settings.dump()).bind(3, unix_millis()).bind(4, bot.id);
  bind_scope(stmt);
  stmt.run();
  if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such bot");
  PARLEY_ASSIGN_OR_RETURN(auto updated, this->bot(bot.id));
  return *updated;
}

Status SqlTx::delete_bot(std::string_view bot_id) {
  PARLEY_ASSIGN_OR_RETURN(auto existing, bot(bot_id));
  if (!existing) return make_error(ErrorCode::not_found, "no such bot");
  owned_bot_.clear();
  on_bot_deleted(bot_id);
  db_.prepare("DELETE FROM bots WHERE id = ?").bind(1, bot_id).run();  // cascades to everything of the bot
  return {};
}

Result<std::optional<std::string>> SqlTx::bot_workspace(std::string_view bot_id) {
  if (!owned_bot_.empty() && bot_id == owned_bot_) return std::optional<std::string>(owned_bot_workspace_);
  auto stmt = db_.prepare(sql({"SELECT workspace_id, knowledge_version FROM bots WHERE id = ? AND ", kInScope}));
  stmt.bind_positional(bot_id);
  bind_scope(stmt);
  if (!stmt.step()) return std::optional<std::string>();
  owned_bot_ = std::string(bot_id);
  owned_bot_workspace_ = stmt.text(0);
  owned_bot_version_ = stmt.integer(1);
  return std::optional<std::string>(owned_bot_workspace_);
}

Status SqlTx::require_workspace(std::string_view workspace_id) {
  if (!scope_.is_system() && scope_.workspace_id() != workspace_id) {
    return make_error(ErrorCode::forbidden, "outside the workspace of this request");
  }
  PARLEY_ASSIGN_OR_RETURN(auto found, workspace(workspace_id));
  if (!found) return make_error(ErrorCode::not_found, "no such workspace");
  return {};
}

}  // namespace parley::store
