#include "common/utf8.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80"));
}

TEST(Utf8, RejectsIllFormedSequences) {
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("ok\x80"));            // stray continuation byte
}

TEST(Utf8, RepairReplacesEachBadByteAndKeepsTheRest) {
  EXPECT_EQ(repair_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(repair_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_TRUE(is_valid_utf8(repair_utf8("\xC3\x28\xE2\x82\xF0\x9F")));
}

TEST(Utf8, PrefixNeverCutsASequence) {
  const std::string text = "a\xC3\xA9z";  // a é z
  EXPECT_EQ(utf8_prefix_length(text, 2), 1u);
  EXPECT_EQ(utf8_prefix_length(text, 3), 3u);
  EXPECT_EQ(utf8_prefix_length(text, 10), 4u);
}

TEST(Utf8, DecodeAndAppendRoundTrip) {
  const std::string text = "x\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80";
  std::string rebuilt;
  std::size_t pos = 0;
  std::vector<char32_t> points;
  while (pos < text.size()) points.push_back(utf8_decode(text, pos));
  for (char32_t cp : points) utf8_append(rebuilt, cp);
  EXPECT_EQ(rebuilt, text);
  EXPECT_EQ(points, (std::vector<char32_t>{U'x', 0xE9, 0x65E5, 0x1F600}));
}

}  // namespace
}  // namespace parley
