#include "store/sqlite/schema.h"

#include <array>
#include <stdexcept>

#include "common/clock.h"

namespace parley::store::sqlite {
namespace {

struct Migration {
  int version;
  std::string_view sql;
};

// Append only: a released migration is never edited; a change is a new migration.
constexpr std::array kMigrations = {
    Migration{1, R"sql(
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  password_hash TEXT,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (workspace_id, email)
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_keys_workspace ON api_keys(workspace_id);
CREATE TABLE bots (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  settings TEXT NOT NULL DEFAULT '{}',
  knowledge_version INTEGER NOT NULL DEFAULT 0,
  chunk_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX bots_workspace ON bots(workspace_id);
CREATE TABLE sources (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (bot_id, name)
);
CREATE TABLE documents (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
  uri TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  content_type TEXT NOT NULL DEFAULT '',
  content_hash TEXT NOT NULL DEFAULT '',
  byte_size INTEGER NOT NULL DEFAULT 0,
  language TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (source_id, uri)
);
CREATE INDEX documents_bot ON documents(bot_id);
CREATE TABLE chunks (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  heading_path TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL,
  metadata TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX chunks_document ON chunks(document_id);
CREATE INDEX chunks_bot ON chunks(bot_id);
CREATE TABLE conversations (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  message_count INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_bot ON conversations(bot_id, created_at);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  text TEXT NOT NULL,
  mode TEXT NOT NULL DEFAULT '',
  confidence REAL NOT NULL DEFAULT 0,
  sources TEXT NOT NULL DEFAULT '[]',
  latency_us INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);
)sql"},
};

}  // namespace

int migrate(Connection& db) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  int current = 0;
  {
    auto stmt = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (stmt.step()) current = static_cast<int>(stmt.integer(0));
  }
  if (current > kMigrations.back().version) {
    throw std::runtime_error("the database was written by a newer Parley (schema version " +
                             std::to_string(current) + ")");
  }
  for (const auto& migration : kMigrations) {
    if (migration.version <= current) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
          .bind(1, migration.version)
          .bind(2, unix_millis())
          .run();
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
    current = migration.version;
  }
  db.clear_statement_cache();
  return current;
}

std::string fts_table(std::string_view bot_id) {
  // Bot ids are generated as [a-z0-9_]; anything else would be a bug, never user input.
  for (char c : bot_id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      throw std::invalid_argument("bot id is not a safe identifier");
    }
  }
  return "fts_" + std::string(bot_id);
}

std::string fts_vocab_table(std::string_view bot_id) { return fts_table(bot_id) + "_vocab"; }

void create_bot_index(Connection& db, std::string_view bot_id) {
  const std::string table = fts_table(bot_id);
  // The columns hold analysed terms (see text::Analyzer), so the tokenizer only splits on spaces; `kind` is a
  // filter column ("passage" / "qa") with weight 0 in BM25.
  db.exec("CREATE VIRTUAL TABLE " + table +
          " USING fts5(title, headings, body, kind, tokenize = \"unicode61 remove_diacritics 0 categories 'L* N* Co M*'\");"
          "CREATE VIRTUAL TABLE " + fts_vocab_table(bot_id) + " USING fts5vocab(" + table + ", 'row');");
}

void drop_bot_index(Connection& db, std::string_view bot_id) {
  db.exec("DROP TABLE IF EXISTS " + fts_vocab_table(bot_id) + "; DROP TABLE IF EXISTS " + fts_table(bot_id) + ";");
  db.clear_statement_cache();
}

}  // namespace parley::store::sqlite
