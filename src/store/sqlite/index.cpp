// The SQLite store's full-text index of chunks: one FTS5 table per bot (schema.cpp), rows kept in step with the
// chunks table; and SQLite's SQL fragments for the shared queries.
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_tx.h"

namespace parley::store::sqlite {
namespace {

std::string index_chunk_sql(std::string_view bot_id) {
  return "INSERT INTO " + fts_table(bot_id) + " (rowid, title, headings, body, kind) VALUES (?, ?, ?, ?, ?)";
}

}  // namespace

void SqliteTx::on_bot_created(std::string_view bot_id) { create_bot_index(sqlite_, bot_id); }

void SqliteTx::on_bot_deleted(std::string_view bot_id) { drop_bot_index(sqlite_, bot_id); }

void SqliteTx::index_chunk(const Document& document, std::int64_t chunk_id, const NewChunk& chunk) {
  const auto& terms = chunk.terms;
  db_.prepare(index_chunk_sql(document.bot_id))
      .bind_positional(chunk_id, terms.title, terms.headings, terms.body, chunk_kind_name(chunk.chunk.kind))
      .run();
}

bool SqliteTx::chunk_indexed_as(const Document& document, std::int64_t chunk_id, const ChunkIndexTerms& terms) {
  auto indexed = db_.prepare("SELECT title, headings, body FROM " + fts_table(document.bot_id) + " WHERE rowid = ?");
  indexed.bind(1, chunk_id);
  return indexed.step() && indexed.text(0) == terms.title && indexed.text(1) == terms.headings &&
         indexed.text(2) == terms.body;
}

void SqliteTx::unindex_chunk(const Document& document, std::int64_t chunk_id) {
  db_.prepare("DELETE FROM " + fts_table(document.bot_id) + " WHERE rowid = ?").bind(1, chunk_id).run();
}

void SqliteTx::unindex_document_chunks(std::string_view bot_id, std::string_view document_id) {
  db_.prepare("DELETE FROM " + fts_table(bot_id) + " WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)")
      .bind(1, document_id)
      .run();
}

std::string SqliteTx::day_of(std::string_view millis) const {
  return "date(" + std::string(millis) + " / 1000, 'unixepoch')";
}

std::string SqliteTx::json_elements(std::string_view array) const { return "json_each(" + std::string(array) + ") j"; }

std::string SqliteTx::json_text(std::string_view element, std::string_view key) const {
  return "json_extract(" + std::string(element) + ", '$." + std::string(key) + "')";
}

}  // namespace parley::store::sqlite
