// The PostgreSQL store's side of the full-text index: chunks keep their analysed terms, and every change is
// logged for the replicas' indexes (knowledge_log, schema.cpp); PostgreSQL's SQL fragments for the shared queries;
// the audit chain's lock.
#include "common/clock.h"
#include "store/postgres/pg_tx.h"

namespace parley::store::postgres {

void PgTx::log_change(std::string_view bot_id, std::int64_t chunk_id, std::string_view op) {
  db_.prepare("INSERT INTO knowledge_log (bot_id, chunk_id, op, at) VALUES (?, ?, ?, ?)")
      .bind_positional(bot_id, chunk_id, op, unix_millis())
      .run();
  changed_index_ = true;
}

void PgTx::on_bot_created(std::string_view /*bot_id*/) {}  // nothing to create: the index has a row per chunk

void PgTx::on_bot_deleted(std::string_view bot_id) { log_change(bot_id, 0, "drop_bot"); }

void PgTx::index_chunk(const Document& document, std::int64_t chunk_id, const NewChunk& chunk) {
  db_.prepare("UPDATE chunks SET index_title = ?, index_headings = ?, index_body = ? WHERE id = ?")
      .bind_positional(chunk.terms.title, chunk.terms.headings, chunk.terms.body, chunk_id)
      .run();
  log_change(document.bot_id, chunk_id, "index");
}

bool PgTx::chunk_indexed_as(const Document& /*document*/, std::int64_t chunk_id, const ChunkIndexTerms& terms) {
  auto indexed = db_.prepare("SELECT index_title, index_headings, index_body FROM chunks WHERE id = ?");
  indexed.bind(1, chunk_id);
  return indexed.step() && indexed.text(0) == terms.title && indexed.text(1) == terms.headings &&
         indexed.text(2) == terms.body;
}

void PgTx::unindex_chunk(const Document& document, std::int64_t chunk_id) {
  log_change(document.bot_id, chunk_id, "remove");
}

void PgTx::unindex_document_chunks(std::string_view bot_id, std::string_view document_id) {
  db_.prepare("INSERT INTO knowledge_log (bot_id, chunk_id, op, at) SELECT ?, id, 'remove', ? FROM chunks "
              "WHERE document_id = ?")
      .bind_positional(bot_id, unix_millis(), document_id)
      .run();
  changed_index_ = true;
}

std::string PgTx::day_of(std::string_view millis) const {
  return "to_char(to_timestamp((" + std::string(millis) + ") / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
}

std::string PgTx::json_elements(std::string_view array) const {
  return "jsonb_array_elements(CASE WHEN jsonb_typeof((" + std::string(array) + ")::jsonb) = 'array' THEN (" +
         std::string(array) + ")::jsonb ELSE '[]'::jsonb END) j";
}

std::string PgTx::json_text(std::string_view element, std::string_view key) const {
  return "(" + std::string(element) + " ->> '" + std::string(key) + "')";
}

void PgTx::lock_workspace(std::string_view name) {
  db_.prepare("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")
      .bind(1, std::string(name) + ":" + scope_.workspace_id())
      .run();
}

Result<std::optional<AuditEntry>> PgTx::last_audit_entry() {
  if (writable_ && !scope_.is_system()) lock_workspace("audit");
  return SqlTx::last_audit_entry();
}

}  // namespace parley::store::postgres
