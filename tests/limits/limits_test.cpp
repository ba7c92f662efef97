#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "limits/client_address.h"
#include "limits/concurrency.h"
#include "limits/quota.h"
#include "limits/rate_limiter.h"

namespace parley::limits {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, AllowsABurstThenRefillsAtTheRate) {
  const Rate rate{2, 3};  // 2 per second, bursts of 3
  const auto start = Clock::now();
  TokenBucket bucket(rate, start);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(rate, start).allowed);
  const auto refused = bucket.take(rate, start);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, 500ms);
  EXPECT_EQ(retry_after_seconds(refused.retry_after), 1);
  EXPECT_TRUE(bucket.take(rate, start + 500ms).allowed);
  EXPECT_FALSE(bucket.take(rate, start + 500ms).allowed);
  EXPECT_TRUE(bucket.idle(rate, start + 10s));
}

TEST(KeyedRateLimiter, KeysAreIndependentAndTheTableIsBounded) {
  KeyedRateLimiter limiter({1, 1}, 64);
  const auto now = Clock::now();
  EXPECT_TRUE(limiter.acquire("a", 1, now).allowed);
  EXPECT_FALSE(limiter.acquire("a", 1, now).allowed);
  EXPECT_TRUE(limiter.acquire("b", 1, now).allowed);
  for (int i = 0; i < 10'000; ++i) limiter.acquire("flood-" + std::to_string(i), 1, now);
  EXPECT_LE(limiter.size(), 64u + 16u);
  KeyedRateLimiter unlimited({0, 1});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(unlimited.acquire("x").allowed);
}

TEST(KeyedRateLimiter, ExactUnderConcurrency) {
  KeyedRateLimiter limiter({0.0001, 1000});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) allowed += limiter.acquire("one").allowed ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000);
}

TEST(ConcurrencyLimiter, CapsInTotalAndPerKeyAndReleasesWithTheLastCopy) {
  auto limiter = std::make_shared<ConcurrencyLimiter>(3, 2);
  auto a1 = limiter->try_acquire("a");
  auto a2 = limiter->try_acquire("a");
  EXPECT_TRUE(a1 && a2);
  EXPECT_EQ(limiter->try_acquire("a"), nullptr);
  auto b1 = limiter->try_acquire("b");
  EXPECT_TRUE(b1);
  EXPECT_EQ(limiter->try_acquire("c"), nullptr);  // total cap
  Slot copy = a1;
  a1.reset();
  EXPECT_EQ(limiter->in_use("a"), 2u);
  copy.reset();
  EXPECT_EQ(limiter->in_use("a"), 1u);
  EXPECT_TRUE(limiter->try_acquire("c"));  // freed on the spot, released again at the end of the statement
  EXPECT_EQ(limiter->in_use(), 2u);
}

TEST(DailyQuota, DaysAndRefusalsRunToUtcMidnight) {
  const auto late = std::chrono::system_clock::time_point(std::chrono::days(20000)) + 23h;
  EXPECT_EQ(utc_day(late), 20000);
  EXPECT_EQ(utc_day(late + 1h), 20001);
  const auto refused = until_next_utc_day(late);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, std::chrono::milliseconds(1h));
  // Before 1970 the day still starts at midnight (floor, not truncation towards zero).
  EXPECT_EQ(utc_day(std::chrono::system_clock::time_point(-1h)), -1);
}

TEST(TrustedProxies, ParsesAddressesAndNetworks) {
  EXPECT_TRUE(TrustedProxies::parse({"10.0.0.0/8", "192.168.1.5", "fd00::/8", "::1"}).ok());
  for (const char* bad : {"10.0.0.0/33", "example.com", "10.0.0.0/", "1.2.3.4/x", "fd00::/129", ""}) {
    EXPECT_FALSE(TrustedProxies::parse({bad}).ok()) << bad;
  }
}

TEST(TrustedProxies, ReadsForwardedForFromTheRight) {
  const auto proxies = std::move(TrustedProxies::parse({"10.0.0.0/8"})).value();
  // Not from a proxy: the header is the client's own claim and ignored.
  EXPECT_EQ(proxies.client_address("203.0.113.5", "1.2.3.4"), "203.0.113.5");
  // From a proxy: the last entry the proxy appended.
  EXPECT_EQ(proxies.client_address("10.0.0.2", "198.51.100.7"), "198.51.100.7");
  // A forged entry on the left stays on the left.
  EXPECT_EQ(proxies.client_address("10.0.0.2", "6.6.6.6, 198.51.100.7"), "198.51.100.7");
  // Chains of trusted proxies are walked through.
  EXPECT_EQ(proxies.client_address("10.0.0.2", "198.51.100.7, 10.1.1.1"), "198.51.100.7");
  // Ports, brackets and v4-mapped v6.
  EXPECT_EQ(proxies.client_address("10.0.0.2", "198.51.100.7:5555"), "198.51.100.7");
  EXPECT_EQ(proxies.client_address("10.0.0.2", "[2001:db8::1]:443"), "2001:db8::1");
  EXPECT_EQ(proxies.client_address("::ffff:10.0.0.2", "::ffff:198.51.100.7"), "198.51.100.7");
  // Garbage: the last trusted hop is the client.
  EXPECT_EQ(proxies.client_address("10.0.0.2", "unknown, nonsense"), "10.0.0.2");
  EXPECT_EQ(proxies.client_address("10.0.0.2", ""), "10.0.0.2");
  EXPECT_EQ(TrustedProxies().client_address("10.0.0.2", "198.51.100.7"), "10.0.0.2");
}

TEST(RateKey, GroupsIpv6ByItsSlash64) {
  EXPECT_EQ(rate_key("198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(rate_key("2001:db8:1:2:aaaa::1"), rate_key("2001:db8:1:2:bbbb::9"));
  EXPECT_NE(rate_key("2001:db8:1:2::1"), rate_key("2001:db8:1:3::1"));
}

}  // namespace
}  // namespace parley::limits
