// The full-text index of every bot's chunks, in one FTS5 table: `chunk_index` holds the *analysed* terms of each
// chunk (rowid = chunk id) in three weighted columns (title, headings, body) and a `kind` filter column (passage /
// qa), each column's text after the bot's token (`bot_token`), and the token again in `bot` (not indexed). Its
// tokenizer (kCollectionTokenizer, fts_rank.h) makes every term its bot's own token ("<bot token>_<term>"), so each
// bot has a vocabulary of its own inside the shared table: a query reads only the bot's posting lists, however much
// other bots hold, and `chunk_index_vocab` (fts5vocab) gives a term's document frequency within the bot at once.
// Creating a bot creates nothing (no DDL: the schema stays the same size with 10,000 bots); deleting one deletes
// its rows.
//
// BM25 statistics stay each bot's own, as with the table per bot this replaced: besides the document frequencies,
// `chunk_index_bots` keeps, per bot, the number of rows and of tokens (title, headings, body and kind), so the
// average row length parley_bm25 needs is the bot's.
//
// The SQLite store keeps this index in its database, in the same transactions as the chunks; the PostgreSQL
// store keeps one per replica, in a local database it fills from PostgreSQL (postgres/search_index.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/connection.h"
#include "store/store.h"

namespace parley::store::sqlite {

// Creates the index's tables (idempotent).
void create_chunk_index(Connection& db);

// Index operations on a connection; no transaction of their own.
class ChunkIndex {
 public:
  explicit ChunkIndex(Connection& db) : db_(db) {}

  void add(std::string_view bot_id, std::int64_t chunk_id, const ChunkIndexTerms& terms, ChunkKind kind);
  // The chunk's indexed terms, when the bot's index holds it.
  std::optional<ChunkIndexTerms> terms(std::string_view bot_id, std::int64_t chunk_id);
  // Removes the chunk's row, if any.
  void remove(std::string_view bot_id, std::int64_t chunk_id);
  // Removes every row of the bot, and its statistics.
  void remove_bot(std::string_view bot_id);

  // BM25 ranking within the bot (ChunkQuery). `row_lengths`, when given, caches rows' token counts for the bot's
  // current content (fts_rank.h).
  ChunkSearch search(std::string_view bot_id, const ChunkQuery& query, RowTokenCounts* row_lengths);
  // The bot's row count and each term's document frequency among its rows.
  TermStats term_stats(std::string_view bot_id, const std::vector<std::string>& terms);
  // The indexed terms of chunks, parallel to `ids` (empty for ids not in the bot's index).
  std::vector<ChunkIndexTerms> chunk_terms(std::string_view bot_id, const std::vector<std::int64_t>& ids);

 private:
  // Adds `rows` rows and `tokens` tokens to the bot's statistics (negative: removes).
  void count(std::string_view bot_id, std::int64_t rows, std::int64_t tokens);
  std::int64_t row_tokens(const ChunkIndexTerms& terms, std::string_view kind);

  Connection& db_;
};

// The word that stands for a bot in the index: its id without separators ([a-z0-9]).
std::string bot_token(std::string_view bot_id);

}  // namespace parley::store::sqlite
