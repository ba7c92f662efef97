#include "common/ids.h"

#include <algorithm>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <vector>

namespace parley {
namespace {

TEST(Ids, HavePrefixAndFixedLengthAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_id("bot");
    ASSERT_EQ(id.rfind("bot_", 0), 0u);
    ASSERT_EQ(id.size(), 4u + 20u);
    ASSERT_EQ(id.find_first_not_of("abcdefghijklmnopqrstuvwxyz234567", 4), std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(Ids, OrderedIdsHaveTheSameFormatDifferAndSortByCreation) {
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(new_ordered_id("doc"));
    ASSERT_EQ(ids.back().rfind("doc_", 0), 0u);
    ASSERT_EQ(ids.back().size(), 4u + 20u);
    ASSERT_EQ(ids.back().find_first_not_of("abcdefghijklmnopqrstuvwxyz234567", 4), std::string::npos);
  }
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  // The time part (10 characters) never goes backwards, and ids made within one millisecond follow each other too:
  // a list ordered by id is the order they were made in.
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_LE(ids[i - 1].substr(4, 10), ids[i].substr(4, 10));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST(Ids, OrderedIdsSortByTimeWhereverACharacterOfTheTimePartStepsUp) {
  // For each of the 10 characters: the millisecond where it steps from value 25 to 26 (all characters after it
  // rolling over from 31 to 0), the step that the RFC 4648 alphabet ("...z2...") would sort backwards.
  const std::uint64_t base_ms = 1'700'000'000'000;
  for (int shift = 0; shift <= 45; shift += 5) {
    const std::uint64_t below = (std::uint64_t{1} << shift) - 1;
    const std::uint64_t ms = (base_ms & ~((std::uint64_t{32} << shift) - 1)) | (std::uint64_t{25} << shift) | below;
    const std::chrono::system_clock::time_point before{std::chrono::milliseconds{ms}};
    const std::chrono::system_clock::time_point after{std::chrono::milliseconds{ms + 1}};
    EXPECT_LT(new_ordered_id("doc", before).substr(4, 10), new_ordered_id("doc", after).substr(4, 10))
        << "character stepping up at bit " << shift;
  }
}

TEST(Ids, Sha256MatchesKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Ids, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace parley
