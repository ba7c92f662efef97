#include "ingest/ingest.h"

#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "text/analyzer.h"

namespace parley::ingest {
namespace {

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(store::open_store({dir_.file("p.db")})).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto ws, tx.create_workspace("w"));
      workspace_ = ws.id;
      return {};
    }).ok());
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("b", {{"language", "en"}}));
      bot_ = bot.id;
      return {};
    }).ok());
  }

  store::Scope scope() const { return store::Scope::workspace(workspace_); }

  Result<IngestOutcome> add(const std::string& name, const std::string& bytes) {
    return add_file(*store_, scope(), {bot_, name, "", bytes});
  }

  std::size_t hits(const std::string& word) {
    std::size_t count = 0;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      store::ChunkQuery query;
      query.terms = text::Analyzer("en").terms(word);
      PARLEY_ASSIGN_OR_RETURN(auto found, tx.search_chunks(bot_, query));
      count = found.hits.size();
      return {};
    }).ok());
    return count;
  }

  std::vector<store::Chunk> chunks_of(const std::string& document_id) {
    std::vector<store::Chunk> chunks;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(chunks, tx.document_chunks(document_id));
      return {};
    }).ok());
    return chunks;
  }

  // The full-text rows of `ids` as the index holds them (empty fields for ids it does not hold).
  std::vector<store::ChunkIndexTerms> indexed(const std::vector<std::int64_t>& ids) {
    std::vector<store::ChunkIndexTerms> terms;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(terms, tx.chunk_terms(bot_, ids));
      return {};
    }).ok());
    return terms;
  }

  store::Source only_source() {
    store::Source source;
    EXPECT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto sources, tx.sources(bot_));
      EXPECT_EQ(sources.size(), 1u);
      if (!sources.empty()) source = sources[0];
      return {};
    }).ok());
    return source;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_, bot_;
};

TEST_F(IngestTest, AddsFindsReplacesAndSkipsUnchanged) {
  const auto first = add("guide.md", "# Guide\n\n## Shipping\n\nParcels travel by courier.\n");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->unchanged);
  EXPECT_EQ(first->chunk_count, 1u);
  EXPECT_EQ(hits("couriers"), 1u);  // stemmed match

  const auto same = add("guide.md", "# Guide\n\n## Shipping\n\nParcels travel by courier.\n");
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->unchanged);

  const auto changed = add("guide.md", "# Guide\n\n## Shipping\n\nParcels travel by drone.\n");
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(changed->unchanged);
  EXPECT_EQ(hits("courier"), 0u);
  EXPECT_EQ(hits("drone"), 1u);
  EXPECT_EQ(only_source().document_count, 1);
}

TEST_F(IngestTest, AFailedReplacementKeepsThePreviousContentAndRecordsWhy) {
  ASSERT_TRUE(add("faq.csv", "question,answer\nWhen?,Monday to Friday.\n").ok());
  const auto broken = add("faq.csv", "question,answer\n\"unterminated,x\n");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::unprocessable);
  EXPECT_EQ(hits("monday"), 1u);
  const auto source = only_source();
  EXPECT_EQ(source.status, "failed");
  EXPECT_THAT(source.error, ::testing::HasSubstr("quoted field"));
  // A good upload afterwards clears the failure.
  ASSERT_TRUE(add("faq.csv", "question,answer\nWhen?,Weekends too.\n").ok());
  EXPECT_EQ(only_source().status, "ready");
  EXPECT_EQ(hits("weekend"), 1u);
}

TEST_F(IngestTest, AnEditedDocumentKeepsTheIdsOfItsUnchangedChunks) {
  // Sections never share a chunk, so each section here is one chunk; the two "Note" sections are identical.
  const std::string before =
      "# Guide\n\n## Shipping\n\nParcels travel by courier.\n\n## Note\n\nKeep the receipt.\n\n"
      "## Returns\n\nReturns are free within thirty days.\n\n## Note\n\nKeep the receipt.\n\n"
      "## Warranty\n\nThe warranty lasts two years.\n";
  const auto first = add("guide.md", before);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto old_chunks = chunks_of(first->document.id);
  ASSERT_EQ(old_chunks.size(), 5u);
  std::map<std::string, std::vector<std::int64_t>> old_ids;  // by text, in document order
  for (const auto& chunk : old_chunks) old_ids[chunk.text].push_back(chunk.id);

  // Returns edited, Warranty removed, Exchanges added before it all.
  const std::string after =
      "# Guide\n\n## Exchanges\n\nExchanges happen in store.\n\n## Shipping\n\nParcels travel by courier.\n\n"
      "## Note\n\nKeep the receipt.\n\n## Returns\n\nReturns are free within sixty days.\n\n"
      "## Note\n\nKeep the receipt.\n";
  const auto second = add("guide.md", after);
  ASSERT_TRUE(second.ok()) << second.error().message;
  ASSERT_FALSE(second->unchanged);
  ASSERT_EQ(second->document.id, first->document.id);
  const auto new_chunks = chunks_of(second->document.id);
  ASSERT_EQ(new_chunks.size(), 5u);
  EXPECT_EQ(new_chunks[0].text, "Exchanges happen in store.");
  EXPECT_EQ(new_chunks[1].id, old_ids["Parcels travel by courier."][0]);
  EXPECT_EQ(new_chunks[1].ordinal, 1);  // moved down one place, same id
  EXPECT_EQ(new_chunks[2].id, old_ids["Keep the receipt."][0]);
  EXPECT_EQ(new_chunks[4].id, old_ids["Keep the receipt."][1]);
  std::set<std::int64_t> all_old_ids;
  for (const auto& chunk : old_chunks) all_old_ids.insert(chunk.id);
  EXPECT_EQ(all_old_ids.count(new_chunks[0].id), 0u);  // new section: new id
  EXPECT_EQ(new_chunks[3].text, "Returns are free within sixty days.");
  EXPECT_EQ(all_old_ids.count(new_chunks[3].id), 0u);  // changed section: new id

  // The removed and the replaced chunks are gone from the table and from the full-text index; kept ones are
  // indexed as before, and new ones are indexed.
  const std::int64_t warranty = old_ids["The warranty lasts two years."][0];
  const std::int64_t old_returns = old_ids["Returns are free within thirty days."][0];
  const auto terms = indexed({warranty, old_returns, new_chunks[1].id, new_chunks[0].id, new_chunks[3].id});
  ASSERT_EQ(terms.size(), 5u);
  EXPECT_TRUE(terms[0].body.empty());
  EXPECT_TRUE(terms[1].body.empty());
  EXPECT_EQ(terms[2].body, text::Analyzer("en").index_form("Parcels travel by courier."));
  EXPECT_EQ(terms[3].body, text::Analyzer("en").index_form("Exchanges happen in store."));
  EXPECT_EQ(terms[4].body, text::Analyzer("en").index_form("Returns are free within sixty days."));
  EXPECT_EQ(hits("warranty"), 0u);
  EXPECT_EQ(hits("thirty"), 0u);
  EXPECT_EQ(hits("sixty"), 1u);
  EXPECT_EQ(hits("courier"), 1u);
  EXPECT_EQ(hits("receipt"), 2u);
  EXPECT_EQ(only_source().chunk_count, 5);
  bool gone_from_table = false;
  ASSERT_TRUE(store_->read(scope(), [&](store::ReadTx& tx) -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto found, tx.chunks(bot_, {warranty, old_returns}));
    gone_from_table = found.empty();
    PARLEY_ASSIGN_OR_RETURN(auto stats, tx.term_stats(bot_, {}));
    EXPECT_EQ(stats.chunk_count, 5);
    return {};
  }).ok());
  EXPECT_TRUE(gone_from_table);

  // A new document title changes every chunk (the title is part of each chunk's content).
  const auto retitled = add("guide.md", "# Handbook" + after.substr(after.find('\n')));
  ASSERT_TRUE(retitled.ok());
  for (const auto& chunk : chunks_of(retitled->document.id)) {
    EXPECT_EQ(chunk.title, "Handbook");
    for (const auto& old : new_chunks) EXPECT_NE(chunk.id, old.id);
  }
}

TEST_F(IngestTest, RefusesUnknownBotsOversizedFilesAndBadNames) {
  EXPECT_EQ(add_file(*store_, scope(), {"bot_missing", "a.md", "", "x"}).error().code, ErrorCode::not_found);
  EXPECT_EQ(add_file(*store_, scope(), {bot_, "a.md", "", "xx"}, {.max_document_bytes = 1, .chunking = {}}).error().code,
            ErrorCode::payload_too_large);
  EXPECT_EQ(add("", "text").error().code, ErrorCode::invalid_request);
  EXPECT_EQ(add("bad\xFF.md", "text").error().code, ErrorCode::invalid_utf8);
  // Directories in the name are dropped rather than trusted.
  const auto outcome = add("../../etc/notes.txt", "Some notes here.");
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->source.name, "notes.txt");
}

}  // namespace
}  // namespace parley::ingest
