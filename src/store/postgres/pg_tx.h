// One transaction of the PostgreSQL store: the shared queries (SqlTx) on a libpq connection. The full-text index
// lives beside it: the chunks' analysed terms and a log of index changes are written here, in the same
// transaction; each replica's SearchIndex (search_index.h) follows the log and answers the searches.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/connection.h"
#include "store/sql/sql_tx.h"

namespace parley::store::postgres {

class SearchIndex;

class PgTx final : public SqlTx {
 public:
  PgTx(Connection& db, const Scope& scope, bool writable, SearchIndex& index)
      : SqlTx(db, scope), pg_(db), writable_(writable), index_(index) {}

  // ---- full-text search, from this replica's index (search.cpp) ----
  Result<ChunkSearch> search_chunks(std::string_view bot_id, const ChunkQuery& query) override;
  Result<TermStats> term_stats(std::string_view bot_id, const std::vector<std::string>& terms) override;
  Result<std::vector<ChunkIndexTerms>> chunk_terms(std::string_view bot_id,
                                                   const std::vector<std::int64_t>& ids) override;

  // The audit chain is read and extended under a lock per workspace: two replicas appending at once would
  // otherwise both extend the same last entry.
  Result<std::optional<AuditEntry>> last_audit_entry() override;

  // The transaction's connection, for what only PostgreSQL has (broadcast.h).
  Connection& connection() { return pg_; }

  // Whether this transaction changed the full-text index (the store then brings its replica up to date).
  bool changed_index() const { return changed_index_; }

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
  std::string claim_lock(std::string_view table) const override {
    return writable_ ? " FOR UPDATE OF " + std::string(table) + " SKIP LOCKED" : "";
  }
  // A transaction-level advisory lock on the name and workspace: released at commit or rollback.
  void lock_workspace(std::string_view name) override;

 private:
  void log_change(std::string_view bot_id, std::int64_t chunk_id, std::string_view op);

  Connection& pg_;
  bool writable_;
  SearchIndex& index_;
  bool changed_index_ = false;
};

}  // namespace parley::store::postgres
