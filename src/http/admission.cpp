#include "http/admission.h"

#include <algorithm>

namespace parley::http {

void AdmissionControl::started(Clock::duration wait, int still_waiting, Clock::time_point now) {
  if (options_.target.count() == 0) return;
  std::lock_guard lock(mutex_);
  last_start_ = now;
  const auto since = now - window_start_;
  if (since < options_.interval) {
    window_min_ = std::min(window_min_, wait);
    ++window_starts_;
    window_drained_ = window_drained_ || still_waiting <= 0;
    return;
  }
  // The window is over. After an idle gap its verdict is stale: start afresh.
  if (since >= 2 * options_.interval) {
    overloaded_ = false;
    start_rate_ = 0;
  } else {
    start_rate_ = static_cast<double>(window_starts_) / std::chrono::duration<double>(since).count();
    overloaded_ = overloaded_ ? !window_drained_ : window_min_ > options_.target;
  }
  window_start_ = now;
  window_min_ = wait;
  window_starts_ = 1;
  window_drained_ = still_waiting <= 0;
}

bool AdmissionControl::should_shed(int waiting, Clock::time_point now) {
  if (options_.target.count() == 0 || waiting <= 0) return false;
  std::lock_guard lock(mutex_);
  if (waiting >= options_.stuck_backlog && now - last_start_ > options_.interval) return true;
  if (!overloaded_) return false;
  // As many waiting as the workers start within the target.
  const double admitted = std::max(1.0, start_rate_ * std::chrono::duration<double>(options_.target).count());
  return static_cast<double>(waiting) >= admitted;
}

bool AdmissionControl::overloaded() const {
  std::lock_guard lock(mutex_);
  return overloaded_;
}

}  // namespace parley::http
