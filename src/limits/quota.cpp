#include "limits/quota.h"

namespace parley::limits {

std::int64_t utc_day(std::chrono::system_clock::time_point now) {
  return std::chrono::floor<std::chrono::days>(now.time_since_epoch()).count();
}

Decision until_next_utc_day(std::chrono::system_clock::time_point now) {
  const auto midnight = std::chrono::system_clock::time_point(std::chrono::days(utc_day(now) + 1));
  return {false, std::chrono::duration_cast<std::chrono::milliseconds>(midnight - now)};
}

}  // namespace parley::limits
