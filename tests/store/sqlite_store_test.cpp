// The SQLite store's own: its full-text index (one FTS5 table for every bot) read through a connection of the
// test's own, and its migrations.
#include <sqlite3.h>

#include "store/sqlite/chunk_index.h"
#include "store/sqlite/fts_rank.h"
#include "store/store_fixture.h"

namespace parley::store {
namespace {

// Statements on the store's database file from a connection of the test's own.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path) {
    sqlite3_open(path.c_str(), &db_);
    EXPECT_TRUE(sqlite::register_fts_rank(db_));
  }
  ~RawDatabase() { sqlite3_close(db_); }
  void execute(const std::string& sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_) << ": " << sql;
  }
  // The rows of a query, each column as text.
  std::vector<std::vector<std::string>> rows(const std::string& sql) {
    std::vector<std::vector<std::string>> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db_) << ": " << sql;
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        row.emplace_back(text != nullptr ? text : "");
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  // The rows of a query of two columns, an integer and a real.
  std::vector<std::pair<std::int64_t, double>> scores(const std::string& sql) {
    std::vector<std::pair<std::int64_t, double>> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db_) << ": " << sql;
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      out.emplace_back(sqlite3_column_int64(stmt, 0), sqlite3_column_double(stmt, 1));
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// A column of chunk_index without the bot's token before its terms.
std::string terms_of(const std::string& column) { return "substr(" + column + ", instr(" + column + ", ' ') + 1)"; }

TEST_F(StoreTest, TheIndexMergesSegmentsInEights) {
  RawDatabase db(dir_.file("parley.db"));
  EXPECT_EQ(db.rows("SELECT v FROM chunk_index_config WHERE k = 'automerge'"),
            (std::vector<std::vector<std::string>>{{"8"}}));
}

// Until schema version 60 each bot had a full-text table of its own. Scores, document frequencies and row counts
// in the shared table must be exactly those of the bot's own table: BM25 statistics stay the bot's, whatever other
// bots hold.
TEST_F(StoreTest, RanksExactlyAsATableOfTheBotsOwn) {
  const std::string other = create_bot(workspace_a_, "Other");
  add_document(other, "noise.md", {chunk(0, "shipping shipping", "shipping rates for every country and more words"),
                                   chunk(1, "returns", "shipping back is free")});
  add_document(bot_, "a.md", {chunk(0, "shipping", "we ship worldwide within days"),
                              chunk(1, "returns", "refund within days ship back"),
                              chunk(2, "shipping costs", "five dollars", ChunkKind::qa),
                              chunk(3, "opening hours", "monday to friday nine to five shipping desk")});
  RawDatabase db(dir_.file("parley.db"));
  db.execute("CREATE VIRTUAL TABLE own USING fts5(title, headings, body, kind, tokenize = \"unicode61 "
             "remove_diacritics 0 categories 'L* N* Co M*'\"); CREATE VIRTUAL TABLE own_vocab USING fts5vocab(own, 'row');"
             "INSERT INTO own (rowid, title, headings, body, kind) SELECT rowid, " + terms_of("title") + ", " +
             terms_of("headings") + ", " + terms_of("body") + ", " + terms_of("kind") + " FROM chunk_index WHERE bot = '" +
             sqlite::bot_token(bot_) + "'");
  const std::vector<std::string> terms = {"shipping", "days", "ship", "five"};
  const std::vector<double> idfs = {0.7, 1.3, 2.1, 0.4};
  ChunkQuery query;
  query.terms = terms;
  query.term_weights = idfs;
  query.qa_title_limit = 5;
  ChunkSearch found;
  TermStats stats;
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(found, tx.search_chunks(bot_, query));
    PARLEY_ASSIGN_OR_RETURN(stats, tx.term_stats(bot_, {"shipping", "days", "passage", "qa", "absent"}));
    return {};
  }).ok());
  std::string match = "{title headings body} : (";
  std::string rank = "parley_bm25(own, 3.0, 1.5, 1.0, 0.0";
  for (std::size_t i = 0; i < terms.size(); ++i) {
    match += (i > 0 ? " OR \"" : "\"") + terms[i] + "\"";
    rank += ", " + std::to_string(idfs[i]);
  }
  const auto expected = db.scores("SELECT rowid, " + rank + ") FROM own WHERE own MATCH '" + match +
                                  ")' ORDER BY 2 DESC, 1");
  ASSERT_EQ(found.hits.size(), expected.size());
  ASSERT_EQ(found.hits.size(), 4u);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(found.hits[i].chunk_id, expected[i].first);
    EXPECT_EQ(found.hits[i].score, expected[i].second);  // the same double, not merely close
  }
  ASSERT_EQ(found.qa_titles.size(), 1u);
  // Document frequencies as the bot's own vocabulary counts them (in any column, `kind` included).
  const auto vocab = [&](const std::string& term) {
    const auto rows = db.rows("SELECT doc FROM own_vocab WHERE term = '" + term + "'");
    return rows.empty() ? std::int64_t{0} : std::stoll(rows[0][0]);
  };
  EXPECT_EQ(stats.chunk_count, 4);
  EXPECT_THAT(stats.document_frequency,
              ElementsAre(vocab("shipping"), vocab("days"), vocab("passage"), vocab("qa"), 0));
  EXPECT_EQ(stats.document_frequency[0], 3);
}

// A database from before version 60: every bot's own table moves into the shared index, with its statistics.
TEST_F(StoreTest, AnUpgradeMovesEveryBotsTableIntoTheSharedIndex) {
  add_document(bot_, "a.md", {chunk(0, "shipping", "we ship worldwide"), chunk(1, "returns", "ship back within days")});
  ChunkQuery query;
  query.terms = {"ship", "days"};
  const auto scores = [&] {
    std::vector<std::pair<std::int64_t, double>> out;
    EXPECT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto found, tx.search_chunks(bot_, query));
      for (const auto& hit : found.hits) out.emplace_back(hit.chunk_id, hit.score);
      return {};
    }).ok());
    return out;
  };
  const auto before = scores();
  ASSERT_EQ(before.size(), 2u);
  store_.reset();
  {
    // The layout of version 59: the bot's rows in fts_<bot id>, nothing shared.
    RawDatabase db(dir_.file("parley.db"));
    const std::string table = "fts_" + bot_;
    db.execute("CREATE VIRTUAL TABLE " + table + " USING fts5(title, headings, body, kind, tokenize = \"unicode61 "
               "remove_diacritics 0 categories 'L* N* Co M*'\"); CREATE VIRTUAL TABLE " + table +
               "_vocab USING fts5vocab(" + table + ", 'row');"
               "INSERT INTO " + table + " (rowid, title, headings, body, kind) SELECT rowid, " + terms_of("title") +
               ", " + terms_of("headings") + ", " + terms_of("body") + ", " + terms_of("kind") +
               " FROM chunk_index; DROP TABLE chunk_index_vocab; DROP TABLE chunk_index; DROP TABLE chunk_index_bots; "
               "DELETE FROM schema_migrations WHERE version = 60");
  }
  store_ = parley::testing::open_test_store(options_);
  EXPECT_EQ(scores(), before);
  RawDatabase db(dir_.file("parley.db"));
  EXPECT_TRUE(db.rows("SELECT name FROM sqlite_master WHERE name LIKE 'fts_%'").empty());
  EXPECT_EQ(db.rows("SELECT chunks FROM chunk_index_bots"), (std::vector<std::vector<std::string>>{{"2"}}));
}

TEST_F(StoreTest, OneWriteIndexesItsChunksInOneSegment) {
  // FTS5 flushes the rows pending in a transaction into a new segment at commit, and also whenever a statement
  // journal opens; reading chunk ids back with INSERT ... RETURNING opened one per chunk, and every search then
  // read one segment per chunk written.
  std::vector<NewChunk> chunks;
  for (int i = 0; i < 20; ++i) chunks.push_back(chunk(i, "title " + std::to_string(i), "body words " + std::to_string(i)));
  add_document(bot_, "a.md", chunks);
  RawDatabase db(dir_.file("parley.db"));
  EXPECT_EQ(db.rows("SELECT count(DISTINCT segid) FROM chunk_index_idx"), (std::vector<std::vector<std::string>>{{"1"}}));
  EXPECT_EQ(search(workspace_a_, bot_, {"body"}).size(), 20u);
}

TEST_F(StoreTest, DeletingABotRemovesItsRowsFromTheSharedIndex) {
  add_document(bot_, "a.md", {chunk(0, "alpha", "text")});
  const std::string other = create_bot(workspace_a_, "Other");
  add_document(other, "b.md", {chunk(0, "beta", "text")});
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_bot(bot_); }).ok());
  RawDatabase db(dir_.file("parley.db"));
  EXPECT_EQ(db.rows("SELECT bot FROM chunk_index"), (std::vector<std::vector<std::string>>{{sqlite::bot_token(other)}}));
  EXPECT_EQ(db.rows("SELECT bot_id FROM chunk_index_bots"), (std::vector<std::vector<std::string>>{{other}}));
}

// ---- a bot's test suite ----

TEST_F(StoreTest, EvalCasesKeepTheirLatestResultWithinTheirWorkspace) {
  EvalCase wanted;
  wanted.bot_id = bot_;
  wanted.question = "How do I get a refund?";
  wanted.expect_source = "refund policy";
  wanted.expect_text = "30 days";
  EvalCase created;
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(created, tx.create_eval_case(wanted));
    return {};
  }).ok());
  EXPECT_THAT(created.id, ::testing::StartsWith("case_"));
  EXPECT_EQ(created.workspace_id, workspace_a_);
  EXPECT_GT(created.created_at, 0);

  const auto cases_seen_by = [&](const std::string& workspace) {
    std::vector<EvalCase> cases;
    EXPECT_TRUE(store_->read(Scope::workspace(workspace), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(cases, tx.eval_cases(bot_));
      return {};
    }).ok());
    return cases;
  };
  auto cases = cases_seen_by(workspace_a_);
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].question, "How do I get a refund?");
  EXPECT_EQ(cases[0].expect_source, "refund policy");
  EXPECT_EQ(cases[0].expect_text, "30 days");
  EXPECT_FALSE(cases[0].expect_decline);
  EXPECT_FALSE(cases[0].last.has_value());
  EXPECT_THAT(cases_seen_by(workspace_b_), IsEmpty());

  EvalResult result{true, "Refunds within 30 days.", "extractive", {{7, "Refund policy", "refunds.md", "Refunds", 0.9}}, 1234};
  // Another workspace can neither record a result on the case nor delete it.
  const auto other = store_->write(Scope::workspace(workspace_b_), [&](WriteTx& tx) -> Status {
    return tx.record_eval_result(bot_, created.id, result);
  });
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::not_found);
  ASSERT_FALSE(store_->write(Scope::workspace(workspace_b_), [&](WriteTx& tx) { return tx.delete_eval_case(bot_, created.id); }).ok());

  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) {
    return tx.record_eval_result(bot_, created.id, result);
  }).ok());
  cases = cases_seen_by(workspace_a_);
  ASSERT_EQ(cases.size(), 1u);
  ASSERT_TRUE(cases[0].last.has_value());
  EXPECT_TRUE(cases[0].last->passed);
  EXPECT_EQ(cases[0].last->answer, "Refunds within 30 days.");
  EXPECT_EQ(cases[0].last->mode, "extractive");
  EXPECT_EQ(cases[0].last->run_at, 1234);
  ASSERT_EQ(cases[0].last->sources.size(), 1u);
  EXPECT_EQ(cases[0].last->sources[0].title, "Refund policy");
  EXPECT_EQ(cases[0].last->sources[0].url, "refunds.md");

  const auto unknown = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_eval_case(bot_, "case_unknown"); });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_eval_case(bot_, created.id); }).ok());
  EXPECT_THAT(cases_seen_by(workspace_a_), IsEmpty());
}

TEST_F(StoreTest, EvalCasesNeedABotOfTheWorkspaceAndGoWithIt) {
  const std::string other_bot = create_bot(workspace_b_, "Other");
  EvalCase wanted;
  wanted.bot_id = other_bot;
  wanted.question = "Anything?";
  wanted.expect_decline = true;
  const auto foreign = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    PARLEY_TRY(tx.create_eval_case(wanted));
    return {};
  });
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, ErrorCode::not_found);

  // Cases added within the same millisecond are listed in the order added.
  wanted.bot_id = bot_;
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    for (const char* question : {"first?", "second?", "third?", "fourth?"}) {
      wanted.question = question;
      PARLEY_TRY(tx.create_eval_case(wanted));
    }
    return {};
  }).ok());
  std::vector<std::string> questions;
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto cases, tx.eval_cases(bot_));
    for (const auto& eval_case : cases) questions.push_back(eval_case.question);
    return {};
  }).ok());
  EXPECT_THAT(questions, ElementsAre("first?", "second?", "third?", "fourth?"));
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_bot(bot_); }).ok());
  std::vector<EvalCase> left;
  ASSERT_TRUE(store_->read(Scope::system(), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(left, tx.eval_cases(bot_));
    return {};
  }).ok());
  EXPECT_THAT(left, IsEmpty());
}

}  // namespace
}  // namespace parley::store
