#include "engine/kv-cache.h"

#include "engine/fp16.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace parley::engine {
namespace {

std::vector<int32_t> tokens_from(int32_t start) {
  std::vector<int32_t> tokens(KvCache::kBlockTokens);
  std::iota(tokens.begin(), tokens.end(), start);
  return tokens;
}

TEST(KvCache, AllocatesUntilExhaustedAndReusesReleasedBlocks) {
  KvCache cache(2, 2, 4, 3);
  EXPECT_EQ(cache.bytes(), KvCache::bytes_per_block(2, 8) * 3);
  auto a = cache.allocate(), b = cache.allocate(), c = cache.allocate();
  ASSERT_TRUE(a && b && c);
  EXPECT_FALSE(cache.allocate());
  EXPECT_EQ(cache.available(), 0);
  cache.release(*b);
  EXPECT_EQ(cache.available(), 1);
  EXPECT_EQ(cache.allocate(), b);
}

// Keys are stored transposed per head ([dimension][position]), values as rows ([position][head][dimension]).
TEST(KvCache, StoresKeysTransposedAndValuesAsRows) {
  KvCache cache(2, 2, 4, 2);
  const int32_t block = *cache.allocate();
  uint16_t key[8], value[8];
  for (int i = 0; i < 8; ++i) {
    key[i] = fp32_to_fp16(static_cast<float>(i));
    value[i] = fp32_to_fp16(static_cast<float>(10 + i));
  }
  cache.store(block, 1, 5, key, value);
  for (int head = 0; head < 2; ++head) {
    for (int d = 0; d < 4; ++d) {
      EXPECT_EQ(cache.keys(block, 1, head)[d * KvCache::kBlockTokens + 5], key[head * 4 + d]);
      EXPECT_EQ(cache.values(block, 1, head)[5 * cache.value_stride() + static_cast<std::size_t>(d)], value[head * 4 + d]);
    }
  }
  EXPECT_EQ(cache.keys(block, 0, 0)[5], 0);  // another layer is untouched
}

TEST(KvCache, PublishedBlocksAreFoundByTheirPrefixAndSurviveRelease) {
  KvCache cache(1, 1, 4, 4);
  const auto first = tokens_from(0), second = tokens_from(100);
  const int32_t b0 = *cache.allocate(), b1 = *cache.allocate();
  const uint64_t p0 = cache.publish(b0, KvCache::kRootPrefix, first);
  const uint64_t p1 = cache.publish(b1, p0, second);
  cache.release(b0);
  cache.release(b1);
  EXPECT_EQ(cache.available(), 4);  // released published blocks count as available (evictable)

  auto found0 = cache.lookup(KvCache::kRootPrefix, first);
  ASSERT_TRUE(found0);
  EXPECT_EQ(found0->block, b0);
  EXPECT_EQ(found0->prefix, p0);
  auto found1 = cache.lookup(found0->prefix, second);
  ASSERT_TRUE(found1);
  EXPECT_EQ(found1->block, b1);
  EXPECT_EQ(found1->prefix, p1);
  EXPECT_EQ(cache.ref_count(b0), 1);
  // The same tokens after another prefix are not a match.
  EXPECT_FALSE(cache.lookup(KvCache::kRootPrefix, second));
  EXPECT_FALSE(cache.lookup(p1, first));
}

TEST(KvCache, EvictsLeastRecentlyReleasedAndNeverRevivesStaleChildren) {
  KvCache cache(1, 1, 4, 2);
  const auto first = tokens_from(0), second = tokens_from(50);
  const int32_t b0 = *cache.allocate(), b1 = *cache.allocate();
  const uint64_t p0 = cache.publish(b0, KvCache::kRootPrefix, first);
  cache.publish(b1, p0, second);
  cache.release(b0);  // released first: evicted first
  cache.release(b1);
  const int32_t reused = *cache.allocate();
  EXPECT_EQ(reused, b0);
  EXPECT_FALSE(cache.lookup(KvCache::kRootPrefix, first));
  // Republishing the same tokens in the reused block gives a new prefix id, so the old child stays unreachable.
  const uint64_t fresh = cache.publish(reused, KvCache::kRootPrefix, first);
  EXPECT_NE(fresh, p0);
  EXPECT_FALSE(cache.lookup(fresh, second));
}

TEST(KvCache, DuplicatePublishKeepsTheFirstBlock) {
  KvCache cache(1, 1, 4, 2);
  const auto tokens = tokens_from(7);
  const int32_t a = *cache.allocate(), b = *cache.allocate();
  const uint64_t pa = cache.publish(a, KvCache::kRootPrefix, tokens);
  EXPECT_EQ(cache.publish(b, KvCache::kRootPrefix, tokens), pa);
  cache.release(b);  // unpublished: back to the free list at once
  EXPECT_EQ(cache.available(), 1);
  auto found = cache.lookup(KvCache::kRootPrefix, tokens);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->block, a);
}

}  // namespace
}  // namespace parley::engine
