#include <gtest/gtest.h>

#include "common/csv.h"

namespace parley {
namespace {

TEST(CsvField, QuotesOnlyWhatNeedsQuoting) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

TEST(CsvField, NeverLeavesAFormulaForASpreadsheet) {
  EXPECT_EQ(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_field("+1"), "'+1");
  EXPECT_EQ(csv_field("-1"), "'-1");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field(""), "");
  // Spreadsheets skip a leading tab or carriage return and read the formula after it.
  EXPECT_EQ(csv_field("\t=1+1"), "'\t=1+1");
  EXPECT_EQ(csv_field("\r=HYPERLINK(\"x\")"), "\"'\r=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_field("a\t=1"), "a\t=1");
}

}  // namespace
}  // namespace parley
