// Wall-clock and monotonic time helpers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace parley {

// Milliseconds since the Unix epoch (what the store records).
inline std::int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Monotonic microseconds, for measuring durations.
inline std::int64_t monotonic_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// RFC 3339 UTC text of a Unix-millisecond timestamp, e.g. "2026-11-26T09:30:00.123Z".
std::string format_rfc3339(std::int64_t unix_ms);

}  // namespace parley
