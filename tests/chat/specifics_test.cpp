#include "chat/specifics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::chat {
namespace {

using ::testing::ElementsAre;

TEST(Specifics, ReadsQuantitiesWithTheirUnits) {
  const text::Analyzer analyzer("en");
  const auto found = specifics_of(analyzer, "Can I return my Volt bike in Seattle after 40 days for $1,200?");
  ASSERT_EQ(found.quantities.size(), 2u);
  EXPECT_EQ(found.quantities[0].value, "40");
  EXPECT_THAT(found.quantities[0].units, ElementsAre("day"));
  EXPECT_EQ(found.quantities[1].value, "1200");
  EXPECT_THAT(found.quantities[1].units, ElementsAre("$"));
}

TEST(Specifics, AnotherValueOfTheSameUnitContradictsTheQuestion) {
  const text::Analyzer analyzer("en");
  const auto question = specifics_of(analyzer, "Can I return a bike after 40 days?");
  const auto check = check_specifics(analyzer, question, "Yes, within 30 days of delivery, if ridden less than 50 miles.");
  EXPECT_EQ(check.contradicted, 1);
  EXPECT_LT(specifics_factor(check), 0.7);
  const auto same = check_specifics(analyzer, question, "Bikes can be returned for 40 days.");
  EXPECT_EQ(same.contradicted, 0);
  EXPECT_DOUBLE_EQ(specifics_factor(same), 1.0);
}

TEST(Specifics, TheVerdictOfACuratedAnswerCanBeLeftOut) {
  EXPECT_EQ(without_verdict("Yes, within 30 days of delivery."), "Within 30 days of delivery.");
  EXPECT_EQ(without_verdict("No. We don't sell it."), "We don't sell it.");
  EXPECT_EQ(without_verdict("Notes are kept."), "Notes are kept.");
  EXPECT_EQ(without_verdict("Yes"), "Yes");
  EXPECT_EQ(without_verdict("No problem: we ship again."), "No problem: we ship again.");
  EXPECT_EQ(without_verdict("Yes you can."), "Yes you can.");
}

}  // namespace
}  // namespace parley::chat
