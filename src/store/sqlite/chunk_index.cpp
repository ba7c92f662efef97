#include "store/sqlite/chunk_index.h"

#include <algorithm>

#include "store/sql/rows.h"
#include "store/sqlite/fts_rank.h"

namespace parley::store::sqlite {
namespace {

// Columns of chunk_index: the first kLengthColumns make up a row's length for BM25; `bot` (the last) does not.
constexpr int kLengthColumns = 4;

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

// A column's text as the table holds it: the bot's token, then the terms (kCollectionTokenizer).
std::string in_bot(std::string_view token, std::string_view terms) {
  std::string text;
  text.reserve(token.size() + 1 + terms.size());
  text.append(token).append(" ").append(terms);
  return text;
}

// The terms of a column's text, when it is the bot's.
std::optional<std::string> terms_of(std::string_view token, const std::string& text) {
  if (text.size() <= token.size() || text.compare(0, token.size(), token) != 0 || text[token.size()] != ' ') {
    return std::nullopt;
  }
  return text.substr(token.size() + 1);
}

// The bot's rows' indexed terms from columns `first`.. `first + 2` (title, headings, body) of a row.
std::optional<ChunkIndexTerms> row_terms(std::string_view token, const Statement& row, int first) {
  auto title = terms_of(token, row.text(first));
  auto headings = terms_of(token, row.text(first + 1));
  auto body = terms_of(token, row.text(first + 2));
  if (!title || !headings || !body) return std::nullopt;
  return ChunkIndexTerms{std::move(*title), std::move(*headings), std::move(*body)};
}

}  // namespace

std::string bot_token(std::string_view bot_id) {
  std::string token;
  for (char c : bot_id) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) token += c;
  }
  return token;
}

void create_chunk_index(Connection& db) {
  db.exec(std::string("CREATE VIRTUAL TABLE IF NOT EXISTS chunk_index USING fts5(title, headings, body, kind, "
                      "bot UNINDEXED, ") +
          kCollectionTokenizeClause +
          ");"
          "CREATE VIRTUAL TABLE IF NOT EXISTS chunk_index_vocab USING fts5vocab(chunk_index, 'row');"
          "CREATE TABLE IF NOT EXISTS chunk_index_bots (bot_id TEXT PRIMARY KEY, chunks INTEGER NOT NULL, "
          "tokens INTEGER NOT NULL) WITHOUT ROWID;"
          // FTS5 merges a level's segments once `automerge` of them exist (default 4). At 8, ingestion spends about
          // a tenth less CPU (each commit's flush triggers fewer merges) while queries read a few more segments:
          // retrieval over 100,000 chunks measured the same within noise (docs/PERFORMANCE.md, Ingestion).
          "INSERT INTO chunk_index(chunk_index, rank) VALUES('automerge', 8);");
}

std::int64_t ChunkIndex::row_tokens(const ChunkIndexTerms& terms, std::string_view kind) {
  const TokenCounter& tokens = db_.tokens();
  return tokens.count(terms.title) + tokens.count(terms.headings) + tokens.count(terms.body) + tokens.count(kind);
}

void ChunkIndex::count(std::string_view bot_id, std::int64_t rows, std::int64_t tokens) {
  db_.prepare("INSERT INTO chunk_index_bots (bot_id, chunks, tokens) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (bot_id) DO UPDATE SET chunks = chunks + ?2, tokens = tokens + ?3")
      .bind(1, bot_id)
      .bind(2, rows)
      .bind(3, tokens)
      .run();
}

void ChunkIndex::add(std::string_view bot_id, std::int64_t chunk_id, const ChunkIndexTerms& terms, ChunkKind kind) {
  const std::string_view kind_name = chunk_kind_name(kind);
  const std::string token = bot_token(bot_id);
  db_.prepare("INSERT INTO chunk_index (rowid, title, headings, body, kind, bot) VALUES (?, ?, ?, ?, ?, ?)")
      .bind_positional(chunk_id, in_bot(token, terms.title), in_bot(token, terms.headings), in_bot(token, terms.body),
                       in_bot(token, kind_name), token)
      .run();
  count(bot_id, 1, row_tokens(terms, kind_name));
}

std::optional<ChunkIndexTerms> ChunkIndex::terms(std::string_view bot_id, std::int64_t chunk_id) {
  auto row = db_.prepare("SELECT title, headings, body FROM chunk_index WHERE rowid = ?");
  row.bind(1, chunk_id);
  if (!row.step()) return std::nullopt;
  return row_terms(bot_token(bot_id), row, 0);
}

void ChunkIndex::remove(std::string_view bot_id, std::int64_t chunk_id) {
  std::int64_t tokens = 0;
  {
    auto row = db_.prepare("SELECT title, headings, body, kind FROM chunk_index WHERE rowid = ?");
    row.bind(1, chunk_id);
    if (!row.step()) return;
    const std::string token = bot_token(bot_id);
    const auto terms = row_terms(token, row, 0);
    const auto kind = terms_of(token, row.text(3));
    if (!terms || !kind) return;
    tokens = row_tokens(*terms, *kind);
  }
  db_.prepare("DELETE FROM chunk_index WHERE rowid = ?").bind(1, chunk_id).run();
  count(bot_id, -1, -tokens);
}

void ChunkIndex::remove_bot(std::string_view bot_id) {
  // Every row of the bot has its kind token.
  const std::string token = bot_token(bot_id);
  db_.prepare("DELETE FROM chunk_index WHERE rowid IN (SELECT rowid FROM chunk_index WHERE chunk_index MATCH ?)")
      .bind(1, "kind : (" + fts_quote(in_bot(token, chunk_kind_name(ChunkKind::passage))) + " OR " +
                   fts_quote(in_bot(token, chunk_kind_name(ChunkKind::qa))) + ")")
      .run();
  db_.prepare("DELETE FROM chunk_index_bots WHERE bot_id = ?").bind(1, bot_id).run();
}

ChunkSearch ChunkIndex::search(std::string_view bot_id, const ChunkQuery& query, RowTokenCounts* row_lengths) {
  ChunkSearch found;
  if (query.terms.empty() || query.limit <= 0) return found;
  RankExtras extras;
  {
    auto stats = db_.prepare("SELECT chunks, tokens FROM chunk_index_bots WHERE bot_id = ?");
    stats.bind(1, bot_id);
    if (!stats.step() || stats.integer(0) <= 0) return found;  // nothing indexed
    extras.average_tokens = static_cast<double>(stats.integer(1)) / static_cast<double>(stats.integer(0));
  }
  extras.length_columns = kLengthColumns;
  // Phrase i of the expression is term i (parley_bm25 takes the IDFs in order). Each is the bot's own token for
  // the term, so the expression reads only the bot's posting lists.
  const std::string token = bot_token(bot_id);
  std::string match = "{title headings body} : (";
  for (std::size_t i = 0; i < query.terms.size(); ++i) {
    if (i > 0) match += query.all_terms ? " AND " : " OR ";
    match += fts_quote(in_bot(token, query.terms[i]));
  }
  match += ")";
  const bool qa_titles = query.qa_title_limit > 0;
  std::string rank = "parley_bm25(chunk_index, ?, ?, ?, 0.0, 0.0";
  for (std::size_t i = 0; i < query.terms.size(); ++i) rank += ", ?";
  rank += ", ?)";
  // The LIMIT bounds the rows scored. The best of them are kept here rather than by an ORDER BY: SQLite's sorter
  // costs more than the scoring.
  auto stmt = db_.prepare("SELECT rowid, " + rank + " FROM chunk_index WHERE chunk_index MATCH ? LIMIT ?");
  stmt.bind(1, query.title_weight).bind(2, query.headings_weight).bind(3, query.body_weight);
  int parameter = 4;
  for (std::size_t i = 0; i < query.terms.size(); ++i) {
    stmt.bind(parameter++, i < query.term_weights.size() ? query.term_weights[i] : 1.0);
  }
  // The rows matching by their title, with the score of the title alone, and the rows' lengths as far as known
  // (see fts_rank.h).
  TitleScores by_title;
  if (qa_titles) extras.title_scores = &by_title;
  extras.row_tokens = row_lengths;
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
  auto is_qa = db_.prepare("SELECT kind = ? FROM chunk_index WHERE rowid = ?");
  const std::string qa = in_bot(token, chunk_kind_name(ChunkKind::qa));
  for (const auto& [chunk_id, title_score] : by_title) {
    if (found.qa_titles.size() >= static_cast<std::size_t>(query.qa_title_limit)) break;
    is_qa.bind(1, qa).bind(2, chunk_id);
    if (is_qa.step() && is_qa.integer(0) != 0) found.qa_titles.push_back({chunk_id, title_score});
    is_qa.reset();
  }
  return found;
}

TermStats ChunkIndex::term_stats(std::string_view bot_id, const std::vector<std::string>& terms) {
  TermStats stats;
  {
    auto count = db_.prepare("SELECT chunks FROM chunk_index_bots WHERE bot_id = ?");
    count.bind(1, bot_id);
    if (count.step()) stats.chunk_count = count.integer(0);
  }
  // In how many of the bot's rows each term occurs (in any column): the document count of the bot's own token.
  auto lookup = db_.prepare("SELECT doc FROM chunk_index_vocab WHERE term = ?");
  const std::string token = bot_token(bot_id) + "_";
  for (const auto& term : terms) {
    std::int64_t frequency = 0;
    if (stats.chunk_count > 0) {
      lookup.bind(1, token + term);
      if (lookup.step()) frequency = lookup.integer(0);
      lookup.reset();
    }
    stats.document_frequency.push_back(frequency);
  }
  return stats;
}

std::vector<ChunkIndexTerms> ChunkIndex::chunk_terms(std::string_view bot_id, const std::vector<std::int64_t>& ids) {
  std::vector<ChunkIndexTerms> out(ids.size());
  const std::string token = bot_token(bot_id);
  auto stmt = db_.prepare("SELECT title, headings, body FROM chunk_index WHERE rowid = ?");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    stmt.bind(1, ids[i]);
    if (stmt.step()) {
      if (auto terms = row_terms(token, stmt, 0)) out[i] = std::move(*terms);
    }
    stmt.reset();
  }
  return out;
}

}  // namespace parley::store::sqlite
