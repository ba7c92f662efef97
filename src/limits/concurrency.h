// Caps on work in progress: at most `max_total` at once, and at most `max_per_key` for one key (a bot, an IP).
// A granted slot is a shared_ptr whose release frees it, so it can travel with the work it guards (e.g. an event
// stream that outlives its handler) and is freed however that work ends.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::limits {

using Slot = std::shared_ptr<void>;

class ConcurrencyLimiter : public std::enable_shared_from_this<ConcurrencyLimiter> {
 public:
  // Create with std::make_shared: slots keep the limiter alive until they are released.
  ConcurrencyLimiter(std::size_t max_total, std::size_t max_per_key) : max_total_(max_total), max_per_key_(max_per_key) {}

  // A slot for `key`, or nullptr when either cap is reached (0 means no cap).
  Slot try_acquire(std::string_view key);
  // New caps for slots taken from now on (a configuration reload); slots held stay valid.
  void set_limits(std::size_t max_total, std::size_t max_per_key);
  std::size_t in_use() const;
  std::size_t in_use(std::string_view key) const;

 private:
  void release(const std::string& key);

  std::size_t max_total_;
  std::size_t max_per_key_;
  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_key_;
};

}  // namespace parley::limits
