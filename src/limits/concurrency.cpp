#include "limits/concurrency.h"

namespace parley::limits {

Slot ConcurrencyLimiter::try_acquire(std::string_view key) {
  std::string owned(key);
  {
    std::lock_guard lock(mutex_);
    auto& count = per_key_[owned];
    if ((max_total_ != 0 && total_ >= max_total_) || (max_per_key_ != 0 && count >= max_per_key_)) {
      if (count == 0) per_key_.erase(owned);
      return nullptr;
    }
    ++count;
    ++total_;
  }
  auto self = shared_from_this();
  // The deleter runs once, whichever copy of the slot goes last; the pointee is a dummy.
  return Slot(static_cast<void*>(this), [self, key = std::move(owned)](void*) { self->release(key); });
}

void ConcurrencyLimiter::set_limits(std::size_t max_total, std::size_t max_per_key) {
  std::lock_guard lock(mutex_);
  max_total_ = max_total;
  max_per_key_ = max_per_key;
}

void ConcurrencyLimiter::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  --total_;
  if (auto it = per_key_.find(key); it != per_key_.end() && --it->second == 0) per_key_.erase(it);
}

std::size_t ConcurrencyLimiter::in_use() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t ConcurrencyLimiter::in_use(std::string_view key) const {
  std::lock_guard lock(mutex_);
  const auto it = per_key_.find(std::string(key));
  return it == per_key_.end() ? 0 : it->second;
}

}  // namespace parley::limits
