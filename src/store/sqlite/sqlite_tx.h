// One transaction of the SQLite store: the shared queries (SqlTx) on a SQLite connection, with the bot's FTS5
// full-text index (search.cpp) and SQLite's SQL fragments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/sql/sql_tx.h"
#include "store/sqlite/connection.h"

namespace parley::store::sqlite {

class SqliteTx final : public SqlTx {
 public:
  SqliteTx(Connection& db, const Scope& scope) : SqlTx(db, scope), sqlite_(db) {}

  // ---- full-text search (search.cpp) ----
  Result<ChunkSearch> search_chunks(std::string_view bot_id, const ChunkQuery& query) override;
  Result<TermStats> term_stats(std::string_view bot_id, const std::vector<std::string>& terms) override;
  Result<std::vector<ChunkIndexTerms>> chunk_terms(std::string_view bot_id,
                                                   const std::vector<std::int64_t>& ids) override;

 protected:
  void on_bot_created(std::string_view bot_id) override;
  void on_bot_deleted(std::string_view bot_id) override;
  void index_chunk(const Document& document, std::int64_t chunk_id, const NewChunk& chunk) override;
  bool chunk_indexed_as(const Document& document, std::int64_t chunk_id, const ChunkIndexTerms& terms) override;
  void unindex_chunk(const Document& document, std::int64_t chunk_id) override;
  void unindex_document_chunks(std::string_view bot_id, std::string_view document_id) override;

  std::string day_of(std::string_view millis) const override;
  std::string json_elements(std::string_view array) const override;
  std::string json_text(std::string_view element, std::string_view key) const override;
  std::string claim_lock(std::string_view) const override { return {}; }  // SQLite has one writer at a time
  void lock_workspace(std::string_view) override {}  // writes begin IMMEDIATE: one writer at a time, any process

 private:
  Connection& sqlite_;
};

}  // namespace parley::store::sqlite
