// A BM25 ranking function for FTS5 that takes each term's IDF from the caller. FTS5's own bm25() counts, for every
// query, the rows each term occurs in, which walks the whole posting list of a common term (milliseconds on a
// large bot); the retriever already knows these counts from its term-statistics cache.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace parley::store::sqlite {

// Registers parley_bm25(table, w_col0, w_col1, ..., idf_phrase0, idf_phrase1, ..., [title_scores]) on the
// connection: one weight per column of the table, then one IDF per phrase of the MATCH expression in order (missing
// ones count 0). Higher is better. Returns false when the SQLite build has no FTS5.
bool register_fts_rank(sqlite3* db);

// The optional last argument of parley_bm25, bound with sqlite3_bind_pointer(..., kTitleScoresPointerType, ...):
// every row whose first column (the title) matches is appended with its score from that column alone, so that one
// pass over the index ranks by the whole row and by the title.
using TitleScores = std::vector<std::pair<std::int64_t, double>>;
inline constexpr const char* kTitleScoresPointerType = "parley_title_scores";

}  // namespace parley::store::sqlite
