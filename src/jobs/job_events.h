// Job progress as Server-Sent Events: one thread watches every subscribed job (reading the store, so progress
// made by another process is seen too) and pushes a "progress" event whenever a job changes, then "done" when it
// has finished or paused. Subscribers that went away are dropped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/event_stream.h"
#include "store/store.h"

namespace parley::jobs {

class JobEvents {
 public:
  using View = std::function<store::Json(const store::Job&)>;

  JobEvents(store::Store& store, View view, std::chrono::milliseconds interval = std::chrono::milliseconds(500))
      : store_(store), view_(std::move(view)), interval_(interval) {}
  ~JobEvents();
  JobEvents(const JobEvents&) = delete;
  JobEvents& operator=(const JobEvents&) = delete;

  // The events of one job, starting with its current state.
  std::shared_ptr<http::EventStream> subscribe(const store::Scope& scope, const std::string& job_id);

 private:
  struct Watch {
    store::Scope scope;
    std::string job_id;
    std::shared_ptr<http::EventStream> stream;
    std::int64_t last_updated_at = -1;
  };
  void loop();
  // Pushes what changed; false when the watch is over.
  bool poll(Watch& watch);

  store::Store& store_;
  View view_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Watch> watches_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::jobs
