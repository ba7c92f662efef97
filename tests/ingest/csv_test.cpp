#include "ingest/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::ingest {
namespace {

using ::testing::ElementsAre;

TEST(Csv, QuotedFieldsWithCommasQuotesAndLineBreaks) {
  const auto rows = parse_csv("question,answer\r\n\"Hours, please?\",\"Open \"\"daily\"\"\nuntil 6\"\r\nq2,a2\n");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_THAT((*rows)[1], ElementsAre("Hours, please?", "Open \"daily\"\nuntil 6"));
  EXPECT_THAT((*rows)[2], ElementsAre("q2", "a2"));
}

TEST(Csv, BlankLinesAndMissingFinalNewline) {
  const auto rows = parse_csv("a,b\n\n1,2");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 2u);
  EXPECT_THAT((*rows)[1], ElementsAre("1", "2"));
}

TEST(Csv, EmptyTrailingField) {
  const auto rows = parse_csv("a,b,\n");
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT((*rows)[0], ElementsAre("a", "b", ""));
}

TEST(Csv, UnterminatedQuoteIsAnError) {
  const auto rows = parse_csv("a,\"never closed\n");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().code, ErrorCode::unprocessable);
}

TEST(Csv, LimitsAreEnforced) {
  EXPECT_FALSE(parse_csv("a,b,c,d\n", {.max_rows = 10, .max_fields = 3}).ok());
  EXPECT_FALSE(parse_csv("1\n2\n3\n", {.max_rows = 2, .max_fields = 10}).ok());
}

}  // namespace
}  // namespace parley::ingest
