// The SQLite implementation of the store: one writer connection behind a mutex (SQLite allows one writer at a
// time anyway, and queuing in-process is cheaper than busy-waiting), and a pool of reader connections that run
// concurrently with it thanks to WAL.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/ids.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/fts_rank.h"
#include "store/sqlite/schema.h"
#include "store/store.h"
#include "store/store_metrics.h"

namespace parley::store {
namespace sqlite {
namespace {

constexpr std::size_t kMaxCachedStatements = 512;
constexpr std::size_t kMaxIdleReaders = 16;
// The write-ahead log is copied back into the database once it holds this many pages (about 16 MB)...
constexpr int kCheckpointFrames = 4000;
// ... by the checkpointer thread; should it fall this far behind, by the writer itself.
constexpr int kWriterCheckpointFrames = 4 * kCheckpointFrames;

Json parse_json_column(const std::string& text, Json fallback) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? fallback : value;
}

std::string_view chunk_kind_name(ChunkKind kind) { return kind == ChunkKind::qa ? "qa" : "passage"; }

// FTS5 string literal: terms are analyser output, but quoting keeps any character from being query syntax.
std::string fts_quote(std::string_view term) {
  std::string quoted = "\"";
  for (char c : term) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

Json sources_to_json(const std::vector<MessageSource>& sources) {
  Json array = Json::array();
  for (const auto& source : sources) {
    array.push_back({{"chunk_id", source.chunk_id}, {"title", source.title}, {"url", source.url},
                     {"snippet", source.snippet}, {"score", source.score}});
  }
  return array;
}

std::vector<MessageSource> sources_from_json(const Json& array) {
  std::vector<MessageSource> sources;
  if (!array.is_array()) return sources;
  for (const auto& item : array) {
    if (!item.is_object()) continue;
    sources.push_back({item.value("chunk_id", std::int64_t{0}), item.value("title", ""), item.value("url", ""),
                       item.value("snippet", ""), item.value("score", 0.0)});
  }
  return sources;
}

// Column lists shared by the readers of each row type, so a SELECT and its reader cannot drift apart.
constexpr std::string_view kApiKeyColumns =
    "id, workspace_id, name, prefix, secret_hash, role, created_at, last_used_at, revoked_at";
ApiKey read_api_key(const Statement& row) {
  ApiKey key;
  key.id = row.text(0);
  key.workspace_id = row.text(1);
  key.name = row.text(2);
  key.prefix = row.text(3);
  key.secret_hash = row.text(4);
  key.role = parse_role(row.text(5)).value_or(Role::viewer);
  key.created_at = row.integer(6);
  key.last_used_at = row.optional_integer(7);
  key.revoked_at = row.optional_integer(8);
  return key;
}

constexpr std::string_view kBotColumns = "id, workspace_id, name, settings, knowledge_version, created_at, updated_at";
Bot read_bot(const Statement& row) {
  Bot bot;
  bot.id = row.text(0);
  bot.workspace_id = row.text(1);
  bot.name = row.text(2);
  bot.settings = parse_json_column(row.text(3), Json::object());
  bot.knowledge_version = row.integer(4);
  bot.created_at = row.integer(5);
  bot.updated_at = row.integer(6);
  return bot;
}

constexpr std::string_view kSourceColumns =
    "s.id, s.workspace_id, s.bot_id, s.kind, s.name, s.status, s.error, s.created_at, s.updated_at, "
    "(SELECT count(*) FROM documents d WHERE d.source_id = s.id), "
    "(SELECT count(*) FROM chunks c JOIN documents d ON c.document_id = d.id WHERE d.source_id = s.id), "
    "s.config, s.next_sync_at";
Source read_source(const Statement& row) {
  Source source;
  source.id = row.text(0);
  source.workspace_id = row.text(1);
  source.bot_id = row.text(2);
  source.kind = parse_source_kind(row.text(3)).value_or(SourceKind::file);
  source.name = row.text(4);
  source.status = row.text(5);
  source.error = row.text(6);
  source.created_at = row.integer(7);
  source.updated_at = row.integer(8);
  source.document_count = row.integer(9);
  source.chunk_count = row.integer(10);
  source.config = parse_json_column(row.text(11), Json::object());
  source.next_sync_at = row.optional_integer(12);
  return source;
}

constexpr std::string_view kDocumentColumns =
    "id, workspace_id, bot_id, source_id, uri, title, content_type, content_hash, byte_size, language, status, "
    "error, created_at, updated_at, fetched_url, etag, last_modified, modified_at, links";
Document read_document(const Statement& row) {
  Document doc;
  doc.id = row.text(0);
  doc.workspace_id = row.text(1);
  doc.bot_id = row.text(2);
  doc.source_id = row.text(3);
  doc.uri = row.text(4);
  doc.title = row.text(5);
  doc.content_type = row.text(6);
  doc.content_hash = row.text(7);
  doc.byte_size = row.integer(8);
  doc.language = row.text(9);
  doc.status = row.text(10);
  doc.error = row.text(11);
  doc.created_at = row.integer(12);
  doc.updated_at = row.integer(13);
  doc.fetched_url = row.text(14);
  doc.etag = row.text(15);
  doc.last_modified = row.text(16);
  doc.modified_at = row.optional_integer(17);
  const Json links = parse_json_column(row.text(18), Json::array());
  for (const auto& link : links) {
    if (link.is_string()) doc.links.push_back(link.get<std::string>());
  }
  return doc;
}

constexpr std::string_view kJobColumns =
    "id, workspace_id, bot_id, COALESCE(source_id, ''), kind, state, requested, triggered_by, params, progress, "
    "result, error, lease_owner, lease_expires_at, attempts, created_at, started_at, finished_at, updated_at";
Job read_job(const Statement& row) {
  Job job;
  job.id = row.text(0);
  job.workspace_id = row.text(1);
  job.bot_id = row.text(2);
  job.source_id = row.text(3);
  job.kind = row.text(4);
  job.state = parse_job_state(row.text(5)).value_or(JobState::failed);
  job.requested = row.text(6);
  job.trigger = row.text(7);
  job.params = parse_json_column(row.text(8), Json::object());
  job.progress = parse_json_column(row.text(9), Json::object());
  job.result = parse_json_column(row.text(10), Json::object());
  job.error = row.text(11);
  job.lease_owner = row.text(12);
  job.lease_expires_at = row.integer(13);
  job.attempts = static_cast<int>(row.integer(14));
  job.created_at = row.integer(15);
  job.started_at = row.optional_integer(16);
  job.finished_at = row.optional_integer(17);
  job.updated_at = row.integer(18);
  return job;
}

constexpr std::string_view kCrawlPageColumns =
    "job_id, url, depth, seq, done, outcome, reason, http_status, document_uri, referrer, listed_modified_at";
CrawlPage read_crawl_page(const Statement& row) {
  CrawlPage page;
  page.job_id = row.text(0);
  page.url = row.text(1);
  page.depth = static_cast<int>(row.integer(2));
  page.seq = row.integer(3);
  page.done = row.integer(4) != 0;
  page.outcome = row.text(5);
  page.reason = row.text(6);
  page.http_status = static_cast<int>(row.integer(7));
  page.document_uri = row.text(8);
  page.referrer = row.text(9);
  page.listed_modified_at = row.optional_integer(10);
  return page;
}

std::string links_to_json(const std::vector<std::string>& links) { return Json(links).dump(); }

constexpr std::string_view kChunkColumns =
    "c.id, c.document_id, c.bot_id, c.ordinal, c.kind, c.title, c.heading_path, c.text, c.metadata, d.uri, d.title";
Chunk read_chunk(const Statement& row) {
  Chunk chunk;
  chunk.id = row.integer(0);
  chunk.document_id = row.text(1);
  chunk.bot_id = row.text(2);
  chunk.ordinal = static_cast<int>(row.integer(3));
  chunk.kind = row.text(4) == "qa" ? ChunkKind::qa : ChunkKind::passage;
  chunk.title = row.text(5);
  chunk.heading_path = row.text(6);
  chunk.text = row.text(7);
  chunk.metadata = parse_json_column(row.text(8), Json::object());
  chunk.document_uri = row.text(9);
  chunk.document_title = row.text(10);
  return chunk;
}

constexpr std::string_view kConversationColumns =
    "id, workspace_id, bot_id, status, message_count, created_at, updated_at";
// kConversationColumns plus what lists show of a conversation (read_conversation reads these); for SELECTs from
// `conversations` (not aliased).
constexpr std::string_view kConversationSummaryColumns =
    "id, workspace_id, bot_id, status, message_count, created_at, updated_at, "
    "(SELECT m.text FROM messages m WHERE m.conversation_id = conversations.id AND m.role = 'user' ORDER BY m.id LIMIT 1), "
    "(SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id AND m.mode = 'fallback'), "
    "(SELECT count(*) FROM message_feedback f WHERE f.conversation_id = conversations.id AND f.rating = 1), "
    "(SELECT count(*) FROM message_feedback f WHERE f.conversation_id = conversations.id AND f.rating = -1), "
    "agent_id, agent_name, handoff_requested_at, handoff_reason, claim_deadline_at, handoff_notice_at, claimed_at, "
    "closed_at, summary, lead_id";
Conversation read_conversation(const Statement& row) {
  Conversation conversation;
  conversation.id = row.text(0);
  conversation.workspace_id = row.text(1);
  conversation.bot_id = row.text(2);
  conversation.status = row.text(3);
  conversation.message_count = row.integer(4);
  conversation.created_at = row.integer(5);
  conversation.updated_at = row.integer(6);
  conversation.first_question = row.text(7);
  conversation.fallback_count = row.integer(8);
  conversation.thumbs_up = row.integer(9);
  conversation.thumbs_down = row.integer(10);
  conversation.agent_id = row.text(11);
  conversation.agent_name = row.text(12);
  conversation.handoff_requested_at = row.optional_integer(13);
  conversation.handoff_reason = row.text(14);
  conversation.claim_deadline_at = row.optional_integer(15);
  conversation.handoff_notice_at = row.optional_integer(16);
  conversation.claimed_at = row.optional_integer(17);
  conversation.closed_at = row.optional_integer(18);
  conversation.summary = row.text(19);
  conversation.lead_id = row.text(20);
  return conversation;
}

constexpr std::string_view kMessageColumns =
    "id, conversation_id, role, text, mode, confidence, sources, latency_us, created_at, "
    "(SELECT f.rating FROM message_feedback f WHERE f.message_id = messages.id), author";
Message read_message(const Statement& row) {
  Message message;
  message.id = row.integer(0);
  message.conversation_id = row.text(1);
  message.role = row.text(2);
  message.text = row.text(3);
  message.mode = row.text(4);
  message.confidence = row.real(5);
  message.sources = sources_from_json(parse_json_column(row.text(6), Json::array()));
  message.latency_us = row.integer(7);
  message.created_at = row.integer(8);
  message.rating = static_cast<int>(row.optional_integer(9).value_or(0));
  message.author = row.text(10);
  return message;
}

constexpr std::string_view kUserColumns = "id, workspace_id, email, name, password_hash, role, created_at";
constexpr std::string_view kAuditColumns = "workspace_id, seq, at, actor, action, target, before, after, prev_hash, hash";

AuditEntry read_audit_entry(const Statement& row) {
  AuditEntry entry;
  entry.workspace_id = row.text(0);
  entry.seq = row.integer(1);
  entry.at = row.integer(2);
  entry.actor = row.text(3);
  entry.action = row.text(4);
  entry.target = row.text(5);
  entry.before = parse_json_column(row.text(6), nullptr);
  entry.after = parse_json_column(row.text(7), nullptr);
  entry.prev_hash = row.text(8);
  entry.hash = row.text(9);
  return entry;
}

User read_user(const Statement& row) {
  User user;
  user.id = row.text(0);
  user.workspace_id = row.text(1);
  user.email = row.text(2);
  user.name = row.text(3);
  user.password_hash = row.text(4);
  user.role = parse_role(row.text(5)).value_or(Role::viewer);
  user.created_at = row.integer(6);
  return user;
}

constexpr std::string_view kLeadColumns =
    "id, workspace_id, bot_id, name, email, phone, company, fields, consent_text, consented_at, trigger, "
    "conversation_id, submissions, created_at, updated_at";
Lead read_lead(const Statement& row) {
  Lead lead;
  lead.id = row.text(0);
  lead.workspace_id = row.text(1);
  lead.bot_id = row.text(2);
  lead.name = row.text(3);
  lead.email = row.text(4);
  lead.phone = row.text(5);
  lead.company = row.text(6);
  lead.fields = parse_json_column(row.text(7), Json::object());
  lead.consent_text = row.text(8);
  lead.consented_at = row.optional_integer(9);
  lead.trigger = row.text(10);
  lead.conversation_id = row.text(11);
  lead.submissions = row.integer(12);
  lead.created_at = row.integer(13);
  lead.updated_at = row.integer(14);
  return lead;
}

constexpr std::string_view kWebhookColumns =
    "id, workspace_id, COALESCE(bot_id, ''), url, events, format, secret, description, active, created_at, updated_at";
Webhook read_webhook(const Statement& row) {
  Webhook webhook;
  webhook.id = row.text(0);
  webhook.workspace_id = row.text(1);
  webhook.bot_id = row.text(2);
  webhook.url = row.text(3);
  for (const auto& event : parse_json_column(row.text(4), Json::array())) {
    if (event.is_string()) webhook.events.push_back(event.get<std::string>());
  }
  webhook.format = row.text(5);
  webhook.secret = row.text(6);
  webhook.description = row.text(7);
  webhook.active = row.integer(8) != 0;
  webhook.created_at = row.integer(9);
  webhook.updated_at = row.integer(10);
  return webhook;
}

// For SELECTs from `deliveries d` (claims also join the webhook for its current URL and secret).
constexpr std::string_view kDeliveryColumns =
    "d.id, d.workspace_id, d.bot_id, d.channel, COALESCE(d.webhook_id, ''), d.target, d.format, d.event_id, "
    "d.event_type, d.payload, d.state, d.attempts, d.next_attempt_at, d.expires_at, d.lease_owner, d.lease_expires_at, "
    "d.last_status, d.last_error, d.created_at, d.delivered_at, d.request_id";
Delivery read_delivery(const Statement& row) {
  Delivery delivery;
  delivery.id = row.integer(0);
  delivery.workspace_id = row.text(1);
  delivery.bot_id = row.text(2);
  delivery.channel = row.text(3);
  delivery.webhook_id = row.text(4);
  delivery.target = row.text(5);
  delivery.format = row.text(6);
  delivery.event_id = row.text(7);
  delivery.event_type = row.text(8);
  delivery.payload = row.text(9);
  delivery.state = row.text(10);
  delivery.attempts = static_cast<int>(row.integer(11));
  delivery.next_attempt_at = row.integer(12);
  delivery.expires_at = row.integer(13);
  delivery.lease_owner = row.text(14);
  delivery.lease_expires_at = row.integer(15);
  delivery.last_status = static_cast<int>(row.integer(16));
  delivery.last_error = row.text(17);
  delivery.created_at = row.integer(18);
  delivery.delivered_at = row.optional_integer(19);
  delivery.request_id = row.text(20);
  return delivery;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) out += part;
  return out;
}

// Every query of a scoped table carries this condition; ":ws" is bound to the scope's workspace ('' = system).
// Plain "?" parameters are bound with Statement::bind_positional, which skips the named ones.
constexpr std::string_view kInScope = "(:ws = '' OR workspace_id = :ws)";
constexpr std::string_view kDeliveryInScope = "(:ws = '' OR d.workspace_id = :ws)";
constexpr std::string_view kSourceInScope = "(:ws = '' OR s.workspace_id = :ws)";

Workspace read_workspace(const Statement& row) { return Workspace{row.text(0), row.text(1), row.integer(2)}; }

class SqliteTx final : public WriteTx {
 public:
  SqliteTx(Connection& db, const Scope& scope) : db_(db), scope_(scope) {}

  // ---- reads ----

  Result<std::optional<Workspace>> workspace(std::string_view id) override {
    return one("SELECT id, name, created_at FROM workspaces WHERE id = ? AND (:ws = '' OR id = :ws)", read_workspace, id);
  }

  Result<std::vector<Workspace>> workspaces() override {
    return all("SELECT id, name, created_at FROM workspaces WHERE (:ws = '' OR id = :ws) ORDER BY created_at", read_workspace);
  }

  Result<std::optional<ApiKey>> api_key_by_prefix(std::string_view prefix) override {
    return one(sql({"SELECT ", kApiKeyColumns, " FROM api_keys WHERE prefix = ? AND ", kInScope}), read_api_key, prefix);
  }

  Result<std::vector<ApiKey>> api_keys() override {
    return all(sql({"SELECT ", kApiKeyColumns, " FROM api_keys WHERE ", kInScope, " ORDER BY created_at"}), read_api_key);
  }

  Result<std::optional<Bot>> bot(std::string_view bot_id) override {
    return one(sql({"SELECT ", kBotColumns, " FROM bots WHERE id = ? AND ", kInScope}), read_bot, bot_id);
  }

  Result<std::vector<Bot>> bots() override {
    return all(sql({"SELECT ", kBotColumns, " FROM bots WHERE ", kInScope, " ORDER BY created_at, id"}), read_bot);
  }

  Result<std::optional<Source>> source(std::string_view bot_id, std::string_view source_id) override {
    return one(sql({"SELECT ", kSourceColumns, " FROM sources s WHERE s.id = ? AND s.bot_id = ? AND ", kSourceInScope}),
               read_source, source_id, bot_id);
  }

  Result<std::optional<Source>> source_by_name(std::string_view bot_id, std::string_view name) override {
    return one(sql({"SELECT ", kSourceColumns, " FROM sources s WHERE s.bot_id = ? AND s.name = ? AND ", kSourceInScope}),
               read_source, bot_id, name);
  }

  Result<std::vector<Source>> sources(std::string_view bot_id) override {
    return all(sql({"SELECT ", kSourceColumns, " FROM sources s WHERE s.bot_id = ? AND ", kSourceInScope,
                    " ORDER BY s.created_at, s.id"}),
               read_source, bot_id);
  }

  Result<std::vector<Document>> documents(std::string_view source_id) override {
    return all(sql({"SELECT ", kDocumentColumns, " FROM documents WHERE source_id = ? AND ", kInScope, " ORDER BY uri"}),
               read_document, source_id);
  }

  Result<std::vector<Source>> sources_due_for_sync(std::int64_t now) override {
    return all(sql({"SELECT ", kSourceColumns, " FROM sources s WHERE s.next_sync_at IS NOT NULL AND s.next_sync_at <= ? AND ",
                    kSourceInScope, " ORDER BY s.next_sync_at"}),
               read_source, now);
  }

  Result<ChunkSearch> search_chunks(std::string_view bot_id, const ChunkQuery& query) override {
    ChunkSearch found;
    if (query.terms.empty() || query.limit <= 0) return found;
    PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
    if (!owner) return found;  // unknown bot, or another workspace's
    std::string match = "{title headings body} : (";
    for (std::size_t i = 0; i < query.terms.size(); ++i) {
      if (i > 0) match += query.all_terms ? " AND " : " OR ";
      match += fts_quote(query.terms[i]);
    }
    match += ")";  // phrase i of the expression is term i: parley_bm25 takes the IDFs in order
    const std::string table = fts_table(bot_id);
    const bool qa_titles = query.qa_title_limit > 0;
    std::string rank = "parley_bm25(" + table + ", ?, ?, ?, 0.0";
    for (std::size_t i = 0; i < query.terms.size(); ++i) rank += ", ?";
    rank += ", ?)";
    // The LIMIT bounds the rows scored. The best of them are kept here rather than by an ORDER BY: SQLite's sorter
    // costs more than the scoring.
    auto stmt = db_.prepare("SELECT rowid, " + rank + " FROM " + table + " WHERE " + table + " MATCH ? LIMIT ?");
    stmt.bind(1, query.title_weight).bind(2, query.headings_weight).bind(3, query.body_weight);
    int parameter = 4;
    for (std::size_t i = 0; i < query.terms.size(); ++i) {
      stmt.bind(parameter++, i < query.term_weights.size() ? query.term_weights[i] : 1.0);
    }
    // The rows matching by their title, with the score of the title alone, and the rows' lengths as far as known
    // (see fts_rank.h). Not in a transaction that has written: its changes may yet be rolled back.
    TitleScores by_title;
    RankExtras extras;
    if (qa_titles) extras.title_scores = &by_title;
    if (sqlite3_txn_state(db_.handle(), "main") != SQLITE_TXN_WRITE) {
      extras.row_tokens = &db_.row_lengths().of(table, owned_bot_version_);
    }
    stmt.bind_pointer(parameter++, &extras, kRankExtrasPointerType);
    stmt.bind(parameter++, match);
    stmt.bind(parameter, query.max_scored > 0 ? query.max_scored : std::int64_t{-1});
    while (stmt.step()) found.hits.push_back({stmt.integer(0), stmt.real(1)});
    const auto better = [](const ChunkHit& a, const ChunkHit& b) {
      return a.score != b.score ? a.score > b.score : a.chunk_id < b.chunk_id;
    };
    const auto kept = std::min(found.hits.size(), static_cast<std::size_t>(query.limit));
    std::partial_sort(found.hits.begin(), found.hits.begin() + static_cast<std::ptrdiff_t>(kept), found.hits.end(), better);
    found.hits.resize(kept);
    if (!qa_titles) return found;
    // Best title scores first (ties: lower id first); only Q&A pairs count, so look each up until enough are found.
    std::sort(by_title.begin(), by_title.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    auto is_qa = db_.prepare("SELECT kind = 'qa' FROM chunks WHERE id = ?");
    for (const auto& [chunk_id, title_score] : by_title) {
      if (found.qa_titles.size() >= static_cast<std::size_t>(query.qa_title_limit)) break;
      is_qa.bind(1, chunk_id);
      if (is_qa.step() && is_qa.integer(0) != 0) found.qa_titles.push_back({chunk_id, title_score});
      is_qa.reset();
    }
    return found;
  }

  Result<TermStats> term_stats(std::string_view bot_id, const std::vector<std::string>& terms) override {
    TermStats stats;
    auto count = db_.prepare(sql({"SELECT chunk_count FROM bots WHERE id = ? AND ", kInScope}));
    count.bind(1, bot_id);
    bind_scope(count);
    if (!count.step()) return stats;
    stats.chunk_count = count.integer(0);
    auto lookup = db_.prepare("SELECT doc FROM " + fts_vocab_table(bot_id) + " WHERE term = ?");
    for (const auto& term : terms) {
      lookup.bind(1, term);
      stats.document_frequency.push_back(lookup.step() ? lookup.integer(0) : 0);
      lookup.reset();
    }
    return stats;
  }

  Result<std::vector<ChunkIndexTerms>> chunk_terms(std::string_view bot_id, const std::vector<std::int64_t>& ids) override {
    std::vector<ChunkIndexTerms> out(ids.size());
    PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
    if (!owner) return out;  // unknown bot, or another workspace's
    // The bot's own FTS table holds only its chunks, so an id of another bot finds no row.
    auto stmt = db_.prepare("SELECT title, headings, body FROM " + fts_table(bot_id) + " WHERE rowid = ?");
    for (std::size_t i = 0; i < ids.size(); ++i) {
      stmt.bind(1, ids[i]);
      if (stmt.step()) out[i] = {stmt.text(0), stmt.text(1), stmt.text(2)};
      stmt.reset();
    }
    return out;
  }

  Result<std::vector<Chunk>> chunks(std::string_view bot_id, const std::vector<std::int64_t>& ids) override {
    auto stmt = db_.prepare(sql({"SELECT ", kChunkColumns,
                                 " FROM chunks c JOIN documents d ON d.id = c.document_id "
                                 "WHERE c.id = ? AND c.bot_id = ? AND (:ws = '' OR c.workspace_id = :ws)"}));
    std::vector<Chunk> out;
    out.reserve(ids.size());
    for (std::int64_t id : ids) {
      stmt.bind(1, id).bind(2, bot_id);
      bind_scope(stmt);
      if (stmt.step()) out.push_back(read_chunk(stmt));
      stmt.reset();
    }
    return out;
  }

  Result<std::vector<Chunk>> document_chunks(std::string_view document_id) override {
    return all(sql({"SELECT ", kChunkColumns,
                    " FROM chunks c JOIN documents d ON d.id = c.document_id "
                    "WHERE c.document_id = ? AND (:ws = '' OR c.workspace_id = :ws) ORDER BY c.ordinal"}),
               read_chunk, document_id);
  }

  Status scan_chunks(std::string_view bot_id, const std::function<void(const Chunk&)>& visit) override {
    auto stmt = db_.prepare(sql({"SELECT ", kChunkColumns,
                                 " FROM chunks c JOIN documents d ON d.id = c.document_id "
                                 "WHERE c.bot_id = ? AND (:ws = '' OR c.workspace_id = :ws) ORDER BY c.document_id, c.ordinal"}));
    stmt.bind_positional(bot_id);
    bind_scope(stmt);
    while (stmt.step()) visit(read_chunk(stmt));
    return {};
  }

  Result<std::optional<Job>> job(std::string_view job_id) override {
    return one(sql({"SELECT ", kJobColumns, " FROM jobs WHERE id = ? AND ", kInScope}), read_job, job_id);
  }

  Result<std::vector<Job>> jobs(const JobFilter& filter) override {
    return all(sql({"SELECT ", kJobColumns, " FROM jobs WHERE bot_id = ? AND (? = '' OR source_id = ?) AND "
                    "(? = 0 OR state IN ('queued', 'running', 'paused')) AND ", kInScope,
                    " ORDER BY created_at DESC, rowid DESC LIMIT ?"}),
               read_job, filter.bot_id, filter.source_id, filter.source_id, filter.active_only ? 1 : 0, filter.limit);
  }

  Result<std::optional<Job>> claimable_job(std::int64_t now) override {
    return one(sql({"SELECT ", kJobColumns, " FROM jobs WHERE (state = 'queued' OR (state = 'running' AND "
                    "lease_expires_at < ?)) AND ", kInScope, " ORDER BY created_at, rowid LIMIT 1"}),
               read_job, now);
  }

  Result<std::vector<CrawlPage>> crawl_pages(std::string_view job_id, const CrawlPageFilter& filter) override {
    return all(sql({"SELECT ", kCrawlPageColumns, " FROM crawl_pages WHERE job_id = ? AND (? = '' OR outcome = ?) AND "
                    "(? = 0 OR done = 0) AND ", kInScope, " ORDER BY done, depth, seq LIMIT ? OFFSET ?"}),
               read_crawl_page, job_id, filter.outcome, filter.outcome, filter.pending_only ? 1 : 0, filter.limit,
               filter.offset);
  }

  Result<std::vector<JobUpload>> job_uploads(std::string_view job_id, int limit) override {
    return all(sql({"SELECT id, job_id, name, content_type, bytes FROM job_uploads WHERE job_id = ? AND ", kInScope,
                    " ORDER BY id LIMIT ?"}),
               [](const Statement& row) {
                 return JobUpload{row.integer(0), row.text(1), row.text(2), row.text(3), row.text(4)};
               },
               job_id, limit);
  }

  Result<std::map<std::string, std::int64_t>> crawl_page_counts(std::string_view job_id) override {
    auto stmt = db_.prepare(sql({"SELECT CASE WHEN done = 0 THEN 'pending' ELSE outcome END, count(*) FROM crawl_pages "
                                 "WHERE job_id = ? AND ", kInScope, " GROUP BY 1"}));
    stmt.bind_positional(job_id);
    bind_scope(stmt);
    std::map<std::string, std::int64_t> counts;
    while (stmt.step()) counts[stmt.text(0)] = stmt.integer(1);
    return counts;
  }

  Result<std::optional<Conversation>> conversation(std::string_view bot_id, std::string_view conversation_id) override {
    return one(sql({"SELECT ", kConversationSummaryColumns, " FROM conversations WHERE id = ? AND bot_id = ? AND ", kInScope}),
               read_conversation, conversation_id, bot_id);
  }

  Result<std::vector<Conversation>> conversations(std::string_view bot_id, const ConversationFilter& filter) override {
    // Named parameters throughout: the optional filters each appear twice.
    auto stmt = db_.prepare(sql(
        {"SELECT ", kConversationSummaryColumns,
         " FROM conversations WHERE bot_id = :bot AND created_at >= :since AND created_at < :until"
         " AND (:text = '' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id"
         "      AND instr(lower(m.text), :text) > 0))"
         " AND (:mode = '' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND m.mode = :mode))"
         " AND (:rating = 0 OR EXISTS (SELECT 1 FROM message_feedback f WHERE f.conversation_id = conversations.id"
         "      AND f.rating = :rating)) AND ",
         kInScope, " ORDER BY created_at DESC, rowid DESC LIMIT :limit OFFSET :offset"}));
    stmt.bind(":bot", bot_id)
        .bind(":since", filter.since.value_or(0))
        .bind(":until", filter.until.value_or(std::numeric_limits<std::int64_t>::max()))
        .bind(":text", ascii_lower(filter.text))
        .bind(":mode", filter.mode.value_or(""))
        .bind(":rating", filter.rating.value_or(0))
        .bind(":limit", filter.limit)
        .bind(":offset", filter.offset);
    bind_scope(stmt);
    std::vector<Conversation> out;
    while (stmt.step()) out.push_back(read_conversation(stmt));
    return out;
  }

  Result<std::vector<AuditEntry>> audit_entries(std::int64_t after_seq, int limit) override {
    if (scope_.is_system()) return make_error(ErrorCode::forbidden, "the audit log belongs to a workspace");
    return all(sql({"SELECT ", kAuditColumns, " FROM audit_log WHERE seq > ? AND ", kInScope, " ORDER BY seq LIMIT ?"}),
               read_audit_entry, after_seq, static_cast<std::int64_t>(limit));
  }

  Result<std::optional<AuditEntry>> last_audit_entry() override {
    if (scope_.is_system()) return make_error(ErrorCode::forbidden, "the audit log belongs to a workspace");
    return one(sql({"SELECT ", kAuditColumns, " FROM audit_log WHERE ", kInScope, " ORDER BY seq DESC LIMIT 1"}),
               read_audit_entry);
  }

  Result<std::vector<Message>> messages(std::string_view conversation_id) override {
    // Scoped through the conversation row, which carries the workspace.
    return all(sql({"SELECT ", kMessageColumns, " FROM messages WHERE conversation_id = ? AND EXISTS ("
                    "SELECT 1 FROM conversations WHERE id = ? AND ", kInScope, ") ORDER BY id"}),
               read_message, conversation_id, conversation_id);
  }

  Result<std::optional<User>> user_by_email(std::string_view email) override {
    return one(sql({"SELECT ", kUserColumns, " FROM users WHERE email = ? AND ", kInScope}), read_user, ascii_lower(email));
  }

  Result<std::optional<User>> user(std::string_view user_id) override {
    return one(sql({"SELECT ", kUserColumns, " FROM users WHERE id = ? AND ", kInScope}), read_user, user_id);
  }

  Result<std::optional<Session>> session(std::string_view session_id) override {
    return one(sql({"SELECT id, workspace_id, user_id, created_at, expires_at FROM sessions WHERE id = ? AND ", kInScope}),
               [](const Statement& row) { return Session{row.text(0), row.text(1), row.text(2), row.integer(3), row.integer(4)}; },
               session_id);
  }

  Result<std::vector<UsageRow>> usage(std::string_view bot_id, std::int64_t since, std::int64_t until) override {
    auto stmt = db_.prepare(sql(
        {"SELECT date(created_at / 1000, 'unixepoch') AS day, bot_id, provider, model, count(*), "
         "sum(outcome = 'failed'), sum(prompt_tokens), sum(completion_tokens), sum(cost_usd), avg(first_token_ms), "
         "avg(total_ms) FROM generations WHERE ", kInScope,
         " AND (:bot = '' OR bot_id = :bot) AND created_at >= :since AND created_at < :until "
         "GROUP BY day, bot_id, provider, model ORDER BY day, bot_id, provider, model"}));
    bind_scope(stmt);
    stmt.bind(":bot", bot_id).bind(":since", since).bind(":until", until);
    std::vector<UsageRow> rows;
    while (stmt.step()) {
      rows.push_back({stmt.text(0), stmt.text(1), stmt.text(2), stmt.text(3), stmt.integer(4), stmt.integer(5),
                      stmt.integer(6), stmt.integer(7), stmt.real(8), stmt.real(9), stmt.real(10)});
    }
    return rows;
  }

  Result<double> spend_since(std::string_view bot_id, std::int64_t since) override {
    auto stmt = db_.prepare(sql({"SELECT coalesce(sum(cost_usd), 0) FROM generations WHERE ", kInScope,
                                 " AND (:bot = '' OR bot_id = :bot) AND created_at >= :since"}));
    bind_scope(stmt);
    stmt.bind(":bot", bot_id).bind(":since", since);
    stmt.step();
    return stmt.real(0);
  }

  // Instance-wide operations figures for GET /metrics: indexed counts (jobs_claim, deliveries_due), no scope filter.
  Result<std::map<std::string, std::int64_t>> job_state_counts() override {
    if (!scope_.is_system()) return make_error(ErrorCode::forbidden, "operations figures belong to the system scope");
    auto stmt = db_.prepare("SELECT state, count(*) FROM jobs GROUP BY state");
    std::map<std::string, std::int64_t> counts;
    while (stmt.step()) counts[stmt.text(0)] = stmt.integer(1);
    return counts;
  }

  Result<std::vector<OutboxBacklog>> outbox_backlog() override {
    if (!scope_.is_system()) return make_error(ErrorCode::forbidden, "operations figures belong to the system scope");
    auto stmt = db_.prepare(
        "SELECT b.channel, b.pending, (SELECT created_at FROM deliveries WHERE id = b.oldest) FROM "
        "(SELECT channel, count(*) AS pending, min(id) AS oldest FROM deliveries WHERE state = 'pending' "
        "GROUP BY channel) b");
    std::vector<OutboxBacklog> backlog;
    while (stmt.step()) backlog.push_back({stmt.text(0), stmt.integer(1), stmt.integer(2)});
    return backlog;
  }

  Result<BotAnalytics> analytics(std::string_view bot_id, std::int64_t since, std::int64_t until) override {
    BotAnalytics out;
    PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    std::map<std::string, DailyActivity> days;
    // Messages of the bot in the window; `a` is the message, `c` its conversation.
    constexpr std::string_view kBotMessages =
        " FROM messages a JOIN conversations c ON c.id = a.conversation_id"
        " WHERE c.bot_id = :bot AND a.created_at >= :since AND a.created_at < :until";
    const auto window = [&](Statement& stmt) { stmt.bind(":bot", bot_id).bind(":since", since).bind(":until", until); };

    auto started = db_.prepare(sql({"SELECT date(created_at / 1000, 'unixepoch') AS day, count(*) FROM conversations "
                                    "WHERE bot_id = :bot AND created_at >= :since AND created_at < :until GROUP BY day"}));
    window(started);
    while (started.step()) {
      auto& day = days[started.text(0)];
      day.conversations = started.integer(1);
      out.conversations += day.conversations;
    }
    auto messages = db_.prepare(sql({"SELECT date(a.created_at / 1000, 'unixepoch') AS day, a.role, a.mode, count(*)",
                                     kBotMessages, " GROUP BY day, a.role, a.mode"}));
    window(messages);
    while (messages.step()) {
      auto& day = days[messages.text(0)];
      const std::string role = messages.text(1);
      const std::string mode = messages.text(2);
      const std::int64_t count = messages.integer(3);
      if (role == "user") {
        day.questions += count;
        out.questions += count;
      } else if (role == "assistant" && mode == "fallback") {
        day.fallbacks += count;
        out.fallbacks += count;
      } else if (role == "assistant") {
        day.answered += count;
        out.answered += count;
      }
    }
    for (auto& [name, day] : days) {
      day.day = name;
      out.days.push_back(day);
    }

    auto feedback = db_.prepare("SELECT rating, count(*) FROM message_feedback "
                                "WHERE bot_id = :bot AND created_at >= :since AND created_at < :until GROUP BY rating");
    window(feedback);
    while (feedback.step()) (feedback.integer(0) > 0 ? out.thumbs_up : out.thumbs_down) = feedback.integer(1);

    // The visitor's question that each fallback answered: the latest user message before it.
    auto unanswered = db_.prepare(
        "SELECT min(q.text), count(*), max(q.created_at) FROM messages a JOIN conversations c ON c.id = a.conversation_id "
        "JOIN messages q ON q.id = (SELECT max(p.id) FROM messages p WHERE p.conversation_id = a.conversation_id "
        "AND p.id < a.id AND p.role = 'user') "
        "WHERE c.bot_id = :bot AND a.created_at >= :since AND a.created_at < :until AND a.mode = 'fallback' "
        "GROUP BY lower(trim(q.text)) ORDER BY count(*) DESC, max(q.created_at) DESC LIMIT 20");
    window(unanswered);
    while (unanswered.step()) out.unanswered.push_back({unanswered.text(0), unanswered.integer(1), unanswered.integer(2)});

    auto cited = db_.prepare(
        "SELECT json_extract(j.value, '$.url') AS url, max(json_extract(j.value, '$.title')), count(*) "
        "FROM messages a JOIN conversations c ON c.id = a.conversation_id, json_each(a.sources) j "
        "WHERE c.bot_id = :bot AND a.created_at >= :since AND a.created_at < :until AND a.role = 'assistant' "
        "GROUP BY url ORDER BY count(*) DESC, url LIMIT 10");
    window(cited);
    while (cited.step()) out.top_sources.push_back({cited.text(1), cited.text(0), cited.integer(2)});

    auto latencies = db_.prepare(sql({"SELECT a.latency_us", kBotMessages, " AND a.role = 'assistant' ORDER BY a.latency_us"}));
    window(latencies);
    while (latencies.step()) out.latencies_us.push_back(latencies.integer(0));

    auto handoffs = db_.prepare("SELECT count(*) FROM conversations WHERE bot_id = :bot AND created_at >= :since AND "
                                "created_at < :until AND handoff_requested_at IS NOT NULL");
    window(handoffs);
    if (handoffs.step()) out.handoffs = handoffs.integer(0);
    return out;
  }

  Result<std::optional<Lead>> lead(std::string_view lead_id) override {
    return one(sql({"SELECT ", kLeadColumns, " FROM leads WHERE id = ? AND ", kInScope}), read_lead, lead_id);
  }

  Result<std::vector<Lead>> leads(std::string_view bot_id, const LeadFilter& filter) override {
    auto stmt = db_.prepare(sql(
        {"SELECT ", kLeadColumns, " FROM leads WHERE bot_id = :bot AND created_at >= :since AND created_at < :until"
         " AND (:text = '' OR instr(lower(name || ' ' || email || ' ' || phone || ' ' || company), :text) > 0)"
         " AND (:trigger = '' OR trigger = :trigger) AND ",
         kInScope, " ORDER BY created_at DESC, rowid DESC LIMIT :limit OFFSET :offset"}));
    stmt.bind(":bot", bot_id)
        .bind(":since", filter.since.value_or(0))
        .bind(":until", filter.until.value_or(std::numeric_limits<std::int64_t>::max()))
        .bind(":text", ascii_lower(filter.text))
        .bind(":trigger", filter.trigger)
        .bind(":limit", filter.limit)
        .bind(":offset", filter.offset);
    bind_scope(stmt);
    std::vector<Lead> out;
    while (stmt.step()) out.push_back(read_lead(stmt));
    return out;
  }

  Result<std::vector<Lead>> leads_by_contact(std::string_view bot_id, std::string_view email,
                                             std::string_view phone) override {
    return all(sql({"SELECT ", kLeadColumns, " FROM leads WHERE bot_id = ? AND ((? <> '' AND email = ?) OR "
                    "(? <> '' AND phone = ?)) AND ", kInScope, " ORDER BY created_at"}),
               read_lead, bot_id, email, email, phone, phone);
  }

  Result<std::vector<Conversation>> lead_conversations(std::string_view lead_id) override {
    return all(sql({"SELECT ", kConversationSummaryColumns, " FROM conversations WHERE lead_id = ? AND ", kInScope,
                    " ORDER BY created_at DESC"}),
               read_conversation, lead_id);
  }

  Result<std::vector<Conversation>> inbox(const InboxFilter& filter) override {
    std::vector<std::string> statuses = filter.statuses;
    if (statuses.empty()) statuses = {"waiting_for_agent", "with_agent"};
    const Json wanted(statuses);
    auto stmt = db_.prepare(sql(
        {"SELECT ", kConversationSummaryColumns,
         ", (SELECT m.text FROM messages m WHERE m.conversation_id = conversations.id ORDER BY m.id DESC LIMIT 1)"
         ", (SELECT m.role FROM messages m WHERE m.conversation_id = conversations.id ORDER BY m.id DESC LIMIT 1)"
         " FROM conversations WHERE status IN (SELECT value FROM json_each(:statuses))"
         " AND (:bot = '' OR bot_id = :bot) AND (:agent = '' OR agent_id = :agent) AND ",
         kInScope, " ORDER BY COALESCE(handoff_requested_at, updated_at), rowid LIMIT :limit"}));
    stmt.bind(":statuses", wanted.dump())
        .bind(":bot", filter.bot_id)
        .bind(":agent", filter.agent_id)
        .bind(":limit", filter.limit);
    bind_scope(stmt);
    std::vector<Conversation> out;
    while (stmt.step()) {
      Conversation conversation = read_conversation(stmt);
      conversation.last_message = stmt.text(21);
      conversation.last_role = stmt.text(22);
      out.push_back(std::move(conversation));
    }
    return out;
  }

  Result<std::vector<Conversation>> unclaimed_conversations(std::int64_t now) override {
    return all(sql({"SELECT ", kConversationSummaryColumns, " FROM conversations WHERE status = 'waiting_for_agent' "
                    "AND claim_deadline_at <= ? AND handoff_notice_at IS NULL AND ", kInScope,
                    " ORDER BY claim_deadline_at LIMIT 500"}),
               read_conversation, now);
  }

  Result<std::optional<Webhook>> webhook(std::string_view webhook_id) override {
    return one(sql({"SELECT ", kWebhookColumns, " FROM webhooks WHERE id = ? AND ", kInScope}), read_webhook, webhook_id);
  }

  Result<std::vector<Webhook>> webhooks() override {
    return all(sql({"SELECT ", kWebhookColumns, " FROM webhooks WHERE ", kInScope, " ORDER BY created_at, rowid"}),
               read_webhook);
  }

  Result<std::optional<Delivery>> delivery(std::int64_t delivery_id) override {
    return one(sql({"SELECT ", kDeliveryColumns, " FROM deliveries d WHERE d.id = ? AND ", kDeliveryInScope}),
               read_delivery, delivery_id);
  }

  Result<std::vector<Delivery>> deliveries(const DeliveryFilter& filter) override {
    return all(sql({"SELECT ", kDeliveryColumns, " FROM deliveries d WHERE (? = '' OR d.webhook_id = ?) AND "
                    "(? = '' OR d.channel = ?) AND (? = '' OR d.state = ?) AND ", kDeliveryInScope,
                    " ORDER BY d.id DESC LIMIT ? OFFSET ?"}),
               read_delivery, filter.webhook_id, filter.webhook_id, filter.channel, filter.channel, filter.state,
               filter.state, filter.limit, filter.offset);
  }

  Result<std::vector<DeliveryAttempt>> delivery_attempts(std::int64_t delivery_id) override {
    return all(sql({"SELECT a.id, a.delivery_id, a.attempted_at, a.status, a.error, a.duration_ms, a.response "
                    "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.delivery_id = ? AND ",
                    kDeliveryInScope, " ORDER BY a.id"}),
               [](const Statement& row) {
                 return DeliveryAttempt{row.integer(0), row.integer(1), row.integer(2), static_cast<int>(row.integer(3)),
                                        row.text(4),    row.integer(5), row.text(6)};
               },
               delivery_id);
  }

  // ---- writes ----

  Result<Workspace> create_workspace(std::string_view name) override {
    if (!scope_.is_system()) return make_error(ErrorCode::forbidden, "workspaces are created by the system scope");
    Workspace workspace{new_id("ws"), std::string(name), unix_millis()};
    db_.prepare("INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)")
        .bind(1, workspace.id)
        .bind(2, workspace.name)
        .bind(3, workspace.created_at)
        .run();
    return workspace;
  }

  Result<ApiKey> create_api_key(const ApiKey& key) override {
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

  Status touch_api_key(std::string_view key_id, std::int64_t used_at) override {
    auto stmt = db_.prepare(sql({"UPDATE api_keys SET last_used_at = ? WHERE id = ? AND ", kInScope}));
    stmt.bind(1, used_at).bind(2, key_id);
    bind_scope(stmt);
    stmt.run();
    return {};
  }

  Status revoke_api_key(std::string_view key_id) override {
    auto stmt = db_.prepare(sql({"UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND ", kInScope}));
    stmt.bind(1, unix_millis()).bind(2, key_id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such active API key");
    return {};
  }

  Result<Bot> create_bot(std::string_view name, const Json& settings) override {
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
    create_bot_index(db_, bot.id);
    return bot;
  }

  Result<Bot> update_bot(const Bot& bot) override {
    auto stmt = db_.prepare(sql({"UPDATE bots SET name = ?, settings = ?, updated_at = ? WHERE id = ? AND ", kInScope}));
    stmt.bind(1, bot.name).bind(2, bot.settings.dump()).bind(3, unix_millis()).bind(4, bot.id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such bot");
    PARLEY_ASSIGN_OR_RETURN(auto updated, this->bot(bot.id));
    return *updated;
  }

  Status delete_bot(std::string_view bot_id) override {
    PARLEY_ASSIGN_OR_RETURN(auto existing, bot(bot_id));
    if (!existing) return make_error(ErrorCode::not_found, "no such bot");
    owned_bot_.clear();
    drop_bot_index(db_, bot_id);
    db_.prepare("DELETE FROM bots WHERE id = ?").bind(1, bot_id).run();  // cascades to everything of the bot
    return {};
  }

  Result<Source> create_source(std::string_view bot_id, SourceKind kind, std::string_view name) override {
    PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    Source source;
    source.id = new_ordered_id("src");
    source.workspace_id = *owner;
    source.bot_id = std::string(bot_id);
    source.kind = kind;
    source.name = std::string(name);
    source.status = "processing";
    source.created_at = source.updated_at = unix_millis();
    db_.prepare("INSERT INTO sources (id, workspace_id, bot_id, kind, name, status, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, source.id)
        .bind(2, source.workspace_id)
        .bind(3, source.bot_id)
        .bind(4, source_kind_name(kind))
        .bind(5, source.name)
        .bind(6, source.status)
        .bind(7, source.created_at)
        .bind(8, source.updated_at)
        .run();
    return source;
  }

  Status update_source(const Source& source) override {
    auto stmt = db_.prepare(sql({"UPDATE sources SET status = ?, error = ?, config = ?, next_sync_at = ?, updated_at = ? "
                                 "WHERE id = ? AND ", kInScope}));
    stmt.bind_positional(source.status, source.error, source.config.dump(), source.next_sync_at, unix_millis(), source.id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such source");
    return {};
  }

  Status delete_source(std::string_view bot_id, std::string_view source_id) override {
    PARLEY_ASSIGN_OR_RETURN(auto existing, source(bot_id, source_id));
    if (!existing) return make_error(ErrorCode::not_found, "no such source");
    auto docs = db_.prepare("SELECT id FROM documents WHERE source_id = ?");
    docs.bind(1, source_id);
    std::vector<std::string> document_ids;
    while (docs.step()) document_ids.push_back(docs.text(0));
    docs.reset();
    std::int64_t removed = 0;
    for (const auto& id : document_ids) removed += remove_document_chunks(bot_id, id);
    db_.prepare("DELETE FROM sources WHERE id = ?").bind(1, source_id).run();
    bump_knowledge(bot_id, -removed);
    return {};
  }

  Result<Document> put_document(const Document& document, const std::vector<NewChunk>& new_chunks) override {
    PARLEY_ASSIGN_OR_RETURN(auto workspace_id, source_workspace(document.bot_id, document.source_id));
    if (!workspace_id) return make_error(ErrorCode::not_found, "no such source");
    Document stored = document;
    bool replaced = false;
    stored.workspace_id = std::move(*workspace_id);
    stored.updated_at = unix_millis();
    auto existing = db_.prepare("SELECT id, created_at FROM documents WHERE source_id = ? AND uri = ?");
    existing.bind(1, document.source_id).bind(2, document.uri);
    if (existing.step()) {
      stored.id = existing.text(0);
      stored.created_at = existing.integer(1);
      existing.reset();
      replaced = true;
      db_.prepare("UPDATE documents SET title = ?, content_type = ?, content_hash = ?, byte_size = ?, language = ?, "
                  "status = ?, error = ?, updated_at = ?, fetched_url = ?, etag = ?, last_modified = ?, "
                  "modified_at = ?, links = ? WHERE id = ?")
          .bind_positional(stored.title, stored.content_type, stored.content_hash, stored.byte_size, stored.language,
                           stored.status, stored.error, stored.updated_at, stored.fetched_url, stored.etag,
                           stored.last_modified, stored.modified_at, links_to_json(stored.links), stored.id)
          .run();
    } else {
      existing.reset();
      stored.id = new_ordered_id("doc");
      stored.created_at = stored.updated_at;
      db_.prepare(sql({"INSERT INTO documents (", kDocumentColumns,
                       ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"}))
          .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.source_id, stored.uri, stored.title,
                           stored.content_type, stored.content_hash, stored.byte_size, stored.language, stored.status,
                           stored.error, stored.created_at, stored.updated_at, stored.fetched_url, stored.etag,
                           stored.last_modified, stored.modified_at, links_to_json(stored.links))
          .run();
    }
    if (replaced) {
      // Bumped even when no chunk changed: readers' caches also hold the document's fields (uri, title).
      bump_knowledge(stored.bot_id, replace_chunks(stored, new_chunks));
    } else {
      std::vector<const NewChunk*> all_new;
      all_new.reserve(new_chunks.size());
      for (const auto& chunk : new_chunks) all_new.push_back(&chunk);
      insert_chunks(stored, all_new);
      bump_knowledge(stored.bot_id, static_cast<std::int64_t>(new_chunks.size()));
    }
    return stored;
  }

  Status delete_document(std::string_view document_id) override {
    auto stmt = db_.prepare(sql({"SELECT bot_id FROM documents WHERE id = ? AND ", kInScope}));
    stmt.bind(1, document_id);
    bind_scope(stmt);
    if (!stmt.step()) return make_error(ErrorCode::not_found, "no such document");
    const std::string bot_id = stmt.text(0);
    stmt.reset();
    const std::int64_t removed = remove_document_chunks(bot_id, document_id);
    db_.prepare("DELETE FROM documents WHERE id = ?").bind(1, document_id).run();
    bump_knowledge(bot_id, -removed);
    return {};
  }

  Result<Conversation> create_conversation(std::string_view bot_id) override {
    PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    Conversation conversation;
    conversation.id = new_id("conv");
    conversation.workspace_id = *owner;
    conversation.bot_id = std::string(bot_id);
    conversation.created_at = conversation.updated_at = unix_millis();
    db_.prepare(sql({"INSERT INTO conversations (", kConversationColumns, ") VALUES (?, ?, ?, ?, 0, ?, ?)"}))
        .bind(1, conversation.id)
        .bind(2, conversation.workspace_id)
        .bind(3, conversation.bot_id)
        .bind(4, conversation.status)
        .bind(5, conversation.created_at)
        .bind(6, conversation.updated_at)
        .run();
    return conversation;
  }

  Status append_audit_entry(const AuditEntry& entry) override {
    if (scope_.is_system() || entry.workspace_id != scope_.workspace_id()) {
      return make_error(ErrorCode::forbidden, "an audit entry belongs to the transaction's workspace");
    }
    db_.prepare(sql({"INSERT INTO audit_log (", kAuditColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"}))
        .bind(1, entry.workspace_id)
        .bind(2, entry.seq)
        .bind(3, entry.at)
        .bind(4, entry.actor)
        .bind(5, entry.action)
        .bind(6, entry.target)
        .bind(7, entry.before.dump())
        .bind(8, entry.after.dump())
        .bind(9, entry.prev_hash)
        .bind(10, entry.hash)
        .run();
    return {};
  }

  Result<Message> append_message(const Message& message) override {
    Message stored = message;
    stored.created_at = unix_millis();
    auto update = db_.prepare(sql({"UPDATE conversations SET message_count = message_count + 1, updated_at = ? "
                                   "WHERE id = ? AND ", kInScope}));
    update.bind(1, stored.created_at).bind(2, stored.conversation_id);
    bind_scope(update);
    update.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such conversation");
    db_.prepare("INSERT INTO messages (conversation_id, role, text, mode, confidence, sources, latency_us, created_at, "
                "author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, stored.conversation_id)
        .bind(2, stored.role)
        .bind(3, stored.text)
        .bind(4, stored.mode)
        .bind(5, stored.confidence)
        .bind(6, sources_to_json(stored.sources).dump())
        .bind(7, stored.latency_us)
        .bind(8, stored.created_at)
        .bind(9, stored.author)
        .run();
    stored.id = db_.last_insert_rowid();
    return stored;
  }

  Result<Generation> record_generation(const Generation& generation) override {
    PARLEY_ASSIGN_OR_RETURN(auto owner, bot(generation.bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    Generation stored = generation;
    stored.workspace_id = owner->workspace_id;
    stored.created_at = unix_millis();
    db_.prepare("INSERT INTO generations (workspace_id, bot_id, message_id, provider, model, outcome, error, "
                "prompt_tokens, completion_tokens, cost_usd, first_token_ms, total_ms, routing, created_at) "
                "VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_positional(stored.workspace_id, stored.bot_id, stored.message_id, stored.provider, stored.model,
                         stored.outcome, stored.error, stored.prompt_tokens, stored.completion_tokens, stored.cost_usd,
                         stored.first_token_ms, stored.total_ms, stored.routing.dump(), stored.created_at)
        .run();
    stored.id = db_.last_insert_rowid();
    return stored;
  }

  Result<bool> take_daily_message(std::string_view bot_id, std::int64_t day, std::int64_t limit) override {
    PARLEY_ASSIGN_OR_RETURN(auto owner, bot(bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    if (limit <= 0) return false;
    db_.prepare("DELETE FROM bot_daily_messages WHERE bot_id = ? AND day < ?").bind_positional(bot_id, day).run();
    db_.prepare("INSERT INTO bot_daily_messages (workspace_id, bot_id, day, messages) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (bot_id, day) DO UPDATE SET messages = messages + 1 WHERE messages < ?")
        .bind_positional(owner->workspace_id, bot_id, day, limit)
        .run();
    return db_.changes() > 0;
  }

  Result<Job> create_job(const Job& job) override {
    PARLEY_ASSIGN_OR_RETURN(auto owner, bot(job.bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    Job stored = job;
    stored.id = new_id("job");
    stored.workspace_id = owner->workspace_id;
    stored.created_at = stored.updated_at = unix_millis();
    db_.prepare("INSERT INTO jobs (id, workspace_id, bot_id, source_id, kind, state, requested, triggered_by, params, "
                "progress, result, error, lease_owner, lease_expires_at, attempts, created_at, started_at, finished_at, "
                "updated_at) VALUES (?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.source_id, stored.kind,
                         job_state_name(stored.state), stored.requested, stored.trigger, stored.params.dump(),
                         stored.progress.dump(), stored.result.dump(), stored.error, stored.lease_owner,
                         stored.lease_expires_at, stored.attempts, stored.created_at, stored.started_at,
                         stored.finished_at, stored.updated_at)
        .run();
    return stored;
  }

  Status set_feedback(std::string_view conversation_id, std::int64_t message_id, int rating) override {
    auto target = db_.prepare(sql({"SELECT c.workspace_id, c.bot_id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                                   "WHERE m.id = ? AND m.conversation_id = ? AND m.role = 'assistant' AND "
                                   "(:ws = '' OR c.workspace_id = :ws)"}));
    target.bind(1, message_id).bind(2, conversation_id);
    bind_scope(target);
    if (!target.step()) return make_error(ErrorCode::not_found, "no such answer in this conversation");
    const std::string workspace_id = target.text(0);
    const std::string bot_id = target.text(1);
    target.reset();
    if (rating == 0) {
      db_.prepare("DELETE FROM message_feedback WHERE message_id = ?").bind(1, message_id).run();
      return {};
    }
    db_.prepare("INSERT INTO message_feedback (message_id, conversation_id, workspace_id, bot_id, rating, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, "
                "created_at = excluded.created_at")
        .bind(1, message_id)
        .bind(2, conversation_id)
        .bind(3, workspace_id)
        .bind(4, bot_id)
        .bind(5, rating)
        .bind(6, unix_millis())
        .run();
    return {};
  }

  Result<User> create_user(const User& user) override {
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

  Status update_job(const Job& job) override {
    auto stmt = db_.prepare(sql({"UPDATE jobs SET state = ?, requested = ?, progress = ?, result = ?, error = ?, "
                                 "lease_owner = ?, lease_expires_at = ?, attempts = ?, started_at = ?, finished_at = ?, "
                                 "updated_at = ? WHERE id = ? AND ", kInScope}));
    stmt.bind_positional(job_state_name(job.state), job.requested, job.progress.dump(), job.result.dump(), job.error,
                         job.lease_owner, job.lease_expires_at, job.attempts, job.started_at, job.finished_at,
                         unix_millis(), job.id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such job");
    return {};
  }

  Result<int> add_crawl_pages(std::string_view job_id, const std::vector<CrawlPage>& pages) override {
    auto owner = db_.prepare(sql({"SELECT workspace_id FROM jobs WHERE id = ? AND ", kInScope}));
    owner.bind_positional(job_id);
    bind_scope(owner);
    if (!owner.step()) return make_error(ErrorCode::not_found, "no such job");
    const std::string workspace_id = owner.text(0);
    owner.reset();
    auto insert = db_.prepare("INSERT OR IGNORE INTO crawl_pages (job_id, workspace_id, url, depth, referrer, "
                              "listed_modified_at) VALUES (?, ?, ?, ?, ?, ?)");
    int added = 0;
    for (const auto& page : pages) {
      insert.bind_positional(job_id, workspace_id, page.url, page.depth, page.referrer, page.listed_modified_at);
      insert.run();
      added += db_.changes();
      insert.reset();
    }
    return added;
  }

  Status update_crawl_page(const CrawlPage& page) override {
    auto stmt = db_.prepare(sql({"UPDATE crawl_pages SET done = ?, outcome = ?, reason = ?, http_status = ?, "
                                 "document_uri = ? WHERE job_id = ? AND url = ? AND ", kInScope}));
    stmt.bind_positional(page.done ? 1 : 0, page.outcome, page.reason, page.http_status, page.document_uri, page.job_id,
                         page.url);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such crawl page");
    return {};
  }

  Status add_job_upload(const JobUpload& upload) override {
    PARLEY_ASSIGN_OR_RETURN(auto owner, job(upload.job_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such job");
    db_.prepare("INSERT INTO job_uploads (job_id, workspace_id, name, content_type, bytes) VALUES (?, ?, ?, ?, ?)")
        .bind(1, upload.job_id)
        .bind(2, owner->workspace_id)
        .bind(3, upload.name)
        .bind(4, upload.content_type)
        .bind_blob(5, upload.bytes)
        .run();
    return {};
  }

  Status delete_job_upload(std::int64_t upload_id) override {
    auto stmt = db_.prepare(sql({"DELETE FROM job_uploads WHERE id = ? AND ", kInScope}));
    stmt.bind_positional(upload_id);
    bind_scope(stmt);
    stmt.run();
    return {};
  }

  Status set_user_password(std::string_view user_id, std::string_view password_hash) override {
    auto stmt = db_.prepare(sql({"UPDATE users SET password_hash = ? WHERE id = ? AND ", kInScope}));
    stmt.bind(1, password_hash).bind(2, user_id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such user");
    return {};
  }

  Status set_user_role(std::string_view user_id, Role role) override {
    auto stmt = db_.prepare(sql({"UPDATE users SET role = ? WHERE id = ? AND ", kInScope}));
    stmt.bind(1, role_name(role)).bind(2, user_id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such user");
    return {};
  }

  Status delete_user(std::string_view user_id) override {
    auto stmt = db_.prepare(sql({"DELETE FROM users WHERE id = ? AND ", kInScope}));  // cascades to sessions
    stmt.bind(1, user_id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such user");
    return {};
  }

  Result<Session> create_session(const Session& session) override {
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

  Status delete_session(std::string_view session_id) override {
    auto stmt = db_.prepare(sql({"DELETE FROM sessions WHERE id = ? AND ", kInScope}));
    stmt.bind(1, session_id);
    bind_scope(stmt);
    stmt.run();
    return {};
  }

  Result<Lead> create_lead(const Lead& lead) override {
    PARLEY_ASSIGN_OR_RETURN(auto owner, bot(lead.bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    Lead stored = lead;
    stored.id = new_id("lead");
    stored.workspace_id = owner->workspace_id;
    stored.created_at = stored.updated_at = unix_millis();
    db_.prepare(sql({"INSERT INTO leads (", kLeadColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"}))
        .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.name, stored.email, stored.phone,
                         stored.company, stored.fields.dump(), stored.consent_text, stored.consented_at, stored.trigger,
                         stored.conversation_id, stored.submissions, stored.created_at, stored.updated_at)
        .run();
    return stored;
  }

  Status update_lead(const Lead& lead) override {
    auto stmt = db_.prepare(sql({"UPDATE leads SET name = ?, email = ?, phone = ?, company = ?, fields = ?, "
                                 "consent_text = ?, consented_at = ?, trigger = ?, conversation_id = ?, submissions = ?, "
                                 "updated_at = ? WHERE id = ? AND ", kInScope}));
    stmt.bind_positional(lead.name, lead.email, lead.phone, lead.company, lead.fields.dump(), lead.consent_text,
                         lead.consented_at, lead.trigger, lead.conversation_id, lead.submissions, unix_millis(), lead.id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such lead");
    return {};
  }

  Status delete_lead(std::string_view lead_id) override {
    auto stmt = db_.prepare(sql({"DELETE FROM leads WHERE id = ? AND ", kInScope}));
    stmt.bind_positional(lead_id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such lead");
    auto detach = db_.prepare(sql({"UPDATE conversations SET lead_id = '' WHERE lead_id = ? AND ", kInScope}));
    detach.bind_positional(lead_id);
    bind_scope(detach);
    detach.run();
    return {};
  }

  Status update_conversation_support(const Conversation& conversation) override {
    auto stmt = db_.prepare(sql({"UPDATE conversations SET status = ?, agent_id = ?, agent_name = ?, "
                                 "handoff_requested_at = ?, handoff_reason = ?, claim_deadline_at = ?, "
                                 "handoff_notice_at = ?, claimed_at = ?, closed_at = ?, summary = ?, lead_id = ?, "
                                 "updated_at = ? WHERE id = ? AND bot_id = ? AND ", kInScope}));
    stmt.bind_positional(conversation.status, conversation.agent_id, conversation.agent_name,
                         conversation.handoff_requested_at, conversation.handoff_reason, conversation.claim_deadline_at,
                         conversation.handoff_notice_at, conversation.claimed_at, conversation.closed_at,
                         conversation.summary, conversation.lead_id, unix_millis(), conversation.id, conversation.bot_id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such conversation");
    return {};
  }

  Result<Webhook> create_webhook(const Webhook& webhook) override {
    if (scope_.is_system()) return make_error(ErrorCode::forbidden, "a webhook belongs to a workspace");
    if (!webhook.bot_id.empty()) {
      PARLEY_ASSIGN_OR_RETURN(auto owner, bot(webhook.bot_id));
      if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    }
    Webhook stored = webhook;
    stored.id = new_id("whk");
    stored.workspace_id = scope_.workspace_id();
    stored.created_at = stored.updated_at = unix_millis();
    db_.prepare("INSERT INTO webhooks (id, workspace_id, bot_id, url, events, format, secret, description, active, "
                "created_at, updated_at) VALUES (?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind_positional(stored.id, stored.workspace_id, stored.bot_id, stored.url, Json(stored.events).dump(),
                         stored.format, stored.secret, stored.description, stored.active ? 1 : 0, stored.created_at,
                         stored.updated_at)
        .run();
    return stored;
  }

  Status update_webhook(const Webhook& webhook) override {
    auto stmt = db_.prepare(sql({"UPDATE webhooks SET url = ?, events = ?, format = ?, secret = ?, description = ?, "
                                 "active = ?, updated_at = ? WHERE id = ? AND ", kInScope}));
    stmt.bind_positional(webhook.url, Json(webhook.events).dump(), webhook.format, webhook.secret, webhook.description,
                         webhook.active ? 1 : 0, unix_millis(), webhook.id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such webhook");
    return {};
  }

  Status delete_webhook(std::string_view webhook_id) override {
    auto stmt = db_.prepare(sql({"DELETE FROM webhooks WHERE id = ? AND ", kInScope}));
    stmt.bind_positional(webhook_id);
    bind_scope(stmt);
    stmt.run();  // cascades to its deliveries and their attempts
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such webhook");
    return {};
  }

  Result<Delivery> add_delivery(const Delivery& delivery) override {
    PARLEY_TRY(require_workspace(delivery.workspace_id));
    Delivery stored = delivery;
    stored.created_at = unix_millis();
    db_.prepare("INSERT INTO deliveries (workspace_id, bot_id, channel, webhook_id, target, format, event_id, event_type, "
                "payload, state, next_attempt_at, expires_at, created_at, request_id) "
                "VALUES (?, ?, ?, NULLIF(?, ''), ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)")
        .bind_positional(stored.workspace_id, stored.bot_id, stored.channel, stored.webhook_id, stored.target,
                         stored.format, stored.event_id, stored.event_type, stored.payload, stored.next_attempt_at,
                         stored.expires_at, stored.created_at, stored.request_id)
        .run();
    stored.id = db_.last_insert_rowid();
    stored.state = "pending";
    return stored;
  }

  Result<std::vector<Delivery>> claim_deliveries(std::string_view channel, std::int64_t now, std::string_view owner,
                                                 std::int64_t lease_until, int limit) override {
    std::vector<Delivery> claimed = [&] {
      auto stmt = db_.prepare(sql({"SELECT ", kDeliveryColumns, ", COALESCE(w.url, d.target), COALESCE(w.secret, '') "
                                   "FROM deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id "
                                   "WHERE d.channel = ? AND d.state = 'pending' AND d.next_attempt_at <= ? AND "
                                   "d.lease_expires_at < ? AND (d.webhook_id IS NULL OR w.active = 1) AND ",
                                   kDeliveryInScope, " ORDER BY d.next_attempt_at, d.id LIMIT ?"}));
      stmt.bind_positional(channel, now, now, limit);
      bind_scope(stmt);
      std::vector<Delivery> rows;
      while (stmt.step()) {
        Delivery delivery = read_delivery(stmt);
        delivery.target = stmt.text(21);
        delivery.secret = stmt.text(22);
        rows.push_back(std::move(delivery));
      }
      return rows;
    }();
    auto lease = db_.prepare("UPDATE deliveries SET lease_owner = ?, lease_expires_at = ? WHERE id = ?");
    for (auto& delivery : claimed) {
      delivery.lease_owner = std::string(owner);
      delivery.lease_expires_at = lease_until;
      lease.bind_positional(owner, lease_until, delivery.id);
      lease.run();
      lease.reset();
    }
    return claimed;
  }

  Status update_delivery(const Delivery& delivery) override {
    auto stmt = db_.prepare(sql({"UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, expires_at = ?, "
                                 "lease_owner = ?, lease_expires_at = ?, last_status = ?, last_error = ?, delivered_at = ? "
                                 "WHERE id = ? AND ", kInScope}));
    stmt.bind_positional(delivery.state, delivery.attempts, delivery.next_attempt_at, delivery.expires_at,
                         delivery.lease_owner, delivery.lease_expires_at, delivery.last_status, delivery.last_error,
                         delivery.delivered_at, delivery.id);
    bind_scope(stmt);
    stmt.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such delivery");
    return {};
  }

  Status add_delivery_attempt(const DeliveryAttempt& attempt) override {
    db_.prepare("INSERT INTO delivery_attempts (delivery_id, attempted_at, status, error, duration_ms, response) "
                "VALUES (?, ?, ?, ?, ?, ?)")
        .bind_positional(attempt.delivery_id, attempt.attempted_at, attempt.status, attempt.error, attempt.duration_ms,
                         attempt.response)
        .run();
    return {};
  }

  Status release_deliveries(std::string_view owner) override {
    auto stmt = db_.prepare(sql({"UPDATE deliveries SET lease_owner = '', lease_expires_at = 0 WHERE lease_owner = ? AND "
                                 "state = 'pending' AND ", kInScope}));
    stmt.bind_positional(owner);
    bind_scope(stmt);
    stmt.run();
    return {};
  }

  Result<std::string> instance_secret(std::string_view name, std::string_view initial) override {
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

 private:
  void bind_scope(Statement& stmt) const { stmt.bind(":ws", std::string_view(scope_.workspace_id())); }

  // The first row of a scoped query, read by `read`; `args` fill its plain "?" parameters in order.
  template <typename Reader, typename... Args>
  auto one(const std::string& query, Reader read, const Args&... args)
      -> Result<std::optional<decltype(read(std::declval<const Statement&>()))>> {
    auto stmt = db_.prepare(query);
    stmt.bind_positional(args...);
    bind_scope(stmt);
    using Row = decltype(read(std::declval<const Statement&>()));
    if (!stmt.step()) return std::optional<Row>();
    return std::optional<Row>(read(stmt));
  }

  // The workspace of a source in scope, without reading (and counting) the whole row: once per file written.
  Result<std::optional<std::string>> source_workspace(std::string_view bot_id, std::string_view source_id) {
    return one(sql({"SELECT s.workspace_id FROM sources s WHERE s.id = ? AND s.bot_id = ? AND ", kSourceInScope}),
               read_first_text, source_id, bot_id);
  }
  static std::string read_first_text(const Statement& row) { return row.text(0); }

  // Every row of a scoped query.
  template <typename Reader, typename... Args>
  auto all(const std::string& query, Reader read, const Args&... args)
      -> Result<std::vector<decltype(read(std::declval<const Statement&>()))>> {
    auto stmt = db_.prepare(query);
    stmt.bind_positional(args...);
    bind_scope(stmt);
    std::vector<decltype(read(std::declval<const Statement&>()))> rows;
    while (stmt.step()) rows.push_back(read(stmt));
    return rows;
  }

  // The workspace of the bot, when the bot exists in this transaction's scope. A chat turn asks several times for
  // the same bot, so the answer is kept for the transaction (delete_bot forgets it).
  Result<std::optional<std::string>> bot_workspace(std::string_view bot_id) {
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

  Status require_workspace(std::string_view workspace_id) {
    if (!scope_.is_system() && scope_.workspace_id() != workspace_id) {
      return make_error(ErrorCode::forbidden, "outside the workspace of this request");
    }
    PARLEY_ASSIGN_OR_RETURN(auto found, workspace(workspace_id));
    if (!found) return make_error(ErrorCode::not_found, "no such workspace");
    return {};
  }

  // Inserts chunks of the document with new ids, and their full-text rows.
  void insert_chunks(const Document& document, const std::vector<const NewChunk*>& new_chunks) {
    if (new_chunks.empty()) return;
    auto insert = db_.prepare("INSERT INTO chunks (workspace_id, bot_id, document_id, ordinal, kind, title, "
                              "heading_path, text, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto index = db_.prepare(index_chunk_sql(document.bot_id));
    for (const NewChunk* new_chunk : new_chunks) {
      const auto& [chunk, terms] = *new_chunk;
      insert.bind_positional(document.workspace_id, document.bot_id, document.id, chunk.ordinal,
                             chunk_kind_name(chunk.kind), chunk.title, chunk.heading_path, chunk.text,
                             chunk.metadata.dump());
      insert.run();
      insert.reset();
      index.bind_positional(db_.last_insert_rowid(), terms.title, terms.headings, terms.body,
                            chunk_kind_name(chunk.kind));
      index.run();
      index.reset();
    }
  }

  static std::string index_chunk_sql(std::string_view bot_id) {
    return "INSERT INTO " + fts_table(bot_id) + " (rowid, title, headings, body, kind) VALUES (?, ?, ?, ?, ?)";
  }

  // Brings a stored document's chunks to `new_chunks` while keeping the ids of those whose content is unchanged,
  // so that citations and anything else holding a chunk id stay valid across edits and resyncs. A chunk's content
  // is its kind, title, heading path and text; the n-th of several identical chunks takes the id of the n-th old
  // one. Kept chunks are left alone in the chunks table and the full-text index unless their ordinal, metadata or
  // analysed terms (another index language) changed; only removed chunks are deleted and new ones inserted.
  // Returns how many chunks the document gained (negative: lost).
  std::int64_t replace_chunks(const Document& document, const std::vector<NewChunk>& new_chunks) {
    struct OldChunk {
      std::int64_t id;
      int ordinal;
      std::string metadata;
      bool kept = false;
    };
    std::vector<OldChunk> old_chunks;
    // Content key -> indexes into old_chunks, in ordinal order.
    std::unordered_map<std::string, std::vector<std::size_t>> by_content;
    const auto content_key = [](std::string_view kind, std::string_view title, std::string_view heading_path,
                                std::string_view text) {
      std::string key;
      key.reserve(kind.size() + title.size() + heading_path.size() + text.size() + 3);
      key.append(kind).append(1, '\0').append(title).append(1, '\0').append(heading_path).append(1, '\0').append(text);
      return key;
    };
    {
      auto stmt = db_.prepare(
          "SELECT id, ordinal, metadata, kind, title, heading_path, text FROM chunks WHERE document_id = ? "
          "ORDER BY ordinal");
      stmt.bind(1, document.id);
      while (stmt.step()) {
        old_chunks.push_back({stmt.integer(0), static_cast<int>(stmt.integer(1)), stmt.text(2)});
        by_content[content_key(stmt.text(3), stmt.text(4), stmt.text(5), stmt.text(6))].push_back(old_chunks.size() - 1);
      }
    }
    // Which old chunk each new one keeps, if any.
    std::vector<const OldChunk*> kept(new_chunks.size(), nullptr);
    for (std::size_t i = 0; i < new_chunks.size(); ++i) {
      const Chunk& chunk = new_chunks[i].chunk;
      const auto found = by_content.find(content_key(chunk_kind_name(chunk.kind), chunk.title, chunk.heading_path, chunk.text));
      if (found == by_content.end()) continue;
      for (const std::size_t candidate : found->second) {
        if (!old_chunks[candidate].kept) {
          old_chunks[candidate].kept = true;
          kept[i] = &old_chunks[candidate];
          break;
        }
      }
    }
    const std::string table = fts_table(document.bot_id);
    std::vector<const NewChunk*> added;
    for (std::size_t i = 0; i < new_chunks.size(); ++i) {
      const auto& [chunk, terms] = new_chunks[i];
      const OldChunk* old = kept[i];
      if (old == nullptr) {
        added.push_back(&new_chunks[i]);
        continue;
      }
      const std::string metadata = chunk.metadata.dump();
      if (old->ordinal != chunk.ordinal || old->metadata != metadata) {
        db_.prepare("UPDATE chunks SET ordinal = ?, metadata = ? WHERE id = ?")
            .bind_positional(chunk.ordinal, metadata, old->id)
            .run();
      }
      auto indexed = db_.prepare("SELECT title, headings, body FROM " + table + " WHERE rowid = ?");
      indexed.bind(1, old->id);
      const bool same_terms = indexed.step() && indexed.text(0) == terms.title && indexed.text(1) == terms.headings &&
                              indexed.text(2) == terms.body;
      indexed.reset();
      if (!same_terms) {
        db_.prepare("DELETE FROM " + table + " WHERE rowid = ?").bind(1, old->id).run();
        db_.prepare(index_chunk_sql(document.bot_id))
            .bind_positional(old->id, terms.title, terms.headings, terms.body, chunk_kind_name(chunk.kind))
            .run();
      }
    }
    // New chunks before removed ones go: SQLite gives a new row the largest id plus one, which would otherwise be
    // the id of a removed chunk whenever that was the newest row.
    insert_chunks(document, added);
    std::int64_t removed = 0;
    for (const OldChunk& old : old_chunks) {
      if (old.kept) continue;
      db_.prepare("DELETE FROM " + table + " WHERE rowid = ?").bind(1, old.id).run();
      db_.prepare("DELETE FROM chunks WHERE id = ?").bind(1, old.id).run();
      ++removed;
    }
    return static_cast<std::int64_t>(added.size()) - removed;
  }

  // The full-text rows are removed explicitly: they live in a per-bot table that foreign keys cannot reach.
  // Returns how many chunks were removed.
  std::int64_t remove_document_chunks(std::string_view bot_id, std::string_view document_id) {
    db_.prepare("DELETE FROM " + fts_table(bot_id) + " WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)")
        .bind(1, document_id)
        .run();
    db_.prepare("DELETE FROM chunks WHERE document_id = ?").bind(1, document_id).run();
    return db_.changes();
  }

  // A change to the bot's chunks: the cached statistics of readers are keyed by knowledge_version.
  void bump_knowledge(std::string_view bot_id, std::int64_t chunk_delta) {
    db_.prepare("UPDATE bots SET knowledge_version = knowledge_version + 1, chunk_count = chunk_count + ?2, "
                "updated_at = ?3 WHERE id = ?1")
        .bind(1, bot_id)
        .bind(2, chunk_delta)
        .bind(3, unix_millis())
        .run();
  }

  Connection& db_;
  const Scope& scope_;
  std::string owned_bot_, owned_bot_workspace_;  // see bot_workspace
  std::int64_t owned_bot_version_ = 0;           // its knowledge version, as this transaction sees it
};

Error to_error(const SqliteError& error) {
  const int primary = error.code() & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return make_error(ErrorCode::unavailable, "the store is busy; retry shortly");
  }
  if (primary == SQLITE_CONSTRAINT) return make_error(ErrorCode::conflict, error.what());
  if (primary == SQLITE_FULL) return make_error(ErrorCode::unavailable, "the disk is full");
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    // Never an answer from damaged pages: the request fails, and the operator is told where to look.
    spdlog::error("store: the database is damaged ({}); run `parley doctor` and restore a backup", error.what());
    return make_error(ErrorCode::unavailable, "the store is damaged; the operator has been alerted");
  }
  return make_error(ErrorCode::internal, error.what());
}

// Runs WAL checkpoints on a thread and connection of its own, so that no commit pays for copying the log back into
// the database (during bulk ingestion that copy, with its fsync, was a third of all commit time). A PASSIVE
// checkpoint never blocks the writer or readers; the writer appends to the log meanwhile.
class Checkpointer {
 public:
  explicit Checkpointer(const std::string& path) : db_(path), thread_([this](std::stop_token stop) { run(stop); }) {}
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  ~Checkpointer() {
    thread_.request_stop();
    thread_.join();
  }

  // Called after each commit of the writer (under its mutex) with the number of pages in the log. A checkpoint is
  // asked for once per kCheckpointFrames new pages: each one ends with an fsync of the database.
  void after_commit(sqlite3* writer, int log_frames) {
    if (log_frames < frames_at_last_request_) frames_at_last_request_ = 0;  // the log started over
    if (log_frames - frames_at_last_request_ < kCheckpointFrames) return;
    frames_at_last_request_ = log_frames;
    if (log_frames >= kWriterCheckpointFrames) {
      sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      requested_ = true;
    }
    wake_.notify_one();
  }

 private:
  void run(std::stop_token stop) {
    while (true) {
      {
        std::unique_lock lock(mutex_);
        if (!wake_.wait(lock, stop, [&] { return requested_; })) return;
        requested_ = false;
      }
      const int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) spdlog::warn("store: checkpoint failed: {}", sqlite3_errstr(rc));
    }
  }

  Connection db_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  bool requested_ = false;
  int frames_at_last_request_ = 0;  // the writer's
  std::jthread thread_;  // last: started once everything it uses exists
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)), writer_(path_), checkpointer_(path_) {
    schema_version_ = migrate(writer_);
    require_fts_rank(writer_);
    // Replaces the writer's automatic checkpoints.
    sqlite3_wal_hook(writer_.handle(), &SqliteStore::after_commit, &checkpointer_);
  }

  Status read(const Scope& scope, const std::function<Status(ReadTx&)>& work) override {
    StoreMetrics& metrics = store_metrics();
    const auto asked = std::chrono::steady_clock::now();
    std::unique_ptr<Connection> db = take_reader();
    const auto taken = std::chrono::steady_clock::now();
    metrics.reader_wait.observe(seconds_between(asked, taken));
    Status status = run_transaction(*db, "BEGIN", scope, [&](SqliteTx& tx) { return work(tx); });
    give_back_reader(std::move(db));
    metrics.read_transaction.observe(seconds_between(taken, std::chrono::steady_clock::now()));
    return status;
  }

  Status write(const Scope& scope, const std::function<Status(WriteTx&)>& work) override {
    StoreMetrics& metrics = store_metrics();
    const auto asked = std::chrono::steady_clock::now();
    std::lock_guard lock(writer_mutex_);
    const auto taken = std::chrono::steady_clock::now();
    metrics.writer_wait.observe(seconds_between(asked, taken));
    Status status = run_transaction(writer_, "BEGIN IMMEDIATE", scope, [&](SqliteTx& tx) { return work(tx); });
    metrics.write_transaction.observe(seconds_between(taken, std::chrono::steady_clock::now()));
    return status;
  }

  int schema_version() const override { return schema_version_; }

 private:
  template <typename Work>
  Status run_transaction(Connection& db, const char* begin, const Scope& scope, Work&& work) {
    bool open = false;
    try {
      if (db.cached_statement_count() > kMaxCachedStatements) db.clear_statement_cache();
      // Prepared once per connection: sqlite3_exec would parse these again on every request.
      db.prepare(begin).run();
      open = true;
      SqliteTx tx(db, scope);
      Status status = work(tx);
      db.prepare(status.ok() ? "COMMIT" : "ROLLBACK").run();
      return status;
    } catch (const SqliteError& error) {
      if (open) rollback_quietly(db);
      spdlog::warn("store: {}", error.what());
      return to_error(error);
    } catch (const std::exception& error) {
      if (open) rollback_quietly(db);
      spdlog::error("store: unexpected error: {}", error.what());
      return make_error(ErrorCode::internal, "store error");
    }
  }

  static double seconds_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
  }

  static int after_commit(void* checkpointer, sqlite3* db, const char* /*schema*/, int log_frames) {
    static_cast<Checkpointer*>(checkpointer)->after_commit(db, log_frames);
    return SQLITE_OK;
  }

  static void rollback_quietly(Connection& db) {
    try {
      db.prepare("ROLLBACK").run();
    } catch (const SqliteError&) {
      // SQLite already rolled back (e.g. after SQLITE_FULL); nothing is left open.
    }
  }

  std::unique_ptr<Connection> take_reader() {
    {
      std::lock_guard lock(readers_mutex_);
      if (!idle_readers_.empty()) {
        auto db = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return db;
      }
    }
    auto db = std::make_unique<Connection>(path_);
    require_fts_rank(*db);
    return db;
  }

  static void require_fts_rank(Connection& db) {
    if (!register_fts_rank(db.handle())) throw SqliteError(SQLITE_ERROR, "SQLite was built without FTS5");
  }

  void give_back_reader(std::unique_ptr<Connection> db) {
    std::lock_guard lock(readers_mutex_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(db));
  }

  std::string path_;
  std::mutex writer_mutex_;
  Connection writer_;
  Checkpointer checkpointer_;
  int schema_version_ = 0;
  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  try {
    return std::unique_ptr<Store>(std::make_unique<sqlite::SqliteStore>(options.path));
  } catch (const sqlite::SqliteError& error) {
    return make_error(ErrorCode::unavailable, error.what());
  } catch (const std::exception& error) {
    return make_error(ErrorCode::unavailable, error.what());
  }
}

}  // namespace parley::store
