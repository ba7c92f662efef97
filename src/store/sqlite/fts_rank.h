// A BM25 ranking function for FTS5 that takes each term's IDF from the caller. FTS5's own bm25() counts, for every
// query, the rows each term occurs in, which walks the whole posting list of a common term (milliseconds on a
// large bot); the retriever already knows these counts from its term-statistics cache.
#pragma once

#include <sqlite3.h>

namespace parley::store::sqlite {

// Registers parley_bm25(table, w_col0, w_col1, ..., idf_phrase0, idf_phrase1, ...) on the connection: one weight
// per column of the table, then one IDF per phrase of the MATCH expression in order (missing ones count 0).
// Higher is better. Returns false when the SQLite build has no FTS5.
bool register_fts_rank(sqlite3* db);

}  // namespace parley::store::sqlite
