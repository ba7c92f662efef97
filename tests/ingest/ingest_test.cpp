#include "ingest/ingest.h"

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
