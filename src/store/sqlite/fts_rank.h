// A BM25 ranking function for FTS5 that takes each term's IDF from the caller. FTS5's own bm25() counts, for every
// query, the rows each term occurs in, which walks the whole posting list of a common term (milliseconds on a
// large bot); the retriever already knows these counts from its term-statistics cache.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace parley::store::sqlite {

// Registers, on the connection, parley_bm25(table, w_col0, w_col1, ..., idf_phrase0, idf_phrase1, ..., [extras]):
// one weight per column of the table, then one IDF per phrase of the MATCH expression in order (missing ones count
// 0), higher is better; and the tokenizer kCollectionTokenizer. Every connection that opens a table using that
// tokenizer needs it. Returns false when the SQLite build has no FTS5.
bool register_fts_rank(sqlite3* db);

using TitleScores = std::vector<std::pair<std::int64_t, double>>;
using RowTokenCounts = std::unordered_map<std::int64_t, int>;

// The optional last argument of parley_bm25, bound with sqlite3_bind_pointer(..., kRankExtrasPointerType, ...).
struct RankExtras {
  // When above 0, the average row length (in tokens) of the rows BM25 is relative to; else the table's. A table
  // shared by several collections (chunk_index.h) passes the collection's own.
  double average_tokens = 0;
  // When above 0, a row's length counts only its first `length_columns` columns (a filter column that holds the
  // collection's token is not part of the text).
  int length_columns = 0;
  // When set, every row whose first column (the title) matches is appended with its score from that column alone,
  // so that one pass over the index ranks by the whole row and by the title.
  TitleScores* title_scores = nullptr;
  // When set, rows' token counts are read from it and added to it. FTS5 reads a row's length from its docsize
  // table, a B-tree lookup per scored row that was the largest cost of ranking.
  RowTokenCounts* row_tokens = nullptr;
};
inline constexpr const char* kRankExtrasPointerType = "parley_rank_extras";

// The tokenizer of the full-text index and its options: the columns hold analyser output (text::Analyzer), so it
// only has to split it where the analyser put spaces.
inline constexpr const char* kIndexTokenizer = "unicode61";
inline constexpr const char* kIndexTokenizerOptions[] = {"remove_diacritics", "0", "categories", "L* N* Co M*"};
// The same as it reads in a CREATE VIRTUAL TABLE ... USING fts5(..., tokenize = ...).
inline constexpr const char* kIndexTokenizeClause =
    "tokenize = \"unicode61 remove_diacritics 0 categories 'L* N* Co M*'\"";

// The tokenizer of a table shared by collections (chunk_index.h): a text is "<collection> <terms>", where the
// collection is one word of [a-z0-9]; each term (split as kIndexTokenizer splits it) becomes the token
// "<collection>_<term>", and the collection word itself no token. Every collection thus has a vocabulary of its
// own in the shared table: a term's posting list holds only its collection's rows (a query walks nothing of
// another's), and fts5vocab counts a term's documents within its collection. Queries write their terms the same
// way ("<collection> <term>").
inline constexpr const char* kCollectionTokenizer = "parley_collection";
inline constexpr const char* kCollectionTokenizeClause = "tokenize = 'parley_collection'";

// Counts the tokens of a text as the index's tokenizer splits it (FTS5's own unicode61, through its API), for the
// statistics kept beside a shared table.
class TokenCounter {
 public:
  explicit TokenCounter(sqlite3* db);  // throws std::runtime_error when FTS5 or the tokenizer is missing
  TokenCounter(const TokenCounter&) = delete;
  TokenCounter& operator=(const TokenCounter&) = delete;
  ~TokenCounter();
  int count(std::string_view text) const;

 private:
  fts5_tokenizer api_{};
  Fts5Tokenizer* tokenizer_ = nullptr;
};

// At most this many row lengths per connection (~2 MB; the store keeps up to 16 reading connections). Once full, it
// keeps the rows ranked first, which on a large bot are those of its common words, and stops adding.
inline constexpr std::size_t kMaxCachedRowLengths = 50'000;

// Token counts of one bot's full-text rows, valid while its content does not change (callers key it by the bot's
// knowledge version). One per connection: the bot last ranked.
class RowLengthCache {
 public:
  // The counts for `bot` at `version`; emptied when either changed.
  RowTokenCounts& of(std::string_view bot, std::int64_t version) {
    if (bot != bot_ || version != version_) {
      bot_ = std::string(bot);
      version_ = version;
      tokens_.clear();
    }
    return tokens_;
  }

 private:
  std::string bot_;
  std::int64_t version_ = -1;
  RowTokenCounts tokens_;
};

}  // namespace parley::store::sqlite
