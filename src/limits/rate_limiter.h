// Token-bucket rate limiting. A bucket holds up to `burst` tokens and refills at `per_second`; a request takes one
// (or `cost`) token, or is refused with the time after which it would succeed. A KeyedRateLimiter keeps one bucket
// per key (an IP, a visitor, a bot, an API key) in a bounded table, so that a flood of distinct keys costs bounded
// memory rather than the process.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::limits {

using Clock = std::chrono::steady_clock;

struct Rate {
  double per_second = 0;  // 0: unlimited
  double burst = 1;       // bucket size: how many requests may come at once
  bool unlimited() const { return per_second <= 0; }
};

struct Decision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // when refused: wait at least this long
};

// Whole seconds for a Retry-After header (at least 1: "0" would invite an immediate retry).
long retry_after_seconds(std::chrono::milliseconds wait);

class TokenBucket {
 public:
  TokenBucket(const Rate& rate, Clock::time_point now) : tokens_(rate.burst), updated_(now) {}
  Decision take(const Rate& rate, Clock::time_point now, double cost = 1);
  // True when the bucket would be full at `now`: forgetting it changes nothing.
  bool idle(const Rate& rate, Clock::time_point now) const;

 private:
  double tokens_;
  Clock::time_point updated_;
};

class KeyedRateLimiter {
 public:
  // At most `max_keys` buckets are kept. When the table is full, idle (full) buckets are dropped first; if none is
  // idle, the oldest-touched half of a shard is dropped, which can only be generous to those keys, never stricter.
  explicit KeyedRateLimiter(Rate rate, std::size_t max_keys = 100'000);
  Decision acquire(std::string_view key, double cost = 1, Clock::time_point now = Clock::now());
  Rate rate() const;
  // Applies to every bucket from the next request on (a configuration reload); buckets keep their tokens.
  void set_rate(Rate rate);
  std::size_t size() const;

 private:
  struct Entry {
    TokenBucket bucket;
    Clock::time_point touched;
  };
  struct Shard {
    mutable std::mutex mutex;
    Rate rate;  // the limiter's, copied into each shard so that reading it needs only the shard's lock
    std::unordered_map<std::string, Entry> buckets;
  };
  static constexpr std::size_t kShards = 16;
  void make_room(Shard& shard, Clock::time_point now);

  std::size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace parley::limits
