#include "limits/quota.h"

namespace parley::limits {
namespace {

std::int64_t day_of(std::chrono::system_clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::days>(now.time_since_epoch()).count();
}

}  // namespace

Decision DailyQuota::take(std::string_view key, std::int64_t limit, std::chrono::system_clock::time_point now) {
  if (limit <= 0) return {};
  const std::int64_t today = day_of(now);
  std::lock_guard lock(mutex_);
  auto it = counts_.find(std::string(key));
  if (it == counts_.end()) {
    if (counts_.size() >= max_keys_) std::erase_if(counts_, [&](const auto& item) { return item.second.day != today; });
    it = counts_.emplace(std::string(key), Count{today, 0}).first;
  }
  if (it->second.day != today) it->second = {today, 0};
  if (it->second.used >= limit) {
    const auto midnight = std::chrono::system_clock::time_point(std::chrono::days(today + 1));
    return {false, std::chrono::duration_cast<std::chrono::milliseconds>(midnight - now)};
  }
  ++it->second.used;
  return {};
}

std::int64_t DailyQuota::used(std::string_view key, std::chrono::system_clock::time_point now) const {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(std::string(key));
  return it == counts_.end() || it->second.day != day_of(now) ? 0 : it->second.used;
}

}  // namespace parley::limits
