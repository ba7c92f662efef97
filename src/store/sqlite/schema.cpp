#include "store/sqlite/schema.h"

#include <algorithm>
#include <array>
#include <set>
#include <stdexcept>
#include <vector>

#include "common/clock.h"
#include "store/sqlite/chunk_index.h"

namespace parley::store::sqlite {
namespace {

struct Migration {
  int version;
  std::string_view sql;
  void (*apply)(Connection&) = nullptr;  // a step SQL alone cannot express, after `sql`
};

void tune_bot_indexes(Connection& db);
void merge_bot_indexes(Connection& db);

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
    // Issue 4 (versions 10-19): crawl sources with schedules, page validators, the durable job queue and the
    // crawl frontier that doubles as the record of each sync.
    Migration{10, R"sql(
ALTER TABLE sources ADD COLUMN config TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sources ADD COLUMN next_sync_at INTEGER;
CREATE INDEX sources_next_sync ON sources(next_sync_at) WHERE next_sync_at IS NOT NULL;
ALTER TABLE documents ADD COLUMN fetched_url TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN etag TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN last_modified TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN modified_at INTEGER;
ALTER TABLE documents ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  source_id TEXT REFERENCES sources(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  requested TEXT NOT NULL DEFAULT '',
  triggered_by TEXT NOT NULL DEFAULT 'manual',
  params TEXT NOT NULL DEFAULT '{}',
  progress TEXT NOT NULL DEFAULT '{}',
  result TEXT NOT NULL DEFAULT '{}',
  error TEXT NOT NULL DEFAULT '',
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_claim ON jobs(state, created_at);
CREATE INDEX jobs_bot ON jobs(bot_id, created_at);
CREATE INDEX jobs_source ON jobs(source_id, created_at);
CREATE TABLE crawl_pages (
  seq INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  url TEXT NOT NULL,
  depth INTEGER NOT NULL,
  done INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  http_status INTEGER NOT NULL DEFAULT 0,
  document_uri TEXT NOT NULL DEFAULT '',
  referrer TEXT NOT NULL DEFAULT '',
  listed_modified_at INTEGER,
  UNIQUE (job_id, url)
);
CREATE INDEX crawl_pages_pending ON crawl_pages(job_id, done, depth, seq);
)sql"},
    // Files of background ingestion jobs, until ingested.
    Migration{11, R"sql(
CREATE TABLE job_uploads (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL DEFAULT '',
  bytes BLOB NOT NULL
);
CREATE INDEX job_uploads_job ON job_uploads(job_id, id);
)sql"},
    // The full-text index settings of create_bot_index, for the bots created before them.
    Migration{12, "", &tune_bot_indexes},
    // The web app: sign-in sessions, visitor feedback on answers, and instance secrets (the visitor-token key).
    Migration{20, R"sql(
CREATE UNIQUE INDEX users_email ON users(email);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE message_feedback (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL,
  rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
  created_at INTEGER NOT NULL
);
CREATE INDEX message_feedback_conversation ON message_feedback(conversation_id);
CREATE TABLE instance_secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
)sql"},
    // Issue 7 (versions 30-39): leads, handoff to a person, webhooks and the durable outbox of notifications.
    Migration{30, R"sql(
CREATE TABLE leads (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  company TEXT NOT NULL DEFAULT '',
  fields TEXT NOT NULL DEFAULT '{}',
  consent_text TEXT NOT NULL DEFAULT '',
  consented_at INTEGER,
  trigger TEXT NOT NULL DEFAULT '',
  conversation_id TEXT NOT NULL DEFAULT '',
  submissions INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX leads_bot ON leads(bot_id, created_at);
CREATE INDEX leads_email ON leads(bot_id, email) WHERE email <> '';
CREATE INDEX leads_phone ON leads(bot_id, phone) WHERE phone <> '';
ALTER TABLE conversations ADD COLUMN agent_id TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN agent_name TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN handoff_requested_at INTEGER;
ALTER TABLE conversations ADD COLUMN handoff_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN claim_deadline_at INTEGER;
ALTER TABLE conversations ADD COLUMN handoff_notice_at INTEGER;
ALTER TABLE conversations ADD COLUMN claimed_at INTEGER;
ALTER TABLE conversations ADD COLUMN closed_at INTEGER;
ALTER TABLE conversations ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN lead_id TEXT NOT NULL DEFAULT '';
CREATE INDEX conversations_support ON conversations(workspace_id, status) WHERE status IN ('waiting_for_agent', 'with_agent');
CREATE INDEX conversations_lead ON conversations(lead_id) WHERE lead_id <> '';
ALTER TABLE messages ADD COLUMN author TEXT NOT NULL DEFAULT '';
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  bot_id TEXT REFERENCES bots(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  events TEXT NOT NULL DEFAULT '[]',
  format TEXT NOT NULL DEFAULT 'json',
  secret TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks(workspace_id);
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL,
  webhook_id TEXT REFERENCES webhooks(id) ON DELETE CASCADE,
  target TEXT NOT NULL DEFAULT '',
  format TEXT NOT NULL DEFAULT 'json',
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX deliveries_due ON deliveries(channel, next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_webhook ON deliveries(webhook_id, id);
CREATE INDEX deliveries_workspace ON deliveries(workspace_id, id);
CREATE TABLE delivery_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  attempted_at INTEGER NOT NULL,
  status INTEGER NOT NULL DEFAULT 0,
  error TEXT NOT NULL DEFAULT '',
  duration_ms INTEGER NOT NULL DEFAULT 0,
  response TEXT NOT NULL DEFAULT ''
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id, id);
)sql"},
    // Issue 8 (versions 40-49): the audit log, append-only (triggers refuse changes) and hash-chained per workspace.
    Migration{40, R"sql(
CREATE TABLE audit_log (
  workspace_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL DEFAULT '',
  before TEXT NOT NULL DEFAULT 'null',
  after TEXT NOT NULL DEFAULT 'null',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (workspace_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql"},
    // The daily message quota per bot, counted in the store so that a restart does not reset it.
    Migration{41, R"sql(
CREATE TABLE bot_daily_messages (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  day INTEGER NOT NULL,
  messages INTEGER NOT NULL,
  PRIMARY KEY (bot_id, day)
) WITHOUT ROWID;
)sql"},
    // Issue 5 (versions 50-59): model generations, for cost and latency accounting and routing decisions.
    Migration{50, R"sql(
CREATE TABLE generations (
  id INTEGER PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  outcome TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  prompt_tokens INTEGER NOT NULL DEFAULT 0,
  completion_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  first_token_ms REAL NOT NULL DEFAULT 0,
  total_ms REAL NOT NULL DEFAULT 0,
  routing TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE INDEX generations_workspace_time ON generations(workspace_id, created_at);
CREATE INDEX generations_bot_time ON generations(bot_id, created_at);
CREATE INDEX generations_message ON generations(message_id);
)sql"},
    // Issue 14, hybrid retrieval (versions 145-149): chunk vectors of the configured embedding model, float32
    // little-endian; `seq` grows per bot and model so that an in-memory index catches up with what was written.
    Migration{145, R"sql(
CREATE TABLE chunk_vectors (
  chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL,
  bot_id TEXT NOT NULL,
  model_name TEXT NOT NULL,
  model_hash TEXT NOT NULL,
  dimensions INTEGER NOT NULL,
  vector BLOB NOT NULL,
  seq INTEGER NOT NULL
);
CREATE INDEX chunk_vectors_model ON chunk_vectors(bot_id, model_hash, seq);
)sql"},
    // Issue 16 (versions 160-169): one full-text table for every bot (chunk_index.h) instead of a table per bot.
    Migration{160, "", &merge_bot_indexes},
    // Issue 17 (versions 170-179): a bot's test suite in the order added (position), each case with its latest result
    // (NULL: never run).
    Migration{170, R"sql(
CREATE TABLE eval_cases (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  question TEXT NOT NULL,
  expect_source TEXT NOT NULL DEFAULT '',
  expect_text TEXT NOT NULL DEFAULT '',
  expect_decline INTEGER NOT NULL DEFAULT 0,
  position INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  last_passed INTEGER,
  last_answer TEXT NOT NULL DEFAULT '',
  last_mode TEXT NOT NULL DEFAULT '',
  last_sources TEXT NOT NULL DEFAULT '[]',
  last_run_at BIGINT
);
CREATE INDEX eval_cases_bot ON eval_cases(bot_id, position);
)sql"},
    // Issue 18 (versions 180-189): one-time links for invitations and password resets, and test conversations (the
    // playground's), which analytics leave out.
    Migration{180, R"sql(
CREATE TABLE account_tokens (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  purpose TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX account_tokens_user ON account_tokens(user_id);
ALTER TABLE conversations ADD COLUMN test INTEGER NOT NULL DEFAULT 0;
)sql"},
    // Issue 19 (versions 190-199): the request a delivery's event came from, so that its logs and its POST carry it.
    Migration{190, R"sql(
ALTER TABLE deliveries ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
)sql"},
    // Issue 17, learning from misses (versions 200-209): the suggestions an owner answered, each with the curated
    // pair that answers it; the misses asked before answered_at are settled.
    Migration{200, R"sql(
CREATE TABLE suggestion_answers (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  bot_id TEXT NOT NULL REFERENCES bots(id) ON DELETE CASCADE,
  suggestion_id TEXT NOT NULL,
  document_id TEXT NOT NULL DEFAULT '',
  answered_at BIGINT NOT NULL,
  PRIMARY KEY (bot_id, suggestion_id)
);
)sql"},
    // Issue 17, data governance (versions 210-219): a workspace's retention in days (0: forever), and the indexes
    // that let the retention job find the oldest activity and an erasure find a person's leads (by email, by
    // conversation).
    Migration{210, R"sql(
ALTER TABLE workspaces ADD COLUMN conversation_retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN lead_retention_days INTEGER NOT NULL DEFAULT 0;
CREATE INDEX conversations_activity ON conversations(bot_id, updated_at);
CREATE INDEX leads_activity ON leads(bot_id, updated_at);
CREATE INDEX leads_email_folded ON leads(lower(email)) WHERE email <> '';
CREATE INDEX leads_conversation ON leads(conversation_id) WHERE conversation_id <> '';
)sql"},
};

// Before version 160 each bot had its own FTS5 table, fts_<bot id>, and an fts5vocab view of it.
std::string fts_table(std::string_view bot_id) {
  // Bot ids are generated as [a-z0-9_]; anything else would be a bug, never user input.
  for (char c : bot_id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      throw std::invalid_argument("bot id is not a safe identifier");
    }
  }
  return "fts_" + std::string(bot_id);
}

std::vector<std::string> bot_ids(Connection& db) {
  std::vector<std::string> bots;
  auto stmt = db.prepare("SELECT id FROM bots");
  while (stmt.step()) bots.push_back(stmt.text(0));
  return bots;
}

// The per-bot tables' merge setting (see create_chunk_index), for the bots created before it.
void tune_bot_indexes(Connection& db) {
  for (const auto& bot : bot_ids(db)) {
    const std::string table = fts_table(bot);
    db.exec("INSERT INTO " + table + "(" + table + ", rank) VALUES('automerge', 8)");
  }
}

// Moves every bot's rows from its own table into chunk_index, counting the statistics, and drops the old tables.
void merge_bot_indexes(Connection& db) {
  create_chunk_index(db);
  ChunkIndex index(db);
  for (const auto& bot : bot_ids(db)) {
    const std::string table = fts_table(bot);
    bool exists = false;
    {
      auto found = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
      found.bind(1, table);
      exists = found.step();
    }
    if (!exists) continue;
    {
      auto rows = db.prepare("SELECT rowid, title, headings, body, kind FROM " + table);
      while (rows.step()) {
        index.add(bot, rows.integer(0), {rows.text(1), rows.text(2), rows.text(3)},
                  rows.text(4) == "qa" ? ChunkKind::qa : ChunkKind::passage);
      }
    }
    db.clear_statement_cache();
    db.exec("DROP TABLE IF EXISTS " + table + "_vocab; DROP TABLE " + table + ";");
  }
}

}  // namespace

int migrate(Connection& db) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  // Branches number their migrations in separate ranges, so a database may have a later version applied and an
  // earlier one not yet: every migration missing from the table is applied, in order.
  std::set<int> applied;
  {
    auto stmt = db.prepare("SELECT version FROM schema_migrations");
    while (stmt.step()) applied.insert(static_cast<int>(stmt.integer(0)));
  }
  int current = applied.empty() ? 0 : *applied.rbegin();
  if (current > kMigrations.back().version) {
    throw std::runtime_error("the database was written by a newer Parley (schema version " +
                             std::to_string(current) + ")");
  }
  for (const auto& migration : kMigrations) {
    if (applied.contains(migration.version)) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      if (!migration.sql.empty()) db.exec(migration.sql);
      if (migration.apply != nullptr) migration.apply(db);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
          .bind(1, migration.version)
          .bind(2, unix_millis())
          .run();
      db.exec("COMMIT");
    } catch (...) {
      db.exec("ROLLBACK");
      throw;
    }
    current = std::max(current, migration.version);
  }
  db.clear_statement_cache();
  return current;
}

}  // namespace parley::store::sqlite
