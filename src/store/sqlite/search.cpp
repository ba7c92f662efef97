// Full-text search for the SQLite store: the shared chunk index (chunk_index.h) in the store's own database,
// within the transaction's scope.
#include "store/sqlite/chunk_index.h"
#include "store/sqlite/sqlite_tx.h"

namespace parley::store::sqlite {

Result<ChunkSearch> SqliteTx::search_chunks(std::string_view bot_id, const ChunkQuery& query) {
  if (query.terms.empty() || query.limit <= 0) return ChunkSearch{};
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return ChunkSearch{};  // unknown bot, or another workspace's
  // Rows' lengths are cached per connection and knowledge version (fts_rank.h); not in a transaction that has
  // written: its changes may yet be rolled back.
  RowTokenCounts* row_lengths = sqlite3_txn_state(sqlite_.handle(), "main") != SQLITE_TXN_WRITE
                                    ? &sqlite_.row_lengths().of(bot_id, owned_bot_version_)
                                    : nullptr;
  return ChunkIndex(sqlite_).search(bot_id, query, row_lengths);
}

Result<TermStats> SqliteTx::term_stats(std::string_view bot_id, const std::vector<std::string>& terms) {
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return TermStats{};
  return ChunkIndex(sqlite_).term_stats(bot_id, terms);
}

Result<std::vector<ChunkIndexTerms>> SqliteTx::chunk_terms(std::string_view bot_id, const std::vector<std::int64_t>& ids) {
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return std::vector<ChunkIndexTerms>(ids.size());  // unknown bot, or another workspace's
  return ChunkIndex(sqlite_).chunk_terms(bot_id, ids);
}

}  // namespace parley::store::sqlite
