#include "limits/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace parley::limits {

long retry_after_seconds(std::chrono::milliseconds wait) {
  return std::max<long>(1, static_cast<long>((wait.count() + 999) / 1000));
}

Decision TokenBucket::take(const Rate& rate, Clock::time_point now, double cost) {
  if (rate.unlimited()) return {};
  if (now > updated_) {
    const double elapsed = std::chrono::duration<double>(now - updated_).count();
    tokens_ = std::min(rate.burst, tokens_ + elapsed * rate.per_second);
    updated_ = now;
  }
  if (tokens_ >= cost) {
    tokens_ -= cost;
    return {};
  }
  const double missing = cost - tokens_;
  const auto wait = std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(missing / rate.per_second * 1000.0)));
  return {false, wait};
}

bool TokenBucket::idle(const Rate& rate, Clock::time_point now) const {
  if (rate.unlimited()) return true;
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  return tokens_ + elapsed * rate.per_second >= rate.burst;
}

KeyedRateLimiter::KeyedRateLimiter(Rate rate, std::size_t max_keys)
    : max_per_shard_(std::max<std::size_t>(1, max_keys / kShards)) {
  for (auto& shard : shards_) shard.rate = rate;
}

Rate KeyedRateLimiter::rate() const {
  std::lock_guard lock(shards_[0].mutex);
  return shards_[0].rate;
}

void KeyedRateLimiter::set_rate(Rate rate) {
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    shard.rate = rate;
  }
}

Decision KeyedRateLimiter::acquire(std::string_view key, double cost, Clock::time_point now) {
  Shard& shard = shards_[std::hash<std::string_view>()(key) % kShards];
  std::lock_guard lock(shard.mutex);
  const Rate& rate = shard.rate;
  if (rate.unlimited()) return {};
  auto it = shard.buckets.find(std::string(key));
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= max_per_shard_) make_room(shard, now);
    it = shard.buckets.emplace(std::string(key), Entry{TokenBucket(rate, now), now}).first;
  }
  it->second.touched = now;
  return it->second.bucket.take(rate, now, cost);
}

void KeyedRateLimiter::make_room(Shard& shard, Clock::time_point now) {
  std::erase_if(shard.buckets, [&](const auto& item) { return item.second.bucket.idle(shard.rate, now); });
  if (shard.buckets.size() < max_per_shard_) return;
  // Every key is busy (a flood of distinct keys): forget the least recently seen half.
  std::vector<Clock::time_point> touched;
  touched.reserve(shard.buckets.size());
  for (const auto& [key, entry] : shard.buckets) touched.push_back(entry.touched);
  auto middle = touched.begin() + static_cast<std::ptrdiff_t>(touched.size() / 2);
  std::nth_element(touched.begin(), middle, touched.end());
  const Clock::time_point cutoff = *middle;
  std::erase_if(shard.buckets, [&](const auto& item) { return item.second.touched <= cutoff; });
}

std::size_t KeyedRateLimiter::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.buckets.size();
  }
  return total;
}

}  // namespace parley::limits
