#include "engine/stop-strings.h"

#include <gtest/gtest.h>

namespace parley::engine {
namespace {

TEST(StopMatcher, HoldsBackPossibleStartsAndStopsAtTheFirstMatch) {
  StopMatcher matcher({"\nUser:", "###"});
  auto out = matcher.push("Hello");
  EXPECT_EQ(out.text, "Hello");
  out = matcher.push(" there\nUs");
  EXPECT_EQ(out.text, " there");  // "\nUs" may begin "\nUser:"
  EXPECT_FALSE(out.stopped);
  out = matcher.push("ually");
  EXPECT_EQ(out.text, "\nUsually");  // it did not
  out = matcher.push(" #");
  EXPECT_EQ(out.text, " ");
  out = matcher.push("## rest");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(out.matched, "###");
}

TEST(StopMatcher, MatchInsideOnePieceAndFinishFlushes) {
  StopMatcher matcher({"END"});
  auto out = matcher.push("abcENDdef");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "abc");
  StopMatcher other({"END"});
  EXPECT_EQ(other.push("xyzE").text, "xyz");
  EXPECT_EQ(other.finish(), "E");
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
  StopMatcher matcher({"cd", "b"});
  auto out = matcher.push("abcd");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "a");
  EXPECT_EQ(out.matched, "b");
}

TEST(StopMatcher, NoStopsPassesEverything) {
  StopMatcher matcher({});
  EXPECT_EQ(matcher.push("a\nb").text, "a\nb");
  EXPECT_EQ(matcher.finish(), "");
}

}  // namespace
}  // namespace parley::engine
