#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store.h"
#include "support/temp_dir.h"

namespace parley::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_store({dir_.file("parley.db")});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->write(Scope::system(), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto a, tx.create_workspace("A"));
      PARLEY_ASSIGN_OR_RETURN(auto b, tx.create_workspace("B"));
      workspace_a_ = a.id;
      workspace_b_ = b.id;
      return {};
    }).ok());
    bot_ = create_bot(workspace_a_, "Support");
  }

  std::string create_bot(const std::string& workspace, const std::string& name) {
    std::string id;
    EXPECT_TRUE(store_->write(Scope::workspace(workspace), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot(name, Json{{"language", "en"}}));
      id = bot.id;
      return {};
    }).ok());
    return id;
  }

  static NewChunk chunk(int ordinal, const std::string& title, const std::string& body, ChunkKind kind = ChunkKind::passage) {
    NewChunk c;
    c.chunk.ordinal = ordinal;
    c.chunk.kind = kind;
    c.chunk.title = title;
    c.chunk.text = body;
    c.terms = {title, "", body};  // already "analysed" for these tests: lower-case words
    return c;
  }

  // Adds a source with one document; returns {source id, document id}.
  std::pair<std::string, std::string> add_document(const std::string& bot, const std::string& name,
                                                   const std::vector<NewChunk>& chunks) {
    std::pair<std::string, std::string> ids;
    const auto status = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto existing, tx.source_by_name(bot, name));
      std::string source_id;
      if (existing) {
        source_id = existing->id;
      } else {
        PARLEY_ASSIGN_OR_RETURN(auto source, tx.create_source(bot, SourceKind::file, name));
        source_id = source.id;
      }
      Document doc;
      doc.bot_id = bot;
      doc.source_id = source_id;
      doc.uri = name;
      doc.title = name;
      PARLEY_ASSIGN_OR_RETURN(auto stored, tx.put_document(doc, chunks));
      ids = {source_id, stored.id};
      return {};
    });
    EXPECT_TRUE(status.ok()) << status.error().message;
    return ids;
  }

  std::vector<std::int64_t> search(const std::string& workspace, const std::string& bot,
                                   std::vector<std::string> terms, ChunkQuery query = {}) {
    query.terms = std::move(terms);
    std::vector<std::int64_t> ids;
    EXPECT_TRUE(store_->read(Scope::workspace(workspace), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto hits, tx.search_chunks(bot, query));
      for (const auto& hit : hits.hits) ids.push_back(hit.chunk_id);
      return {};
    }).ok());
    return ids;
  }

  std::vector<std::string> titles(const std::string& bot, const std::vector<std::int64_t>& ids) {
    std::vector<std::string> out;
    EXPECT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto chunks, tx.chunks(bot, ids));
      for (const auto& c : chunks) out.push_back(c.title);
      return {};
    }).ok());
    return out;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::string workspace_a_, workspace_b_, bot_;
};

TEST_F(StoreTest, MigratesToTheLatestVersion) { EXPECT_GE(store_->schema_version(), 1); }

TEST_F(StoreTest, DailyMessageQuotaCountsPerBotAndDayAndIsScoped) {
  const std::string other = create_bot(workspace_a_, "Other");
  const auto take = [&](const std::string& workspace, const std::string& bot, std::int64_t day, std::int64_t limit) {
    bool counted = false;
    const Status status = store_->write(Scope::workspace(workspace), [&](WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(counted, tx.take_daily_message(bot, day, limit));
      return {};
    });
    return status.ok() ? std::optional<bool>(counted) : std::nullopt;
  };
  EXPECT_EQ(take(workspace_a_, bot_, 100, 2), true);
  EXPECT_EQ(take(workspace_a_, bot_, 100, 2), true);
  EXPECT_EQ(take(workspace_a_, bot_, 100, 2), false);
  EXPECT_EQ(take(workspace_a_, bot_, 100, 3), true);  // a raised quota applies at once
  EXPECT_EQ(take(workspace_a_, other, 100, 1), true);  // another bot: its own count
  EXPECT_EQ(take(workspace_a_, bot_, 101, 2), true);   // the next day starts from zero
  EXPECT_EQ(take(workspace_a_, bot_, 101, 2), true);
  EXPECT_EQ(take(workspace_a_, bot_, 101, 2), false);
  EXPECT_EQ(take(workspace_b_, bot_, 101, 2), std::nullopt);  // not workspace B's bot
}

TEST_F(StoreTest, IndexesAndRanksChunksWithFieldWeights) {
  add_document(bot_, "a.md", {chunk(0, "shipping", "we ship worldwide"), chunk(1, "returns", "refund within days ship back")});
  const auto ids = search(workspace_a_, bot_, {"ship"});
  ASSERT_EQ(ids.size(), 2u);
  // The title match outweighs a body match.
  EXPECT_THAT(titles(bot_, ids), ElementsAre("shipping", "returns"));
  EXPECT_THAT(titles(bot_, search(workspace_a_, bot_, {"refund"})), ElementsAre("returns"));
  EXPECT_THAT(search(workspace_a_, bot_, {"absent"}), IsEmpty());
}

TEST_F(StoreTest, RanksQaPairsByTheirQuestionInTheSamePass) {
  add_document(bot_, "faq.csv", {chunk(0, "shipping costs", "five dollars", ChunkKind::qa),
                                 chunk(1, "returns", "shipping is refunded", ChunkKind::qa),
                                 chunk(2, "when does shipping start", "on monday", ChunkKind::qa)});
  add_document(bot_, "shipping.md", {chunk(0, "shipping", "shipping shipping everywhere")});
  ChunkQuery query;
  query.terms = {"shipping"};
  query.qa_title_limit = 5;
  ChunkSearch found;
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(found, tx.search_chunks(bot_, query));
    return {};
  }).ok());
  EXPECT_EQ(found.hits.size(), 4u);  // every match, in any field
  std::vector<std::int64_t> qa_ids;
  for (const auto& hit : found.qa_titles) qa_ids.push_back(hit.chunk_id);
  // Only Q&A pairs whose question uses the word; the passage titled "shipping" and the answer-only match are not.
  // The shorter pair ranks first (BM25 length normalisation), as a title-only query ranks them.
  EXPECT_THAT(titles(bot_, qa_ids), ElementsAre("shipping costs", "when does shipping start"));
  // A word found only in answers ranks no Q&A pair by its question.
  query.terms = {"refunded"};
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(found, tx.search_chunks(bot_, query));
    return {};
  }).ok());
  EXPECT_EQ(found.hits.size(), 1u);
  EXPECT_THAT(found.qa_titles, IsEmpty());
}

TEST_F(StoreTest, RanksWithTheCallersTermWeightsAndCanRequireEveryTerm) {
  add_document(bot_, "a.md", {chunk(0, "one", "alpha alpha alpha"), chunk(1, "two", "beta beta beta"),
                              chunk(2, "three", "alpha beta")});
  ChunkQuery alpha_matters;
  alpha_matters.term_weights = {5.0, 0.1};
  EXPECT_THAT(titles(bot_, search(workspace_a_, bot_, {"alpha", "beta"}, alpha_matters)).front(), "one");
  ChunkQuery beta_matters;
  beta_matters.term_weights = {0.1, 5.0};
  EXPECT_THAT(titles(bot_, search(workspace_a_, bot_, {"alpha", "beta"}, beta_matters)).front(), "two");
  ChunkQuery both;
  both.all_terms = true;
  EXPECT_THAT(titles(bot_, search(workspace_a_, bot_, {"alpha", "beta"}, both)), ElementsAre("three"));
}

TEST_F(StoreTest, ScoresAtMostMaxScoredMatches) {
  add_document(bot_, "a.md", {chunk(0, "one", "common"), chunk(1, "two", "common"), chunk(2, "three", "common")});
  ChunkQuery bounded;
  bounded.max_scored = 2;
  EXPECT_EQ(search(workspace_a_, bot_, {"common"}, bounded).size(), 2u);
  EXPECT_EQ(search(workspace_a_, bot_, {"common"}).size(), 3u);
}

TEST_F(StoreTest, ReturnsTheIndexedTermsOfChunks) {
  add_document(bot_, "a.md", {chunk(0, "shipping", "we ship worldwide")});
  const auto ids = search(workspace_a_, bot_, {"ship"});
  ASSERT_EQ(ids.size(), 1u);
  std::vector<ChunkIndexTerms> terms;
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(terms, tx.chunk_terms(bot_, {ids[0], ids[0] + 1000}));
    return {};
  }).ok());
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(terms[0].title, "shipping");
  EXPECT_EQ(terms[0].body, "we ship worldwide");
  EXPECT_EQ(terms[1].body, "");  // not a chunk of this bot
}

TEST_F(StoreTest, ReplacingADocumentReplacesItsChunksInTheIndex) {
  add_document(bot_, "a.md", {chunk(0, "old", "obsolete text")});
  add_document(bot_, "a.md", {chunk(0, "new", "fresh text"), chunk(1, "new2", "more fresh")});
  EXPECT_THAT(search(workspace_a_, bot_, {"obsolete"}), IsEmpty());
  EXPECT_EQ(search(workspace_a_, bot_, {"fresh"}).size(), 2u);
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto sources, tx.sources(bot_));
    EXPECT_EQ(sources.size(), 1u);
    EXPECT_EQ(sources[0].document_count, 1);
    EXPECT_EQ(sources[0].chunk_count, 2);
    PARLEY_ASSIGN_OR_RETURN(auto stats, tx.term_stats(bot_, {"fresh", "obsolete", "text"}));
    EXPECT_EQ(stats.chunk_count, 2);
    EXPECT_THAT(stats.document_frequency, ElementsAre(2, 0, 1));
    return {};
  }).ok());
}

TEST_F(StoreTest, DeletingASourceRemovesItsChunksFromTheIndex) {
  auto [source_id, doc_id] = add_document(bot_, "a.md", {chunk(0, "alpha", "text one")});
  add_document(bot_, "b.md", {chunk(0, "beta", "text two")});
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_source(bot_, source_id); }).ok());
  EXPECT_THAT(titles(bot_, search(workspace_a_, bot_, {"text"})), ElementsAre("beta"));
}

// Reading transactions keep rows' lengths for the ranking function per knowledge version; their scores must be
// those of a transaction that reads every length afresh (a transaction that has written), also when a new chunk
// takes the id of a removed one.
TEST_F(StoreTest, CachedRowLengthsScoreAsFreshOnes) {
  ChunkQuery query;
  query.terms = {"ship"};
  const auto scores = [&](bool in_write) {
    std::vector<std::pair<std::int64_t, double>> out;
    const auto collect = [&](ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto found, tx.search_chunks(bot_, query));
      for (const auto& hit : found.hits) out.emplace_back(hit.chunk_id, hit.score);
      return {};
    };
    const Status status = in_write ? store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
      PARLEY_TRY(tx.create_conversation(bot_));  // the transaction has written: no cached lengths
      return collect(tx);
    })
                                   : store_->read(Scope::workspace(workspace_a_), collect);
    EXPECT_TRUE(status.ok());
    return out;
  };
  add_document(bot_, "short.md", {chunk(0, "guide", "ship")});
  auto [source_id, doc_id] = add_document(bot_, "long.md", {chunk(0, "notes", "ship with many more words after it")});
  const auto first = scores(false);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(scores(false), first);  // the lengths now come from the cache
  EXPECT_EQ(scores(true), first);
  // Removing the newest chunk and adding another lets it take the removed chunk's id, with another length.
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_source(bot_, source_id); }).ok());
  add_document(bot_, "other.md", {chunk(0, "notes", "ship ship")});
  const auto fresh = scores(true);
  ASSERT_EQ(fresh.size(), 2u);
  const auto ids = [](const auto& hits) {
    std::set<std::int64_t> out;
    for (const auto& hit : hits) out.insert(hit.first);
    return out;
  };
  ASSERT_EQ(ids(fresh), ids(first));  // the scenario: same ids, another length
  EXPECT_EQ(scores(false), fresh);
}

TEST_F(StoreTest, AnotherWorkspaceSeesNothing) {
  add_document(bot_, "a.md", {chunk(0, "secret", "marker text")});
  EXPECT_THAT(search(workspace_b_, bot_, {"marker"}), IsEmpty());
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_b_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_));
    EXPECT_FALSE(bot.has_value());
    PARLEY_ASSIGN_OR_RETURN(auto bots, tx.bots());
    EXPECT_TRUE(bots.empty());
    PARLEY_ASSIGN_OR_RETURN(auto sources, tx.sources(bot_));
    EXPECT_TRUE(sources.empty());
    PARLEY_ASSIGN_OR_RETURN(auto chunks, tx.chunks(bot_, {1, 2, 3}));
    EXPECT_TRUE(chunks.empty());
    return {};
  }).ok());
  const auto denied = store_->write(Scope::workspace(workspace_b_), [&](WriteTx& tx) { return tx.delete_bot(bot_); });
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, ErrorCode::not_found);
  const auto denied_source = store_->write(Scope::workspace(workspace_b_), [&](WriteTx& tx) -> Status {
    return tx.create_source(bot_, SourceKind::file, "x").ok() ? Status{} : make_error(ErrorCode::not_found, "denied");
  });
  EXPECT_FALSE(denied_source.ok());
}

TEST_F(StoreTest, AFailedWriteLeavesNothingBehind) {
  const auto status = store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    PARLEY_TRY(tx.create_bot("temporary", Json::object()));
    return make_error(ErrorCode::invalid_request, "abort");
  });
  EXPECT_FALSE(status.ok());
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto bots, tx.bots());
    EXPECT_EQ(bots.size(), 1u);
    return {};
  }).ok());
}

TEST_F(StoreTest, ConversationsAndMessagesPersistAcrossReopen) {
  std::string conversation_id;
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.create_conversation(bot_));
    conversation_id = conversation.id;
    Message question{0, conversation.id, "user", "hello?", "", 0, {}, 0, 0};
    PARLEY_TRY(tx.append_message(question));
    Message answer{0, conversation.id, "assistant", "hi", "faq", 0.9, {{7, "FAQ", "faq.csv", "hi", 1.5}}, 1200, 0};
    PARLEY_TRY(tx.append_message(answer));
    return {};
  }).ok());
  store_.reset();
  store_ = std::move(open_store({dir_.file("parley.db")})).value();
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_a_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto conversation, tx.conversation(bot_, conversation_id));
    if (!conversation) return make_error(ErrorCode::not_found, "conversation not found");
    EXPECT_EQ(conversation->message_count, 2);
    PARLEY_ASSIGN_OR_RETURN(auto messages, tx.messages(conversation_id));
    EXPECT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[1].mode, "faq");
    EXPECT_EQ(messages[1].sources.size(), 1u);
    EXPECT_EQ(messages[1].sources[0].url, "faq.csv");
    return {};
  }).ok());
  ASSERT_TRUE(store_->read(Scope::workspace(workspace_b_), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto messages, tx.messages(conversation_id));
    EXPECT_TRUE(messages.empty());
    return {};
  }).ok());
}

// The FTS5 automerge setting of create_bot_index, read from the index's own config table; 0 when unset.
int automerge_of(const std::string& db_path, const std::string& bot_id) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, ("SELECT v FROM fts_" + bot_id + "_config WHERE k = 'automerge'").c_str(), -1, &stmt, nullptr);
  const int value = stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

void execute(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

TEST_F(StoreTest, BotIndexesMergeSegmentsInEightsAlsoAfterAnUpgrade) {
  const std::string path = dir_.file("parley.db");
  EXPECT_EQ(automerge_of(path, bot_), 8);
  // A database from before the setting: the migration applies it to the bots it already has.
  store_.reset();
  execute(path, "DELETE FROM fts_" + bot_ + "_config WHERE k = 'automerge'; DELETE FROM schema_migrations WHERE version = 12");
  EXPECT_EQ(automerge_of(path, bot_), 0);
  store_ = std::move(open_store({path})).value();
  EXPECT_EQ(automerge_of(path, bot_), 8);
}

// The segments of a bot's full-text index (FTS5's idx table has rows of every segment).
int index_segments(const std::string& db_path, const std::string& bot_id) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, ("SELECT count(DISTINCT segid) FROM fts_" + bot_id + "_idx").c_str(), -1, &stmt, nullptr);
  const int segments = stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return segments;
}

TEST_F(StoreTest, OneWriteIndexesItsChunksInOneSegment) {
  // FTS5 flushes the rows pending in a transaction into a new segment at commit, and also whenever a statement
  // journal opens; reading chunk ids back with INSERT ... RETURNING opened one per chunk, and every search then
  // read one segment per chunk written.
  std::vector<NewChunk> chunks;
  for (int i = 0; i < 20; ++i) chunks.push_back(chunk(i, "title " + std::to_string(i), "body words " + std::to_string(i)));
  add_document(bot_, "a.md", chunks);
  EXPECT_EQ(index_segments(dir_.file("parley.db"), bot_), 1);
  EXPECT_EQ(search(workspace_a_, bot_, {"body"}).size(), 20u);
}

TEST_F(StoreTest, DeletingABotDropsItsIndexAndRows) {
  add_document(bot_, "a.md", {chunk(0, "alpha", "text")});
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.delete_bot(bot_); }).ok());
  EXPECT_THAT(search(workspace_a_, bot_, {"text"}), IsEmpty());
  // A new bot gets a fresh, empty index.
  const std::string other = create_bot(workspace_a_, "Other");
  EXPECT_THAT(search(workspace_a_, other, {"text"}), IsEmpty());
}

TEST_F(StoreTest, ApiKeysResolveByPrefixAndRevoke) {
  std::string key_id;
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) -> Status {
    ApiKey key;
    key.workspace_id = workspace_a_;
    key.name = "admin";
    key.prefix = "pk_abc";
    key.secret_hash = "hash";
    PARLEY_ASSIGN_OR_RETURN(auto stored, tx.create_api_key(key));
    key_id = stored.id;
    return {};
  }).ok());
  const auto cross = store_->write(Scope::workspace(workspace_b_), [&](WriteTx& tx) -> Status {
    ApiKey key;
    key.workspace_id = workspace_a_;
    key.prefix = "pk_evil";
    return tx.create_api_key(key).ok() ? Status{} : make_error(ErrorCode::forbidden, "denied");
  });
  EXPECT_FALSE(cross.ok());
  ASSERT_TRUE(store_->read(Scope::system(), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto key, tx.api_key_by_prefix("pk_abc"));
    if (!key) return make_error(ErrorCode::not_found, "key not found");
    EXPECT_EQ(key->workspace_id, workspace_a_);
    EXPECT_FALSE(key->revoked_at.has_value());
    return {};
  }).ok());
  ASSERT_TRUE(store_->write(Scope::workspace(workspace_a_), [&](WriteTx& tx) { return tx.revoke_api_key(key_id); }).ok());
  ASSERT_TRUE(store_->read(Scope::system(), [&](ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto key, tx.api_key_by_prefix("pk_abc"));
    if (!key) return make_error(ErrorCode::not_found, "key vanished");
    EXPECT_TRUE(key->revoked_at.has_value());
    return {};
  }).ok());
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
