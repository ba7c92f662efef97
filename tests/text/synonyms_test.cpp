#include "text/synonyms.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "text/analyzer.h"

namespace parley::text {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;

TEST(Synonyms, GivesStemsOfCommonSensesOfEnglishWords) {
  const Analyzer analyzer("en");
  EXPECT_THAT(synonyms("en", analyzer.stem("kid")), Contains(analyzer.stem("child")));
  EXPECT_THAT(synonyms("en", analyzer.stem("guarantee")), Contains(analyzer.stem("warranty")));
  EXPECT_THAT(synonyms("en", analyzer.stem("parcel")), Contains(analyzer.stem("package")));
  // Never the word itself.
  EXPECT_THAT(synonyms("en", "kid"), Not(Contains("kid")));
}

TEST(Synonyms, NoneForUnknownWordsOrOtherLanguages) {
  EXPECT_THAT(synonyms("en", "qufexvan"), IsEmpty());
  EXPECT_THAT(synonyms("de", "kid"), IsEmpty());
}

TEST(AnalyzerStem, StemsAFoldedWordTheSameWayAsAnalyze) {
  const Analyzer analyzer("en");
  EXPECT_EQ(analyzer.stem("shipping"), "ship");
  EXPECT_EQ(analyzer.stem("shipping"), "ship");  // a second time, from the stem cache
  EXPECT_EQ(analyzer.terms("parcels").front(), analyzer.stem("parcels"));
  EXPECT_EQ(Analyzer("ja").stem("日本"), "日本");  // no stemmer: unchanged
}

}  // namespace
}  // namespace parley::text
