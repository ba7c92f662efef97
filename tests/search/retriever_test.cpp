#include "search/retriever.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ingest/ingest.h"
#include "store/chunk_metadata.h"
#include "support/temp_dir.h"

namespace parley::search {
namespace {

constexpr std::string_view kFaq =
    "question,answer\n"
    "How do I reset my password?,Use the Forgot password link on the sign-in page.\n"
    "How much does shipping cost?,Standard shipping is free on orders over $75.\n"
    "Can children ride electric bikes?,Riders must be at least 14 years old for class 1 e-bikes.\n"
    "Where do coronaviruses come from?,Coronaviruses circulate among animals.\n"
    "Do you ship to Canada?,Yes; shipping to Canada takes 5-10 business days.\n"
    "Can you ship to Canadian addresses?,Yes; shipping to Canada takes 5-10 business days.\n"
    "Who can get a booster?,Everyone aged 12 and over.\n"
    "Where can I get a booster?,At any pharmacy in the network.\n";

constexpr std::string_view kPage =
    "# Battery care\n\n"
    "## Winter storage\n\n"
    "Store the battery indoors at 10-25 degrees and charge it to 60 percent before a long break.\n\n"
    "## Charging\n\n"
    "A full charge takes about five hours with the standard charger.\n";

class RetrieverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_store({dir_.file("parley.db")});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
    ASSERT_TRUE(store_->write(store::Scope::system(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto workspace, tx.create_workspace("W"));
      workspace_ = workspace.id;
      return {};
    }).ok());
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.create_bot("Support", store::Json{{"language", "en"}}));
      bot_id_ = bot.id;
      return {};
    }).ok());
    for (const auto& [name, bytes] : {std::pair{"faq.csv", kFaq}, std::pair{"battery.md", kPage}}) {
      const auto added = ingest::add_file(*store_, scope(), {bot_id_, name, "", bytes});
      ASSERT_TRUE(added.ok()) << added.error().message;
    }
  }

  store::Scope scope() const { return store::Scope::workspace(workspace_); }

  SearchResult search(std::string_view question) {
    SearchResult result;
    const auto status = store_->read(scope(), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_id_));
      PARLEY_ASSIGN_OR_RETURN(result, retriever_.search(tx, *bot, question));
      return {};
    });
    EXPECT_TRUE(status.ok()) << status.error().message;
    return result;
  }

  std::string top_title(std::string_view question) {
    const auto result = search(question);
    return result.candidates.empty() ? std::string() : result.candidates.front().chunk.title;
  }

  parley::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::string workspace_, bot_id_;
  Retriever retriever_;
};

// The retriever keeps prepared candidates between questions; a change to the knowledge must show at once.
TEST_F(RetrieverTest, RepeatedQuestionsSeeTheKnowledgeAsItIsNow) {
  const auto before = search("How long does charging take?");
  ASSERT_FALSE(before.candidates.empty());
  EXPECT_THAT(before.candidates.front().chunk.text, ::testing::HasSubstr("about five hours"));
  const auto again = search("How long does charging take?");
  ASSERT_EQ(again.candidates.size(), before.candidates.size());
  for (std::size_t i = 0; i < again.candidates.size(); ++i) {
    EXPECT_EQ(again.candidates[i].chunk.id, before.candidates[i].chunk.id);
    EXPECT_EQ(again.candidates[i].chunk.text, before.candidates[i].chunk.text);
    EXPECT_DOUBLE_EQ(again.candidates[i].score, before.candidates[i].score);
  }

  // The same file again, retitled, with the charging section rewritten and the storage section unchanged.
  constexpr std::string_view kChanged =
      "# Battery maintenance\n\n"
      "## Winter storage\n\n"
      "Store the battery indoors at 10-25 degrees and charge it to 60 percent before a long break.\n\n"
      "## Charging\n\n"
      "A full charge takes about three hours with the fast charger.\n";
  const auto replaced = ingest::add_file(*store_, scope(), {bot_id_, "battery.md", "", kChanged});
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  const auto after = search("How long does charging take?");
  ASSERT_FALSE(after.candidates.empty());
  EXPECT_THAT(after.candidates.front().chunk.text, ::testing::HasSubstr("about three hours"));
  for (const auto& candidate : after.candidates) {
    EXPECT_THAT(candidate.chunk.text, ::testing::Not(::testing::HasSubstr("five hours")));
  }
  const auto storage = search("winter storage of the battery");
  ASSERT_FALSE(storage.candidates.empty());
  EXPECT_THAT(storage.candidates.front().chunk.text, ::testing::HasSubstr("Store the battery indoors"));
  EXPECT_EQ(storage.candidates.front().chunk.document_title, "Battery maintenance");
}

TEST_F(RetrieverTest, ACuratedQuestionAskedVerbatimMatchesFully) {
  const auto result = search("How do I reset my password?");
  ASSERT_FALSE(result.candidates.empty());
  EXPECT_EQ(result.candidates.front().chunk.title, "How do I reset my password?");
  EXPECT_DOUBLE_EQ(result.candidates.front().title_match, 1.0);
  EXPECT_DOUBLE_EQ(result.candidates.front().coverage, 1.0);
}

TEST_F(RetrieverTest, SynonymsAndCompoundsReachEntriesThatShareNoWordWithTheQuestion) {
  EXPECT_EQ(top_title("Is there an age limit for kids?"), "Can children ride electric bikes?");
  EXPECT_EQ(top_title("What is the origin of the corona virus?"), "Where do coronaviruses come from?");
}

// A bot's own synonyms (settings.synonyms) link words no thesaurus links: "delivery" and "ship" share no sense, but
// on a shop's help centre "How long does delivery take?" asks about shipping. A change of the setting shows at once.
TEST_F(RetrieverTest, TheOwnersSynonymsLinkWordsTheThesaurusDoesNot) {
  const auto set_synonyms = [&](const store::Json& groups) {
    ASSERT_TRUE(store_->write(scope(), [&](store::WriteTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(auto bot, tx.bot(bot_id_));
      bot->settings["synonyms"] = groups;
      PARLEY_TRY(tx.update_bot(*bot));
      return {};
    }).ok());
  };
  const auto before = search("delivery fees?");
  EXPECT_TRUE(before.candidates.empty());

  set_synonyms(store::Json::array({store::Json::array({"delivery", "shipping"})}));
  const auto after = search("delivery fees?");
  ASSERT_FALSE(after.candidates.empty());
  EXPECT_THAT(after.candidates.front().chunk.text, ::testing::HasSubstr("shipping"));
  EXPECT_LT(after.unknown_share, 1.0);
  // Less than the visitor's own word would give: "shipping" asked outright matches fully.
  EXPECT_EQ(top_title("What does delivery cost?"), "How much does shipping cost?");
  EXPECT_LT(search("What does delivery cost?").candidates.front().coverage,
            search("What does shipping cost?").candidates.front().coverage);

  set_synonyms(store::Json::array());
  EXPECT_TRUE(search("delivery fees?").candidates.empty());
}

// Two curated questions with the same words: the one asking for the same kind of answer goes first, though its
// evidence score is no higher (the form moves the ranking, not the score).
TEST_F(RetrieverTest, TheQuestionFormOrdersCuratedQuestionsOfEqualEvidence) {
  const auto where = search("Where do I get the booster?");
  ASSERT_GE(where.candidates.size(), 2u);
  EXPECT_EQ(where.candidates[0].chunk.title, "Where can I get a booster?");
  EXPECT_TRUE(where.candidates[0].same_form);
  EXPECT_EQ(where.candidates[1].chunk.title, "Who can get a booster?");
  EXPECT_FALSE(where.candidates[1].same_form);
  EXPECT_LE(where.candidates[0].score, where.candidates[1].score);
  EXPECT_EQ(top_title("Who gets the booster?"), "Who can get a booster?");
}

TEST_F(RetrieverTest, AMisspelledWordStillCountsAsCovered) {
  const auto result = search("How do I reset my pasword?");
  ASSERT_FALSE(result.candidates.empty());
  EXPECT_EQ(result.candidates.front().chunk.title, "How do I reset my password?");
  EXPECT_GT(result.candidates.front().coverage, 0.75);
}

TEST_F(RetrieverTest, PassagesAreFoundByTheirSectionHeading) {
  const auto result = search("How should I store the battery in winter?");
  ASSERT_FALSE(result.candidates.empty());
  EXPECT_EQ(result.candidates.front().chunk.heading_path, "Winter storage");
  EXPECT_GT(result.candidates.front().phrase, 0.0);
}

TEST_F(RetrieverTest, ChunksWithTheSameTextAreFoldedIntoOne) {
  const auto result = search("Do you ship to Canada?");
  int canada_answers = 0;
  for (const auto& candidate : result.candidates) {
    canada_answers += candidate.chunk.text.find("Canada takes") != std::string::npos;
  }
  EXPECT_EQ(canada_answers, 1);
}

TEST_F(RetrieverTest, WordsTheKnowledgeNeverUsesLowerTheScore) {
  const auto known = search("How much does shipping cost?");
  const auto unknown = search("How much does a scooter rental in Lisbon cost?");
  ASSERT_FALSE(known.candidates.empty());
  const double unknown_best = unknown.candidates.empty() ? 0.0 : unknown.candidates.front().score;
  EXPECT_LT(unknown_best, 0.5 * known.candidates.front().score);
}

TEST_F(RetrieverTest, UnknownWordsAreReportedAsTheShareOfTheQuestionTheKnowledgeLacks) {
  EXPECT_DOUBLE_EQ(search("How much does shipping cost?").unknown_share, 0.0);
  EXPECT_GT(search("Do you ship unicycles?").unknown_share, 0.5);
  // A misspelling of a word the knowledge uses is matched, so it is not unknown.
  EXPECT_DOUBLE_EQ(search("How do I reset my pasword?").unknown_share, 0.0);
}

// A bot of a software manual: a setting named in a question is matched whole, so the page that defines it wins over
// pages that use its parts as words.
class ManualRetrieverTest : public RetrieverTest {
 protected:
  void add(std::string_view name, std::string_view bytes) {
    const auto added = ingest::add_file(*store_, scope(), {bot_id_, std::string(name), "", std::string(bytes)});
    ASSERT_TRUE(added.ok()) << added.error().message;
  }
};

TEST_F(ManualRetrieverTest, AnIdentifierIsMatchedWholeAsWellAsByItsParts) {
  add("memory.md",
      "# Memory\n\nShared memory buffers are used by every server process. The buffers are shared between "
      "sessions, and shared memory is sized at start.\n");
  add("settings.md", "# Settings\n\nshared_buffers: how much memory the server uses for its page cache.\n");
  const auto result = search("What does shared_buffers do?");
  ASSERT_FALSE(result.candidates.empty());
  EXPECT_EQ(result.candidates.front().chunk.document_uri, "settings.md");
}

TEST_F(ManualRetrieverTest, AnIndexPageOfLinksRanksBelowThePageThatExplains) {
  std::string index = "<html><head><title>Index</title></head><body><main><h1>Index</h1><ul>";
  for (const char* entry : {"Charging the battery", "Battery storage", "Battery recycling", "Winter riding",
                            "Charger faults", "Battery warranty"}) {
    index += std::string("<li><a href=\"x.html\">") + entry + "</a></li>";
  }
  index += "</ul></main></body></html>";
  add("index.html", index);
  add("recycling.html",
      "<html><head><title>Recycling</title></head><body><main><h1>Recycling</h1><p>Bring a worn battery to any "
      "store: we send it for recycling free of charge.</p></main></body></html>");
  const auto result = search("Battery recycling");
  ASSERT_FALSE(result.candidates.empty());
  EXPECT_EQ(result.candidates.front().chunk.document_uri, "recycling.html");
  const auto index_chunk = std::find_if(result.candidates.begin(), result.candidates.end(),
                                        [](const Candidate& c) { return c.chunk.document_uri == "index.html"; });
  ASSERT_NE(index_chunk, result.candidates.end());
  EXPECT_TRUE(store::is_navigation(index_chunk->chunk));
}

TEST_F(RetrieverTest, AQuestionOfStopWordsFindsNothing) {
  const auto result = search("What is it?");
  EXPECT_TRUE(result.terms.empty());
  EXPECT_TRUE(result.candidates.empty());
}

}  // namespace
}  // namespace parley::search
