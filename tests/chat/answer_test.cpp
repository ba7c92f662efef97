#include "chat/answer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::chat {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

search::QueryTerm term(const std::string& stem, double idf) {
  search::QueryTerm out;
  out.term = stem;
  out.word = stem;
  out.idf = idf;
  out.document_frequency = 3;
  return out;
}

search::Candidate candidate(std::int64_t id, store::ChunkKind kind, std::string title, std::string text, double score,
                            double title_match, std::string uri = "help.md", std::string heading = "") {
  search::Candidate c;
  c.chunk.id = id;
  c.chunk.kind = kind;
  c.chunk.title = std::move(title);
  c.chunk.text = std::move(text);
  c.chunk.heading_path = std::move(heading);
  c.chunk.document_uri = std::move(uri);
  c.score = score;
  c.title_match = title_match;
  c.coverage = score;
  return c;
}

std::vector<std::int64_t> source_ids(const ComposedAnswer& answer) {
  std::vector<std::int64_t> ids;
  for (const auto& source : answer.sources) ids.push_back(source.chunk_id);
  return ids;
}

TEST(ComposeAnswer, ReturnsTheCuratedAnswerVerbatimWithFurtherSources) {
  search::SearchResult result;
  result.terms = {term("reset", 2.0), term("password", 2.0)};
  result.candidates = {
      candidate(1, store::ChunkKind::qa, "How do I reset my password?", "Use the Forgot password link.", 0.9, 0.9, "faq.csv"),
      candidate(2, store::ChunkKind::passage, "Account", "Passwords need 12 characters.", 0.6, 0.3),
      candidate(3, store::ChunkKind::passage, "Privacy", "We never see your password.", 0.3, 0.1),
  };
  const auto answer = compose_answer(result, BotSettings{});
  EXPECT_EQ(answer.mode, "faq");
  EXPECT_EQ(answer.text, "Use the Forgot password link.");
  // Ranked evidence: the curated pair, then candidates scoring at least half as well as the best.
  EXPECT_THAT(source_ids(answer), ElementsAre(1, 2));
  EXPECT_DOUBLE_EQ(answer.confidence, 0.9);
}

// The demo bot answered "How much is express shipping to Hawaii?" with "Yes. Accessories ship for a flat $19.95 ...".
TEST(ComposeAnswer, ACuratedVerdictAnswersOnlyAYesNoQuestion) {
  search::SearchResult result;
  result.terms = {term("ship", 2.0), term("hawaii", 3.0)};
  result.candidates = {candidate(1, store::ChunkKind::qa, "Do you ship to Hawaii?",
                                 "Yes. Accessories ship for a flat $19.95.", 0.9, 0.9, "faq.csv")};
  result.question = "How much is shipping to Hawaii?";
  EXPECT_EQ(compose_answer(result, BotSettings{}).text, "Accessories ship for a flat $19.95.");
  result.question = "Do you ship to Hawaii?";
  EXPECT_EQ(compose_answer(result, BotSettings{}).text, "Yes. Accessories ship for a flat $19.95.");
  // A question of no known form (here: not English) keeps the curated answer as written.
  result.question = "Liefert ihr nach Hawaii?";
  BotSettings german;
  german.language = "de";
  EXPECT_EQ(compose_answer(result, german).text, "Yes. Accessories ship for a flat $19.95.");
}

TEST(ComposeAnswer, DeclinesWithoutSourcesBelowTheAnswerThreshold) {
  search::SearchResult result;
  result.terms = {term("scooter", 6.0)};
  result.candidates = {candidate(1, store::ChunkKind::passage, "Bikes", "We sell bikes.", 0.2, 0.0)};
  BotSettings settings;
  settings.fallback_message = "I don't know.";
  const auto answer = compose_answer(result, settings);
  EXPECT_EQ(answer.mode, "fallback");
  EXPECT_EQ(answer.text, "I don't know.");
  EXPECT_THAT(answer.sources, IsEmpty());
  EXPECT_EQ(compose_answer(search::SearchResult{}, settings).mode, "fallback");
}

// The ranking may put a curated question of the visitor's form before a slightly better-scoring one; the
// confidence is still the best evidence.
TEST(ComposeAnswer, ConfidenceIsTheBestScoreEvenWhenTheFormRankedAnotherFirst) {
  search::SearchResult result;
  result.terms = {term("booster", 3.0)};
  result.candidates = {
      candidate(1, store::ChunkKind::qa, "Where can I get a booster?", "At any pharmacy.", 0.50, 0.6, "faq.csv"),
      candidate(2, store::ChunkKind::qa, "Who can get a booster?", "Everyone over 12.", 0.53, 0.6, "faq.csv"),
  };
  result.candidates[0].same_form = true;
  BotSettings settings;
  settings.answer_threshold = 0.52;
  const auto answer = compose_answer(result, settings);
  EXPECT_DOUBLE_EQ(answer.confidence, 0.53);
  EXPECT_EQ(answer.mode, "faq");
  EXPECT_EQ(answer.text, "At any pharmacy.");
}

TEST(ComposeAnswer, ExtractsTheMatchingSentencesInReadingOrderWithoutAnUnrelatedOpeningOrRuleLines) {
  search::SearchResult result;
  result.terms = {term("winter", 3.0), term("batteri", 2.0)};
  result.candidates = {candidate(
      1, store::ChunkKind::passage, "Battery care",
      "Our batteries are made in Oregon.\n|---|---|\nIn winter, keep the battery indoors.\nCharge the battery to 60 "
      "percent before winter storage.\nTires need air.",
      0.8, 0.5, "battery.md", "Winter storage")};
  const auto answer = compose_answer(result, BotSettings{});
  EXPECT_EQ(answer.mode, "extractive");
  // The opening sentence shares only the commoner word with the question: it does not open the answer.
  EXPECT_EQ(answer.text, "In winter, keep the battery indoors. Charge the battery to 60 percent before winter storage.");
  EXPECT_THAT(answer.text, Not(HasSubstr("|---|")));
  ASSERT_EQ(answer.sources.size(), 1u);
  EXPECT_EQ(answer.sources[0].title, "Battery care \xE2\x80\xBA Winter storage");
}

TEST(ComposeAnswer, QuotesTableRowsButNotTheHeaderRow) {
  search::SearchResult result;
  result.terms = {term("torqu", 3.0), term("pedal", 2.0)};
  result.candidates = {candidate(1, store::ChunkKind::passage, "Assembly", "Bolt | Torque\nSeat clamp | 5 Nm\nPedals | 35 Nm",
                                 0.8, 0.5, "assembly.md", "Torque settings")};
  const auto answer = compose_answer(result, BotSettings{});
  EXPECT_EQ(answer.mode, "extractive");
  // A table under its header row, as Markdown (never a bare row of pipes).
  EXPECT_EQ(answer.text, "| Bolt | Torque |\n|---|---|\n| Pedals | 35 Nm |");
}

TEST(ComposeAnswer, AnswersHowWithTheWholeListOfSteps) {
  search::SearchResult result;
  result.question = "How do I reset my password?";
  result.terms = {term("reset", 3.0), term("password", 2.0)};
  result.candidates = {candidate(1, store::ChunkKind::passage, "Account",
                                 "Accounts are free.\nTo reset your password:\n- Open Account.\n- Choose Security.\n"
                                 "- Follow the link we email you.\nPasswords must have 10 characters.",
                                 0.8, 0.5, "account.md", "Passwords")};
  const auto answer = compose_answer(result, BotSettings{});
  EXPECT_EQ(answer.mode, "extractive");
  EXPECT_EQ(answer.text, "To reset your password:\n\n- Open Account.\n- Choose Security.\n- Follow the link we email you.");
}

TEST(ComposeAnswer, PrefersTheSentenceShapedLikeTheAnswerToTheQuestionsForm) {
  search::SearchResult result;
  result.question = "How long does a refund take?";
  result.terms = {term("refund", 3.0), term("take", 0.5)};
  result.candidates = {candidate(1, store::ChunkKind::passage, "Returns",
                                 "Refunds take a moment of paperwork on our side.\nRefunds arrive within 5 business days.",
                                 0.8, 0.5, "returns.md", "Refunds")};
  BotSettings settings;
  settings.max_answer_sentences = 1;
  const auto answer = compose_answer(result, settings);
  EXPECT_EQ(answer.text, "Refunds arrive within 5 business days.");
}

// "How much does shipping cost?" was answered "Otherwise standard shipping costs $7.95.": the sentence that matched
// best leans on the one before it, which said when shipping is free.
TEST(ComposeAnswer, ASentenceThatLeansOnThePreviousOneBringsItAlong) {
  search::SearchResult result;
  result.question = "How much does shipping cost?";
  result.terms = {term("ship", 3.0), term("cost", 2.0)};
  result.candidates = {candidate(1, store::ChunkKind::passage, "Shipping guide",
                                 "Shipping is free on orders over $75. Otherwise standard shipping costs $7.95.\n"
                                 "Standard parcels arrive within 3 to 5 business days.",
                                 0.8, 0.5, "guide.md", "Costs")};
  BotSettings settings;
  settings.max_answer_sentences = 1;
  EXPECT_EQ(compose_answer(result, settings).text,
            "Shipping is free on orders over $75. Otherwise standard shipping costs $7.95.");
  // Not across a line break (another paragraph, a heading, a list), and not for a sentence that stands alone.
  result.candidates[0].chunk.text = "Parcels are tracked.\nOtherwise standard shipping costs $7.95.";
  EXPECT_EQ(compose_answer(result, settings).text, "Otherwise standard shipping costs $7.95.");
  result.candidates[0].chunk.text = "Parcels are tracked. Standard shipping costs $7.95.";
  EXPECT_EQ(compose_answer(result, settings).text, "Standard shipping costs $7.95.");
  // English cues only: a German bot's sentences are kept as they are.
  settings.language = "de";
  result.candidates[0].chunk.text = "Parcels are tracked. Otherwise standard shipping costs $7.95.";
  EXPECT_EQ(compose_answer(result, settings).text, "Otherwise standard shipping costs $7.95.");
}

TEST(ComposeAnswer, CitesTheBestCandidateFirstEvenWhenItsTextRepeatsNoQuestionWord) {
  search::SearchResult result;
  result.terms = {term("kid", 3.0), term("vaccin", 0.5)};
  result.candidates = {
      candidate(1, store::ChunkKind::qa, "Can children be vaccinated?", "Yes, from age 12.", 0.5, 0.3, "faq.csv"),
      candidate(2, store::ChunkKind::qa, "Do vaccines work?", "Every vaccine was tested.", 0.45, 0.2, "faq.csv"),
  };
  const auto answer = compose_answer(result, BotSettings{});
  EXPECT_EQ(answer.mode, "extractive");
  ASSERT_FALSE(answer.sources.empty());
  EXPECT_EQ(answer.sources[0].chunk_id, 1);
  EXPECT_THAT(answer.text, HasSubstr("Yes, from age 12."));
}

TEST(ComposeAnswer, DoesNotRepeatALinkAmongFurtherSources) {
  search::SearchResult result;
  result.terms = {term("notif", 2.0)};
  result.candidates = {
      candidate(1, store::ChunkKind::passage, "Notifications", "Notifications show on the lock screen.", 0.8, 0.8,
                "notifications.md"),
      // Not close enough to the best to be quoted, close enough to be listed.
      candidate(2, store::ChunkKind::passage, "Notifications", "More about notifications here.", 0.55, 0.8,
                "notifications.md"),
      candidate(3, store::ChunkKind::passage, "Sounds", "Notification sounds can be changed.", 0.45, 0.2, "sounds.md"),
  };
  const auto answer = compose_answer(result, BotSettings{});
  std::vector<std::string> urls;
  for (const auto& source : answer.sources) urls.push_back(source.url);
  EXPECT_THAT(urls, ElementsAre("notifications.md", "sounds.md"));
}

}  // namespace
}  // namespace parley::chat
