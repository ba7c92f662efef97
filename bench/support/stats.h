// Percentiles of measured values, the same definition in every benchmark.
#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <vector>

namespace parley::bench {

// The nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it
// (fraction 0.5 is the median, 0.99 the p99); 0 for no values.
inline double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<std::size_t>(fraction * static_cast<double>(values.size())))];
}

// Latencies (ms) collected by several client threads, and how many requests failed.
class Latencies {
 public:
  void add(double ms) {
    std::lock_guard lock(mutex_);
    ms_.push_back(ms);
  }
  void add_error() {
    std::lock_guard lock(mutex_);
    ++errors_;
  }
  double percentile(double fraction) const {
    std::lock_guard lock(mutex_);
    return bench::percentile(ms_, fraction);
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return ms_.size();
  }
  int errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<double> ms_;
  int errors_ = 0;
};

}  // namespace parley::bench
