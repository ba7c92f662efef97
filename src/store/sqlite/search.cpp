// Full-text search over a bot's FTS5 table: ranking with parley_bm25 (fts_rank.h), term statistics and indexed terms.
#include <algorithm>

#include "store/sqlite/fts_rank.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_tx.h"

namespace parley::store::sqlite {

namespace {

// FTS5 string literal: terms are analyser output, but quoting keeps any character from being query syntax.
std::string fts_quote(std::string_view term) {
  std::string quoted = "\"";
  for (char c : term) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

}  // namespace

Result<ChunkSearch> SqliteTx::search_chunks(std::string_view bot_id, const ChunkQuery& query) {
  ChunkSearch found;
  if (query.terms.empty() || query.limit <= 0) return found;
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return found;  // unknown bot, or another workspace's
  std::string match = "{title headings body} : (";
  for (std::size_t i = 0; i < query.terms.size(); ++i) {
    if (i > 0) match += query.all_terms ? " AND " : " OR ";
    match += fts_quote(query.terms[i]);
  }
  match += ")";  // phrase i of the expression is term i: parley_bm25 takes the IDFs in order
  const std::string table = fts_table(bot_id);
  const bool qa_titles = query.qa_title_limit > 0;
  std::string rank = "parley_bm25(" + table + ", ?, ?, ?, 0.0";
  for (std::size_t i = 0; i < query.terms.size(); ++i) rank += ", ?";
  rank += ", ?)";
  // The LIMIT bounds the rows scored. The best of them are kept here rather than by an ORDER BY: SQLite's sorter
  // costs more than the scoring.
  auto stmt = db_.prepare("SELECT rowid, " + rank + " FROM " + table + " WHERE " + table + " MATCH ? LIMIT ?");
  stmt.bind(1, query.title_weight).bind(2, query.headings_weight).bind(3, query.body_weight);
  int parameter = 4;
  for (std::size_t i = 0; i < query.terms.size(); ++i) {
    stmt.bind(parameter++, i < query.term_weights.size() ? query.term_weights[i] : 1.0);
  }
  // The rows matching by their title, with the score of the title alone, and the rows' lengths as far as known
  // (see fts_rank.h). Not in a transaction that has written: its changes may yet be rolled back.
  TitleScores by_title;
  RankExtras extras;
  if (qa_titles) extras.title_scores = &by_title;
  if (sqlite3_txn_state(sqlite_.handle(), "main") != SQLITE_TXN_WRITE) {
    extras.row_tokens = &sqlite_.row_lengths().of(table, owned_bot_version_);
  }
  bind_pointer(stmt, parameter++, &extras, kRankExtrasPointerType);
  stmt.bind(parameter++, match);
  stmt.bind(parameter, query.max_scored > 0 ? query.max_scored : std::int64_t{-1});
  while (stmt.step()) found.hits.push_back({stmt.integer(0), stmt.real(1)});
  const auto better = [](const ChunkHit& a, const ChunkHit& b) {
    return a.score != b.score ? a.score > b.score : a.chunk_id < b.chunk_id;
  };
  const auto kept = std::min(found.hits.size(), static_cast<std::size_t>(query.limit));
  std::partial_sort(found.hits.begin(), found.hits.begin() + static_cast<std::ptrdiff_t>(kept), found.hits.end(), better);
  found.hits.resize(kept);
  if (!qa_titles) return found;
  // Best title scores first (ties: lower id first); only Q&A pairs count, so look each up until enough are found.
  std::sort(by_title.begin(), by_title.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  auto is_qa = db_.prepare("SELECT kind = 'qa' FROM chunks WHERE id = ?");
  for (const auto& [chunk_id, title_score] : by_title) {
    if (found.qa_titles.size() >= static_cast<std::size_t>(query.qa_title_limit)) break;
    is_qa.bind(1, chunk_id);
    if (is_qa.step() && is_qa.integer(0) != 0) found.qa_titles.push_back({chunk_id, title_score});
    is_qa.reset();
  }
  return found;
}

Result<TermStats> SqliteTx::term_stats(std::string_view bot_id, const std::vector<std::string>& terms) {
  TermStats stats;
  auto count = db_.prepare(sql({"SELECT chunk_count FROM bots WHERE id = ? AND ", kInScope}));
  count.bind(1, bot_id);
  bind_scope(count);
  if (!count.step()) return stats;
  stats.chunk_count = count.integer(0);
  auto lookup = db_.prepare("SELECT doc FROM " + fts_vocab_table(bot_id) + " WHERE term = ?");
  for (const auto& term : terms) {
    lookup.bind(1, term);
    stats.document_frequency.push_back(lookup.step() ? lookup.integer(0) : 0);
    lookup.reset();
  }
  return stats;
}

Result<std::vector<ChunkIndexTerms>> SqliteTx::chunk_terms(std::string_view bot_id, const std::vector<std::int64_t>& ids) {
  std::vector<ChunkIndexTerms> out(ids.size());
  PARLEY_ASSIGN_OR_RETURN(const auto owner, bot_workspace(bot_id));
  if (!owner) return out;  // unknown bot, or another workspace's
  // The bot's own FTS table holds only its chunks, so an id of another bot finds no row.
  auto stmt = db_.prepare("SELECT title, headings, body FROM " + fts_table(bot_id) + " WHERE rowid = ?");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    stmt.bind(1, ids[i]);
    if (stmt.step()) out[i] = {stmt.text(0), stmt.text(1), stmt.text(2)};
    stmt.reset();
  }
  return out;
}

}  // namespace parley::store::sqlite
