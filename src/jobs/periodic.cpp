#include "jobs/periodic.h"

#include <spdlog/spdlog.h>

namespace parley::jobs {

void PeriodicThread::start() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    for (;;) {
      try {
        const Status status = pass_();
        if (!status.ok()) spdlog::warn("{}: {}", name_, status.error().message);
      } catch (const std::exception& error) {
        spdlog::error("{}: {}", name_, error.what());
      }
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval_, [&] { return stopping_; })) return;
    }
  });
}

void PeriodicThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace parley::jobs
