#include "text/sentences.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::text {
namespace {

std::vector<std::string> sentences(std::string_view text) {
  std::vector<std::string> out;
  for (const auto& span : split_sentences(text)) out.emplace_back(span.of(text));
  return out;
}

using ::testing::ElementsAre;

TEST(Sentences, SplitsOnFinalPunctuation) {
  EXPECT_THAT(sentences("We ship daily. Returns are free! Questions?  Ask us."),
              ElementsAre("We ship daily.", "Returns are free!", "Questions?", "Ask us."));
}

TEST(Sentences, KeepsAbbreviationsDecimalsAndDomainsTogether) {
  EXPECT_THAT(sentences("Dr. Smith paid 3.5 USD at example.com today. Next, e.g. this one."),
              ElementsAre("Dr. Smith paid 3.5 USD at example.com today.", "Next, e.g. this one."));
  EXPECT_THAT(sentences("Contact J. Doe for help."), ElementsAre("Contact J. Doe for help."));
}

TEST(Sentences, LineBreaksEndSentencesAndBlankPartsVanish) {
  EXPECT_THAT(sentences("- first item\n- second item\n\n  \nLast"), ElementsAre("- first item", "- second item", "Last"));
}

TEST(Sentences, CjkFullStop) {
  EXPECT_THAT(sentences("\xE6\x97\xA5\xE6\x9C\xAC\xE3\x80\x82\xE8\xAA\x9E"),
              ElementsAre("\xE6\x97\xA5\xE6\x9C\xAC\xE3\x80\x82", "\xE8\xAA\x9E"));
}

TEST(Sentences, EmptyAndSpaceOnlyInputs) {
  EXPECT_TRUE(sentences("").empty());
  EXPECT_TRUE(sentences("  \n\t ").empty());
}

}  // namespace
}  // namespace parley::text
