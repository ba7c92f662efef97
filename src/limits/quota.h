// Daily quotas: at most `limit` units per key per UTC day (a bot's visitor messages). Counted in memory: a restart
// forgets the day's count (documented in docs/SECURITY.md); the table is bounded like the rate limiters'.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "limits/rate_limiter.h"

namespace parley::limits {

class DailyQuota {
 public:
  explicit DailyQuota(std::size_t max_keys = 100'000) : max_keys_(max_keys) {}
  // Counts one unit for `key` when it is below `limit` (0: unlimited) today; otherwise refuses with the time until
  // the next UTC midnight.
  Decision take(std::string_view key, std::int64_t limit,
                std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  std::int64_t used(std::string_view key, std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

 private:
  struct Count {
    std::int64_t day = 0;
    std::int64_t used = 0;
  };
  std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Count> counts_;
};

}  // namespace parley::limits
