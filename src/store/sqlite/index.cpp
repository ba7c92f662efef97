// The SQLite store's full-text index hooks: the shared chunk index (chunk_index.h) kept in step with the chunks
// table, in the same transaction; and SQLite's SQL fragments for the shared queries.
#include "store/sqlite/chunk_index.h"
#include "store/sqlite/sqlite_tx.h"

namespace parley::store::sqlite {

void SqliteTx::on_bot_created(std::string_view /*bot_id*/) {}  // the index has a row per chunk, nothing per bot

void SqliteTx::on_bot_deleted(std::string_view bot_id) { ChunkIndex(sqlite_).remove_bot(bot_id); }

void SqliteTx::index_chunk(const Document& document, std::int64_t chunk_id, const NewChunk& chunk) {
  ChunkIndex(sqlite_).add(document.bot_id, chunk_id, chunk.terms, chunk.chunk.kind);
}

bool SqliteTx::chunk_indexed_as(const Document& document, std::int64_t chunk_id, const ChunkIndexTerms& terms) {
  const auto indexed = ChunkIndex(sqlite_).terms(document.bot_id, chunk_id);
  return indexed && indexed->title == terms.title && indexed->headings == terms.headings && indexed->body == terms.body;
}

void SqliteTx::unindex_chunk(const Document& document, std::int64_t chunk_id) {
  ChunkIndex(sqlite_).remove(document.bot_id, chunk_id);
}

void SqliteTx::unindex_document_chunks(std::string_view bot_id, std::string_view document_id) {
  std::vector<std::int64_t> ids;
  {
    auto chunks = db_.prepare("SELECT id FROM chunks WHERE document_id = ?");
    chunks.bind(1, document_id);
    while (chunks.step()) ids.push_back(chunks.integer(0));
  }
  ChunkIndex index(sqlite_);
  for (const std::int64_t id : ids) index.remove(bot_id, id);
}

std::string SqliteTx::day_of(std::string_view millis) const {
  return "date(" + std::string(millis) + " / 1000, 'unixepoch')";
}

std::string SqliteTx::json_elements(std::string_view array) const { return "json_each(" + std::string(array) + ") j"; }

std::string SqliteTx::json_text(std::string_view element, std::string_view key) const {
  return "json_extract(" + std::string(element) + ", '$." + std::string(key) + "')";
}

}  // namespace parley::store::sqlite
