// Where a forward pass spends its time: wall time per operation (and per weight type for the matrix products), with
// the weight bytes each one streams, for `bench_engine_forward --profile`. Off unless a forward pass is given one;
// each operation of a pass runs to completion on the thread pool before the next starts, so wall time per operation
// is exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::engine {

class ForwardProfile {
 public:
  struct Entry {
    std::string name;
    double ms = 0;
    uint64_t weight_bytes = 0;  // streamed by the matrix products of this entry
    int64_t calls = 0;
  };

  void add(std::string_view name, double ms, uint64_t weight_bytes) {
    for (auto& entry : entries_) {
      if (entry.name == name) {
        entry.ms += ms;
        entry.weight_bytes += weight_bytes;
        ++entry.calls;
        return;
      }
    }
    entries_.push_back({std::string(name), ms, weight_bytes, 1});
  }
  const std::vector<Entry>& entries() const { return entries_; }
  void clear() { entries_.clear(); }

 private:
  std::vector<Entry> entries_;
};

// Adds the time from its construction to its destruction to `profile` (when not null) under `name`.
class ProfileScope {
 public:
  ProfileScope(ForwardProfile* profile, std::string name, uint64_t weight_bytes = 0)
      : profile_(profile), name_(std::move(name)), weight_bytes_(weight_bytes) {
    if (profile_ != nullptr) start_ = std::chrono::steady_clock::now();
  }
  ~ProfileScope() {
    if (profile_ == nullptr) return;
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    profile_->add(name_, std::chrono::duration<double, std::milli>(elapsed).count(), weight_bytes_);
  }
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  ForwardProfile* profile_;
  std::string name_;
  uint64_t weight_bytes_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace parley::engine
