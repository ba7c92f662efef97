#include "text/analyzer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::text {
namespace {

using ::testing::ElementsAre;

TEST(Analyzer, FoldsCaseAndDiacriticsAndStemsEnglish) {
  const Analyzer analyzer("en");
  EXPECT_THAT(analyzer.terms("Refunds for CAFÉ orders"), ElementsAre("refund", "cafe", "order"));
  EXPECT_THAT(analyzer.terms("shipping shipped ships"), ElementsAre("ship", "ship", "ship"));
}

TEST(Analyzer, DropsStopWordsUnlessAsked) {
  const Analyzer analyzer("en");
  EXPECT_THAT(analyzer.terms("How do I reset my password?"), ElementsAre("reset", "password"));
  const auto all = analyzer.analyze("How do I reset", {.keep_stop_words = true, .stem = true});
  ASSERT_EQ(all.size(), 4u);
  EXPECT_TRUE(all[0].stop_word);
  EXPECT_EQ(all[0].text, "how");
  EXPECT_FALSE(all[3].stop_word);
}

TEST(Analyzer, KeepsModelNumbersAndJoinsApostrophes) {
  const Analyzer analyzer("en");
  EXPECT_THAT(analyzer.terms("Galaxy S10 customer's"), ElementsAre("galaxi", "s10", "custom"));
  EXPECT_THAT(analyzer.terms("COVID-19"), ElementsAre("covid", "19", "covid19"));
}

TEST(Analyzer, IdentifiersAreTermsWholeAndByTheirParts) {
  const Analyzer analyzer("en");
  // snake_case, dotted names and option flags: the parts, then the joined word.
  EXPECT_THAT(analyzer.terms("shared_buffers"), ElementsAre("share", "buffer", "sharedbuff"));
  EXPECT_THAT(analyzer.terms("edit pg_hba.conf file"), ElementsAre("edit", "pg", "hba", "conf", "pghbaconf", "file"));
  EXPECT_THAT(analyzer.terms("--max-connections"), ElementsAre("max", "connect", "maxconnect"));
  // CamelCase: the parts, then the word.
  EXPECT_THAT(analyzer.terms("ResultSet"), ElementsAre("result", "set", "resultset"));
  const auto terms = analyzer.analyze("use log_min_duration");
  ASSERT_EQ(terms.size(), 5u);
  EXPECT_FALSE(terms[1].derived);
  EXPECT_TRUE(terms[4].derived);
  EXPECT_EQ(terms[4].begin, 4u);
  EXPECT_EQ(terms[4].end, 20u);
  // Numbers are not identifiers, nor is the end of a sentence.
  EXPECT_THAT(analyzer.terms("version 3.5"), ElementsAre("version", "3", "5"));
  EXPECT_THAT(analyzer.terms("Done. Next"), ElementsAre("done", "next"));
}

TEST(Analyzer, ZeroWidthCharactersDoNotSplitOrHideWords) {
  const Analyzer analyzer("en");
  EXPECT_THAT(analyzer.terms("pass\xE2\x80\x8Bword"), ElementsAre("password"));  // U+200B inside the word
}

TEST(Analyzer, ScriptsWithoutSpacesBecomeBigrams) {
  const Analyzer analyzer("ja");
  // 日本語 -> 日本, 本語
  EXPECT_THAT(analyzer.terms("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"),
              ElementsAre("\xE6\x97\xA5\xE6\x9C\xAC", "\xE6\x9C\xAC\xE8\xAA\x9E"));
  // A lone ideograph stays a unigram, and Latin words around it are still words.
  EXPECT_THAT(analyzer.terms("abc \xE6\x97\xA5 def"), ElementsAre("abc", "\xE6\x97\xA5", "def"));
}

TEST(Analyzer, RecordsByteSpansOfSourceWords) {
  const Analyzer analyzer("en");
  const std::string text = "Caf\xC3\xA9 hours";
  const auto terms = analyzer.analyze(text);
  ASSERT_EQ(terms.size(), 2u);
  EXPECT_EQ(text.substr(terms[0].begin, terms[0].end - terms[0].begin), "Caf\xC3\xA9");
  EXPECT_EQ(text.substr(terms[1].begin, terms[1].end - terms[1].begin), "hours");
}

TEST(Analyzer, GermanUsesItsOwnStemmerAndStopWords) {
  const Analyzer analyzer("de");
  EXPECT_THAT(analyzer.terms("Die Rechnungen und die Lieferung"), ElementsAre("rechnung", "liefer"));
}

TEST(Analyzer, InvalidUtf8NeverThrowsAndSkipsBadBytes) {
  const Analyzer analyzer("en");
  EXPECT_THAT(analyzer.terms("good\xFF" "bad"), ElementsAre("good", "bad"));
  EXPECT_TRUE(analyzer.terms("\xC3").empty());
}

TEST(Analyzer, IndexFormJoinsTerms) {
  EXPECT_EQ(Analyzer("en").index_form("Opening hours of the stores"), "open hour store");
}

TEST(Fold, RemovesCaseAndAccentsKeepsPunctuation) {
  EXPECT_EQ(fold("\xC3\x89t\xC3\xA9, OK?"), "ete, ok?");
}

}  // namespace
}  // namespace parley::text
