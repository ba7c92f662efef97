// Full-text search for the PostgreSQL store: this replica's index (search_index.h), brought to the knowledge
// version the transaction read, within the transaction's scope.
#include "store/postgres/pg_tx.h"
#include "store/postgres/search_index.h"

namespace parley::store::postgres {

Result<ChunkSearch> PgTx::search_chunks(std::string_view bot_id, const ChunkQuery& query) {
  if (query.terms.empty() || query.limit <= 0) return ChunkSearch{};
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return ChunkSearch{};  // unknown bot, or another workspace's
  return index_.search(bot_id, owned_bot_version_, query);
}

Result<TermStats> PgTx::term_stats(std::string_view bot_id, const std::vector<std::string>& terms) {
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return TermStats{};
  return index_.term_stats(bot_id, owned_bot_version_, terms);
}

Result<std::vector<ChunkIndexTerms>> PgTx::chunk_terms(std::string_view bot_id, const std::vector<std::int64_t>& ids) {
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return std::vector<ChunkIndexTerms>(ids.size());  // unknown bot, or another workspace's
  return index_.chunk_terms(bot_id, owned_bot_version_, ids);
}

}  // namespace parley::store::postgres
