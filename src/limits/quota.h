// Daily quotas run per UTC day. The counting lives in the store (store::WriteTx::take_daily_message), so that a
// restart does not hand out a fresh quota; this is the calendar arithmetic they share.
#pragma once

#include <chrono>
#include <cstdint>

#include "limits/rate_limiter.h"

namespace parley::limits {

// Days since 1970-01-01 (UTC) at `now`.
std::int64_t utc_day(std::chrono::system_clock::time_point now);
// A refusal until the next UTC midnight after `now` (a spent daily quota).
Decision until_next_utc_day(std::chrono::system_clock::time_point now);

}  // namespace parley::limits
