// A thread that runs one pass at once and then every `interval` until stopped: the loop the schedulers share (resyncs,
// retention). A pass's error or exception is logged under the thread's name and the loop goes on.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"

namespace parley::jobs {

class PeriodicThread {
 public:
  PeriodicThread(std::string name, std::chrono::milliseconds interval, std::function<Status()> pass)
      : name_(std::move(name)), interval_(interval), pass_(std::move(pass)) {}
  ~PeriodicThread() { stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void start();
  void stop();

 private:
  std::string name_;
  std::chrono::milliseconds interval_;
  std::function<Status()> pass_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::jobs
