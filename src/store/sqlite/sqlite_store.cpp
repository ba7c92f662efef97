// The SQLite implementation of the store: one writer connection behind a mutex (SQLite allows one writer at a
// time anyway, and queuing in-process is cheaper than busy-waiting), and a pool of reader connections that run
// concurrently with it thanks to WAL.
#include <memory>
#include <mutex>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/ids.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/schema.h"
#include "store/store.h"

namespace parley::store {
namespace sqlite {
namespace {

constexpr std::size_t kMaxCachedStatements = 512;
constexpr std::size_t kMaxIdleReaders = 16;

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
    "(SELECT count(*) FROM chunks c JOIN documents d ON c.document_id = d.id WHERE d.source_id = s.id)";
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
  return source;
}

constexpr std::string_view kDocumentColumns =
    "id, workspace_id, bot_id, source_id, uri, title, content_type, content_hash, byte_size, language, status, "
    "error, created_at, updated_at";
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
  return doc;
}

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
Conversation read_conversation(const Statement& row) {
  Conversation conversation;
  conversation.id = row.text(0);
  conversation.workspace_id = row.text(1);
  conversation.bot_id = row.text(2);
  conversation.status = row.text(3);
  conversation.message_count = row.integer(4);
  conversation.created_at = row.integer(5);
  conversation.updated_at = row.integer(6);
  return conversation;
}

constexpr std::string_view kMessageColumns =
    "id, conversation_id, role, text, mode, confidence, sources, latency_us, created_at";
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
  return message;
}

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) out += part;
  return out;
}

// Every query of a scoped table carries this condition; ":ws" is bound to the scope's workspace ('' = system).
// Plain "?" parameters are bound with Statement::bind_positional, which skips the named ones.
constexpr std::string_view kInScope = "(:ws = '' OR workspace_id = :ws)";
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

  Result<std::vector<ChunkHit>> search_chunks(std::string_view bot_id, const ChunkQuery& query) override {
    std::vector<ChunkHit> hits;
    if (query.terms.empty() || query.limit <= 0) return hits;
    PARLEY_ASSIGN_OR_RETURN(auto owner, bot(bot_id));
    if (!owner) return hits;  // unknown bot, or another workspace's
    std::string match = query.title_only ? "{title} : (" : "{title headings body} : (";
    for (std::size_t i = 0; i < query.terms.size(); ++i) {
      if (i > 0) match += " OR ";
      match += fts_quote(query.terms[i]);
    }
    match += ")";
    if (query.kind) match = "kind : " + fts_quote(chunk_kind_name(*query.kind)) + " AND " + match;
    const std::string table = fts_table(bot_id);
    auto stmt = db_.prepare("SELECT rowid, bm25(" + table + ", ?, ?, ?, 0.0) AS score FROM " + table + " WHERE " +
                            table + " MATCH ? ORDER BY score LIMIT ?");
    stmt.bind(1, query.title_weight).bind(2, query.headings_weight).bind(3, query.body_weight);
    stmt.bind(4, match).bind(5, query.limit);
    while (stmt.step()) hits.push_back({stmt.integer(0), -stmt.real(1)});
    return hits;
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

  Result<std::optional<Conversation>> conversation(std::string_view bot_id, std::string_view conversation_id) override {
    return one(sql({"SELECT ", kConversationColumns, " FROM conversations WHERE id = ? AND bot_id = ? AND ", kInScope}),
               read_conversation, conversation_id, bot_id);
  }

  Result<std::vector<Conversation>> conversations(std::string_view bot_id, const ConversationFilter& filter) override {
    return all(sql({"SELECT ", kConversationColumns, " FROM conversations WHERE bot_id = ? AND created_at >= ? AND ",
                    kInScope, " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"}),
               read_conversation, bot_id, filter.since.value_or(0), filter.limit, filter.offset);
  }

  Result<std::vector<Message>> messages(std::string_view conversation_id) override {
    // Scoped through the conversation row, which carries the workspace.
    return all(sql({"SELECT ", kMessageColumns, " FROM messages WHERE conversation_id = ? AND EXISTS ("
                    "SELECT 1 FROM conversations WHERE id = ? AND ", kInScope, ") ORDER BY id"}),
               read_message, conversation_id, conversation_id);
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
    drop_bot_index(db_, bot_id);
    db_.prepare("DELETE FROM bots WHERE id = ?").bind(1, bot_id).run();  // cascades to everything of the bot
    return {};
  }

  Result<Source> create_source(std::string_view bot_id, SourceKind kind, std::string_view name) override {
    PARLEY_ASSIGN_OR_RETURN(auto owner, bot(bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    Source source;
    source.id = new_id("src");
    source.workspace_id = owner->workspace_id;
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
    auto stmt = db_.prepare(sql({"UPDATE sources SET status = ?, error = ?, updated_at = ? WHERE id = ? AND ", kInScope}));
    stmt.bind(1, source.status).bind(2, source.error).bind(3, unix_millis()).bind(4, source.id);
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
    PARLEY_ASSIGN_OR_RETURN(auto owning_source, source(document.bot_id, document.source_id));
    if (!owning_source) return make_error(ErrorCode::not_found, "no such source");
    Document stored = document;
    std::int64_t removed = 0;
    stored.workspace_id = owning_source->workspace_id;
    stored.updated_at = unix_millis();
    auto existing = db_.prepare("SELECT id, created_at FROM documents WHERE source_id = ? AND uri = ?");
    existing.bind(1, document.source_id).bind(2, document.uri);
    if (existing.step()) {
      stored.id = existing.text(0);
      stored.created_at = existing.integer(1);
      existing.reset();
      removed = remove_document_chunks(stored.bot_id, stored.id);
      db_.prepare("UPDATE documents SET title = ?, content_type = ?, content_hash = ?, byte_size = ?, language = ?, "
                  "status = ?, error = ?, updated_at = ? WHERE id = ?")
          .bind(1, stored.title)
          .bind(2, stored.content_type)
          .bind(3, stored.content_hash)
          .bind(4, stored.byte_size)
          .bind(5, stored.language)
          .bind(6, stored.status)
          .bind(7, stored.error)
          .bind(8, stored.updated_at)
          .bind(9, stored.id)
          .run();
    } else {
      existing.reset();
      stored.id = new_id("doc");
      stored.created_at = stored.updated_at;
      db_.prepare(sql({"INSERT INTO documents (", kDocumentColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"}))
          .bind(1, stored.id)
          .bind(2, stored.workspace_id)
          .bind(3, stored.bot_id)
          .bind(4, stored.source_id)
          .bind(5, stored.uri)
          .bind(6, stored.title)
          .bind(7, stored.content_type)
          .bind(8, stored.content_hash)
          .bind(9, stored.byte_size)
          .bind(10, stored.language)
          .bind(11, stored.status)
          .bind(12, stored.error)
          .bind(13, stored.created_at)
          .bind(14, stored.updated_at)
          .run();
    }
    insert_chunks(stored, new_chunks);
    bump_knowledge(stored.bot_id, static_cast<std::int64_t>(new_chunks.size()) - removed);
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
    PARLEY_ASSIGN_OR_RETURN(auto owner, bot(bot_id));
    if (!owner) return make_error(ErrorCode::not_found, "no such bot");
    Conversation conversation;
    conversation.id = new_id("conv");
    conversation.workspace_id = owner->workspace_id;
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

  Result<Message> append_message(const Message& message) override {
    Message stored = message;
    stored.created_at = unix_millis();
    auto update = db_.prepare(sql({"UPDATE conversations SET message_count = message_count + 1, updated_at = ? "
                                   "WHERE id = ? AND ", kInScope}));
    update.bind(1, stored.created_at).bind(2, stored.conversation_id);
    bind_scope(update);
    update.run();
    if (db_.changes() == 0) return make_error(ErrorCode::not_found, "no such conversation");
    db_.prepare("INSERT INTO messages (conversation_id, role, text, mode, confidence, sources, latency_us, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, stored.conversation_id)
        .bind(2, stored.role)
        .bind(3, stored.text)
        .bind(4, stored.mode)
        .bind(5, stored.confidence)
        .bind(6, sources_to_json(stored.sources).dump())
        .bind(7, stored.latency_us)
        .bind(8, stored.created_at)
        .run();
    stored.id = db_.last_insert_rowid();
    return stored;
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

  Status require_workspace(std::string_view workspace_id) {
    if (!scope_.is_system() && scope_.workspace_id() != workspace_id) {
      return make_error(ErrorCode::forbidden, "outside the workspace of this request");
    }
    PARLEY_ASSIGN_OR_RETURN(auto found, workspace(workspace_id));
    if (!found) return make_error(ErrorCode::not_found, "no such workspace");
    return {};
  }

  void insert_chunks(const Document& document, const std::vector<NewChunk>& new_chunks) {
    const std::string table = fts_table(document.bot_id);
    auto insert = db_.prepare("INSERT INTO chunks (workspace_id, bot_id, document_id, ordinal, kind, title, "
                              "heading_path, text, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto index = db_.prepare("INSERT INTO " + table + " (rowid, title, headings, body, kind) VALUES (?, ?, ?, ?, ?)");
    for (const auto& [chunk, terms] : new_chunks) {
      insert.bind(1, document.workspace_id)
          .bind(2, document.bot_id)
          .bind(3, document.id)
          .bind(4, chunk.ordinal)
          .bind(5, chunk_kind_name(chunk.kind))
          .bind(6, chunk.title)
          .bind(7, chunk.heading_path)
          .bind(8, chunk.text)
          .bind(9, chunk.metadata.dump());
      insert.run();
      insert.reset();
      index.bind(1, db_.last_insert_rowid())
          .bind(2, terms.title)
          .bind(3, terms.headings)
          .bind(4, terms.body)
          .bind(5, chunk_kind_name(chunk.kind));
      index.run();
      index.reset();
    }
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
};

Error to_error(const SqliteError& error) {
  const int primary = error.code() & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return make_error(ErrorCode::unavailable, "the store is busy; retry shortly");
  }
  if (primary == SQLITE_CONSTRAINT) return make_error(ErrorCode::conflict, error.what());
  if (primary == SQLITE_FULL) return make_error(ErrorCode::unavailable, "the disk is full");
  return make_error(ErrorCode::internal, error.what());
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)), writer_(path_) {
    schema_version_ = migrate(writer_);
  }

  Status read(const Scope& scope, const std::function<Status(ReadTx&)>& work) override {
    std::unique_ptr<Connection> db = take_reader();
    Status status = run_transaction(*db, "BEGIN", scope, [&](SqliteTx& tx) { return work(tx); });
    give_back_reader(std::move(db));
    return status;
  }

  Status write(const Scope& scope, const std::function<Status(WriteTx&)>& work) override {
    std::lock_guard lock(writer_mutex_);
    return run_transaction(writer_, "BEGIN IMMEDIATE", scope, [&](SqliteTx& tx) { return work(tx); });
  }

  int schema_version() const override { return schema_version_; }

 private:
  template <typename Work>
  Status run_transaction(Connection& db, const char* begin, const Scope& scope, Work&& work) {
    bool open = false;
    try {
      if (db.cached_statement_count() > kMaxCachedStatements) db.clear_statement_cache();
      db.exec(begin);
      open = true;
      SqliteTx tx(db, scope);
      Status status = work(tx);
      if (status.ok()) {
        db.exec("COMMIT");
      } else {
        db.exec("ROLLBACK");
      }
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

  static void rollback_quietly(Connection& db) {
    try {
      db.exec("ROLLBACK");
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
    return std::make_unique<Connection>(path_);
  }

  void give_back_reader(std::unique_ptr<Connection> db) {
    std::lock_guard lock(readers_mutex_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(db));
  }

  std::string path_;
  std::mutex writer_mutex_;
  Connection writer_;
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
